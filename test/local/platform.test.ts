// The platform comes first: importing it wraps the global fetch before @forge/api captures it.
import { createLocalPlatform, type BitbucketSeam, type LocalPlatform } from '../../local/platform';
import { fetch as forgeFetch, getAppContext } from '@forge/api';
import { InternalServerError, Queue } from '@forge/events';
import { ForgeKvsAPIError, kvs, WhereConditions } from '@forge/kvs';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { overlap, settingsKey, type RepoSettings } from './fixture-app/src';

const root = path.join(__dirname, 'fixture-app');
const WORKSPACE = '{0f3c7b5e-1111-4a4a-9b9b-000000000001}';
const REPO = '{9a8b7c6d-2222-4b4b-8c8c-000000000002}';

interface SeenCall {
  method: string;
  path: string;
  asUser: boolean;
  accountId?: string;
}

/** Answers every Bitbucket call with a tiny repository and remembers who asked what. */
function fakeBitbucket(): BitbucketSeam & { seen: SeenCall[]; pushes: unknown[] } {
  const seen: SeenCall[] = [];
  const pushes: unknown[] = [];
  return {
    seen,
    pushes,
    async handle(method, bbPath, _body, caller) {
      seen.push({ method, path: bbPath, ...caller });
      return Response.json({ full_name: 'acme/api' });
    },
    recordPush(event) {
      pushes.push(event);
    },
  };
}

/** A branch push in the shape Forge's type reference gives (the platform refuses any other). */
function pushEvent(ref = 'main') {
  const actor = { type: 'user', accountId: '557058:admin-0001', uuid: '{0c9e8d7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f}' };
  return {
    eventType: 'avi:bitbucket:push:repository',
    timestamp: '2026-11-20T10:15:02.123456Z',
    actor,
    workspace: { uuid: WORKSPACE },
    repository: { uuid: REPO },
    project: { uuid: '{5d4c3b2a-1908-4f7e-a6d5-c4b3a2918070}' },
    push: { ref, mainbranch: ref === 'main', created: false, closed: false, forced: false, truncated: false, commits: [] },
  };
}

let platform: LocalPlatform<ReturnType<typeof fakeBitbucket>>;
beforeEach(() => {
  platform = createLocalPlatform({ root, bitbucket: fakeBitbucket() });
});
afterEach(() => platform.close());

const seedSettings = (settings: RepoSettings) => platform.run(() => kvs.set(settingsKey(REPO), settings));

describe('the real @forge/kvs against the embedded store', () => {
  it('round-trips values, answers undefined for a missing key and forgets deleted keys', async () => {
    await platform.run(async () => {
      await kvs.set('repo:a', { targets: ['do'], n: 1 });
      expect(await kvs.get('repo:a')).toEqual({ targets: ['do'], n: 1 });
      expect(await kvs.get('repo:missing')).toBeUndefined();
      await kvs.delete('repo:a');
      expect(await kvs.get('repo:a')).toBeUndefined();
    });
  });

  it('pages a beginsWith query in ascending key order with a cursor', async () => {
    const keys = await platform.run(async () => {
      for (const k of ['h:3', 'h:1', 'other:1', 'h:5', 'h:2', 'h:4']) await kvs.set(k, { k });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        let q = kvs.query().where('key', WhereConditions.beginsWith('h:')).limit(2);
        if (cursor) q = q.cursor(cursor);
        const page = await q.getMany<{ k: string }>();
        seen.push(...page.results.map((r) => r.key));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      return seen;
    });
    expect(keys).toEqual(['h:1', 'h:2', 'h:3', 'h:4', 'h:5']);
  });

  it('answers a query of up to 20 values and refuses a limit of 21 with INVALID_LIMIT, as Forge documents "a maximum of 20"', async () => {
    await platform.run(async () => {
      for (let n = 0; n < 25; n += 1) await kvs.set(`m:${String(n).padStart(2, '0')}`, { n });
      const page = await kvs.query().where('key', WhereConditions.beginsWith('m:')).limit(20).getMany();
      expect(page.results).toHaveLength(20);
      expect(page.nextCursor).toBeDefined();
      const error = await kvs
        .query()
        .where('key', WhereConditions.beginsWith('m:'))
        .limit(21)
        .getMany()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForgeKvsAPIError);
      expect(error).toMatchObject({ code: 'INVALID_LIMIT', responseDetails: { status: 400, httpPath: '/api/v1/query' } });
    });
  });

  it('keeps secrets in their own namespace', async () => {
    await platform.run(async () => {
      await kvs.setSecret('token:do', 'dop_v1_secret');
      expect(await kvs.getSecret('token:do')).toBe('dop_v1_secret');
      expect(await kvs.get('token:do')).toBeUndefined();
      expect((await kvs.query().where('key', WhereConditions.beginsWith('token')).getMany()).results).toEqual([]);
      await kvs.deleteSecret('token:do');
      expect(await kvs.getSecret('token:do')).toBeUndefined();
    });
    expect(platform.calls.map((c) => c.op)).toEqual(['secret/set', 'secret/get', 'get', 'query', 'secret/delete', 'secret/get']);
  });

  it('refuses a key with braces as Forge does, with ForgeKvsAPIError INVALID_KEY', async () => {
    const error = await platform.run(() => kvs.set(`settings:${REPO}`, { enabled: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeKvsAPIError);
    expect(error).toMatchObject({ code: 'INVALID_KEY', responseDetails: { status: 400, httpPath: '/api/v1/set' } });
  });

  it('refuses a value over 240 KiB with MAX_SIZE', async () => {
    const error = await platform.run(() => kvs.set('big', { blob: 'x'.repeat(241 * 1024) })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MAX_SIZE' });
  });

  it('keeps the store in a file across platforms when asked', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kvs-'));
    const storeFile = path.join(dir, 'store.sqlite');
    try {
      const first = createLocalPlatform({ root, bitbucket: fakeBitbucket(), storeFile });
      await first.run(() => kvs.set('kept', { v: 1 }));
      await first.close();
      const second = createLocalPlatform({ root, bitbucket: fakeBitbucket(), storeFile });
      expect(await second.run(() => kvs.get('kept'))).toEqual({ v: 1 });
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('triggers', () => {
  it('runs the push trigger with one storage read, one Bitbucket read and one queue push at the seams', async () => {
    await seedSettings({ enabled: true });
    platform.resetCalls();

    const [outcome] = await platform.emit(pushEvent());

    expect(outcome).toMatchObject({ functionKey: 'push-trigger', ok: true, value: { queued: 1 } });
    const invocationId = (outcome?.value as { invocationId: string }).invocationId;
    expect(platform.calls).toEqual([
      {
        seam: 'kvs',
        op: 'get',
        detail: settingsKey(REPO),
        invocationId,
        requestBytes: expect.any(Number),
        responseBytes: expect.any(Number),
      },
      // route`` leaves path parameters as they are: the braces reach Bitbucket unencoded.
      { seam: 'bitbucket', op: `GET /2.0/repositories/${WORKSPACE}/${REPO}`, detail: 'asApp', invocationId },
      { seam: 'queue', op: 'publish', detail: 'work: 1 event(s)', invocationId },
    ]);
    expect(platform.bitbucket.pushes).toHaveLength(1);
    expect(platform.pendingEvents()).toBe(1);
  });

  it('reports a handler that names a missing export or file, as Forge would', async () => {
    const [noExport] = await platform.emit({ eventType: 'avi:fixture:missing-export' });
    const [noFile] = await platform.emit({ eventType: 'avi:fixture:missing-file' });
    expect(noExport?.ok).toBe(false);
    expect(noExport?.error?.message).toContain('src/index has no exported function "noSuchExport"');
    expect(noFile?.error?.message).toContain('names src/nowhere, which does not exist');
  });
});

describe('the queue broker', () => {
  it('delivers after the push delay and re-delivers an InvocationError with its retryContext, on virtual time', async () => {
    await seedSettings({ enabled: true, delayInSeconds: 60 });
    const start = platform.now();
    await platform.emit(pushEvent('release'));

    const result = await platform.drain();

    expect(result).toEqual({ delivered: 3, retried: 2, dead: 0 });
    expect(platform.now() - start).toBe(60_000 + 30_000 + 30_000);
    const done = await platform.run(() => kvs.get<Record<string, unknown>>('done:release'));
    expect(done).toMatchObject({
      body: { ref: 'release', repo: 'acme/api' },
      queueName: 'work',
      installContext: 'ari:cloud:bitbucket::workspace/0f3c7b5e-1111-4a4a-9b9b-000000000001',
      retryContext: { retryCount: 2, retryReason: 'FUNCTION_UPSTREAM_RATE_LIMITED', retryData: { seen: 1 } },
    });
    expect(platform.pendingEvents()).toBe(0);
  });

  it('drops an event that keeps failing into deadLetters once its 24-hour retention window is over', async () => {
    const start = platform.now();
    await platform.run(() => new Queue({ key: 'doomed' }).push({ body: { n: 1 } }));

    const result = await platform.drain();

    expect(result.dead).toBe(1);
    expect(result.delivered).toBe(result.retried + 1);
    expect(platform.now() - start).toBeLessThanOrEqual(24 * 3_600_000);
    expect(platform.now() - start).toBeGreaterThan(23 * 3_600_000);
    expect(platform.deadLetters).toEqual([
      expect.objectContaining({ queueName: 'doomed', body: { n: 1 }, error: 'the PaaS is down for good', retryCount: result.retried }),
    ]);
  });

  it('caps retries when maxRetries is set (4 retries = 5 attempts, as @forge/events 1.x did)', async () => {
    const capped = createLocalPlatform({ root, bitbucket: fakeBitbucket(), maxRetries: 4 });
    try {
      await capped.run(() => new Queue({ key: 'doomed' }).push({ body: { n: 2 } }));
      expect(await capped.drain()).toEqual({ delivered: 5, retried: 4, dead: 1 });
    } finally {
      await capped.close();
    }
  });

  it('stops a drain that exceeds maxDeliveries with a clear error', async () => {
    await platform.run(() => new Queue({ key: 'doomed' }).push({ body: { n: 3 } }));
    await expect(platform.drain({ maxDeliveries: 3 })).rejects.toThrow(/maxDeliveries \(3\)/);
  });

  it('runs deliveries side by side under drain({concurrency}) while honouring a concurrency key', async () => {
    const keyed = [1, 2, 3].map((n) => ({ body: { n, group: 'keyed' }, concurrency: { key: 'one-at-a-time', limit: 1 } }));
    const free = [4, 5, 6].map((n) => ({ body: { n, group: 'free' } }));
    await platform.run(() => new Queue({ key: 'tracked' }).push([...keyed, ...free]));

    expect(await platform.drain({ concurrency: 4 })).toEqual({ delivered: 6, retried: 0, dead: 0 });

    expect(overlap.byGroup.get('keyed')?.max).toBe(1);
    expect(overlap.maxRunning).toBeGreaterThan(1);
    const stored = await platform.run(() => kvs.query().where('key', WhereConditions.beginsWith('tracked:')).getMany());
    expect(stored.results.map((r) => r.key)).toEqual(['tracked:1', 'tracked:2', 'tracked:3', 'tracked:4', 'tracked:5', 'tracked:6']);
  });

  it('expires a key set with a ttl once virtual time has passed it', async () => {
    await platform.run(async () => {
      await kvs.set('short', { v: 1 }, { ttl: { value: 30, unit: 'SECONDS' } });
      await kvs.set('long', { v: 2 });
      await new Queue({ key: 'tracked' }).push({ body: { n: 7, group: 'clock' }, delayInSeconds: 60 });
    });
    expect(await platform.run(() => kvs.get('short'))).toEqual({ v: 1 });

    await platform.drain();

    expect(await platform.run(() => kvs.get('short'))).toBeUndefined();
    expect(await platform.run(() => kvs.get('long'))).toEqual({ v: 2 });
  });

  it('refuses a push to a queue no consumer reads', async () => {
    const error = await platform.run(() => new Queue({ key: 'no-such-queue' }).push({ body: {} })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as Error).message).toContain('no consumer in manifest.yml reads queue "no-such-queue"');
  });
});

describe('egress', () => {
  it('refuses a host that manifest.yml does not declare, naming the host and the manifest key', async () => {
    const error = await platform.run(() => forgeFetch('https://evil.example.net/collect')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/Neither manifest\.yml nor an approved customer-managed egress allows evil\.example\.net/);
    expect(error).toMatchObject({ name: 'REQUEST_EGRESS_ALLOWLIST_ERR', status: 403 });
    expect(platform.egressLog).toEqual([expect.objectContaining({ url: 'https://evil.example.net/collect', refused: true })]);
  });

  it('routes a declared host to a local server, keeping path and query, and logs the request', async () => {
    const received: Array<{ method?: string; url?: string; body: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, body });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"d-1"}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const routed = createLocalPlatform({ root, bitbucket: fakeBitbucket(), routes: { 'api.example.com': base, 'a.wild.example': base } });
    try {
      const status = await routed.run(async () => {
        const response = await forgeFetch('https://api.example.com/v2/apps/1/deployments?force=1', {
          method: 'POST',
          headers: { authorization: 'Bearer do-token', 'content-type': 'application/json' },
          body: JSON.stringify({ ref: 'main' }),
        });
        await forgeFetch('https://a.wild.example/ping');
        return response.status;
      });
      expect(status).toBe(202);
      expect(received).toEqual([
        { method: 'POST', url: '/v2/apps/1/deployments?force=1', body: '{"ref":"main"}' },
        { method: 'GET', url: '/ping', body: '' },
      ]);
      expect(routed.egressLog[0]).toMatchObject({
        method: 'POST',
        url: 'https://api.example.com/v2/apps/1/deployments?force=1',
        routedUrl: `${base}/v2/apps/1/deployments?force=1`,
        headers: { authorization: 'Bearer do-token' },
        body: '{"ref":"main"}',
        status: 202,
      });
      expect(routed.calls.filter((c) => c.seam === 'egress').map((c) => c.op)).toEqual([
        'POST https://api.example.com/v2/apps/1/deployments?force=1',
        'GET https://a.wild.example/ping',
      ]);
    } finally {
      await routed.close();
      server.close();
    }
  });

  it('a route grants nothing: a routed host neither declared nor approved is refused until a workspace admin approves it', async () => {
    const server = createServer((_req, res) => res.writeHead(200).end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The app's own manifest, which enables customer-managed egress.
    const app = createLocalPlatform({ bitbucket: fakeBitbucket(), routes: { 'dokploy.customer.example': base } });
    const fetchIt = () => app.run(() => forgeFetch('https://dokploy.customer.example/api/ping').then((r) => r.status));
    const group = (domain: string) => ({
      egresses: [{ key: 'targets', description: 'Deploy targets', configured: [{ domain, type: ['FETCH_BACKEND_SIDE'] }] }],
    });
    try {
      await expect(fetchIt()).rejects.toMatchObject({ name: 'REQUEST_EGRESS_ALLOWLIST_ERR' });
      // Nobody approves by default; a refusal rejects and keeps nothing.
      await expect(
        app.customerEgress.handle('__permission__egressSet', group('https://dokploy.customer.example'), 'someone'),
      ).rejects.toThrow(/not approved/);
      await expect(fetchIt()).rejects.toMatchObject({ name: 'REQUEST_EGRESS_ALLOWLIST_ERR' });
      app.customerEgress.decideWith(() => true);
      await app.customerEgress.handle('__permission__egressSet', group('https://dokploy.customer.example'), 'admin');
      expect(await fetchIt()).toBe(200);
      // Replaced, not merged: a set naming another domain drops the first.
      await app.customerEgress.handle('__permission__egressSet', group('https://coolify.customer.example'), 'admin');
      await expect(fetchIt()).rejects.toMatchObject({ name: 'REQUEST_EGRESS_ALLOWLIST_ERR' });
    } finally {
      await app.close();
      server.close();
    }
  });

  it('refuses every customer-managed egress call of an app whose manifest does not enable it', async () => {
    await expect(platform.customerEgress.handle('__permission__egressGet', {}, 'admin')).rejects.toThrow(/not enabled for this app/);
  });

  it('holds Forge to its limits: a group of more than 10 domains, or an 11th group, is refused before anyone is asked', async () => {
    const app = createLocalPlatform({ bitbucket: fakeBitbucket() });
    app.customerEgress.decideWith(() => true);
    const domains = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => ({ domain: `${prefix}${i}.example.com`, type: ['FETCH_BACKEND_SIDE'] }));
    try {
      await expect(
        app.customerEgress.handle(
          '__permission__egressSet',
          { egresses: [{ key: 'g', description: 'd', configured: domains(11, 'a') }] },
          'admin',
        ),
      ).rejects.toThrow(/at most 10 domains a group/);
      for (let g = 0; g < 10; g += 1)
        await app.customerEgress.handle(
          '__permission__egressSet',
          { egresses: [{ key: `g${g}`, description: 'd', configured: domains(1, `g${g}-`) }] },
          'admin',
        );
      await expect(
        app.customerEgress.handle(
          '__permission__egressSet',
          { egresses: [{ key: 'g10', description: 'd', configured: domains(1, 'x') }] },
          'admin',
        ),
      ).rejects.toThrow(/at most 10 groups/);
      expect(app.customerEgress.asked).toHaveLength(10);
    } finally {
      await app.close();
    }
  });
});

describe('invocation context', () => {
  it('gives concurrent invocations their own invocationId', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const observe = () =>
      platform.run(async () => {
        const before = getAppContext().invocationId;
        await gate;
        return [before, getAppContext().invocationId];
      });
    const both = Promise.all([observe(), observe()]);
    release();
    const [[a1, a2], [b1, b2]] = (await both) as [string[], string[]];
    expect(a1).toBe(a2);
    expect(b1).toBe(b2);
    expect(a1).not.toBe(b1);
  });

  it('reaches a @forge/resolver function as the bridge would, with the user and the install context', async () => {
    await seedSettings({ enabled: true });
    const extensionContext = { workspaceId: WORKSPACE, extension: { repository: { uuid: REPO } } };

    const answer = await platform.invokeResolver(
      'settings-resolver',
      { functionKey: 'getSettings', payload: {} },
      extensionContext,
      'acct-7',
    );

    expect(answer).toEqual({
      accountId: 'acct-7',
      installContext: 'ari:cloud:bitbucket::workspace/0f3c7b5e-1111-4a4a-9b9b-000000000001',
      permissionStatus: 200,
      settings: { enabled: true },
    });
    expect(platform.bitbucket.seen).toEqual([
      expect.objectContaining({
        method: 'GET',
        asUser: true,
        accountId: 'acct-7',
        path: expect.stringMatching(/^\/2\.0\/user\/permissions\/repositories\?q=/),
      }),
    ]);
  });

  it('refuses to reach a function that no UI module uses as its resolver', async () => {
    await expect(platform.invokeResolver('worker', { functionKey: 'x', payload: {} }, {})).rejects.toThrow(
      /no UI module in manifest.yml has function "worker"/,
    );
  });
});

describe('the clock', () => {
  it('inside an invocation, every reading of the time is the platform’s clock, which runs ahead of the real one', async () => {
    platform.advanceClock(5 * 86_400_000);
    const at = platform.now();
    const read = await platform.run(async () => ({ now: Date.now(), made: new Date().getTime(), said: Date() }));
    expect(read).toEqual({ now: at, made: at, said: new Date(at).toString() });
    // Outside one it is the real clock again.
    expect(Math.abs(new Date().getTime() - at)).toBeGreaterThan(4 * 86_400_000);
  });

  it('leaves every other Date as it was: dates from a value, Date.UTC and Date.parse, instanceof, subclasses', async () => {
    class Stamp extends Date {
      label = 'stamp';
    }
    platform.advanceClock(86_400_000);
    await platform.run(async () => {
      expect(new Date(0).toISOString()).toBe('1970-01-01T00:00:00.000Z');
      expect(new Date(2026, 11, 7).getDate()).toBe(7);
      expect([Date.UTC(2026, 0, 1), Date.parse('2026-01-01T00:00:00Z')]).toEqual([1_767_225_600_000, 1_767_225_600_000]);
      const stamp = new Stamp();
      expect([stamp instanceof Stamp, stamp instanceof Date, stamp.label, stamp.getTime()]).toEqual([true, true, 'stamp', platform.now()]);
      expect(Object.prototype.toString.call(new Date())).toBe('[object Date]');
    });
  });
});
