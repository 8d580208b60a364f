/**
 * Issue 5, item 4: who may call the settings resolver, and where the app may send a request.
 *
 * Already covered elsewhere, not repeated here: a repository reader refused on each resolver and the
 * repository taken from the context rather than the payload for getPage
 * (test/platform/settings-resolver.test.ts); the HTTP choke point refusing a few fixed unsafe URLs and
 * one 302 (test/core/http.test.ts); undeclared egress hosts (scripts/egress.ts and the save check).
 * Added here: calls with no usable context or no user, callers with no access or revoked access, on
 * every resolver the page can call; payloads that name another repository; generated URLs against
 * the outbound rules; every redirect status; and the same refusals when a stored target is run.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, dataWrites, openSession, pageContext, READER, REPO, WORKSPACE, type SettingsSession } from '../page/settings-harness';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { checkOutboundUrl, createHttpClient, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { RESOLVERS, type Result, type TargetView } from '../../src/core/settings-api';
import { getSecrets, getTargets, listDeployments, putSecrets, putTargets } from '../../src/forge/store';
import { FIXTURE_REPOSITORY_UUID, FIXTURE_WORKSPACE_UUID, makePushEvent } from '../fixtures/events';
import { makeSaveInput } from '../fixtures/save-inputs';
import { makeTarget } from '../fixtures/targets';

const OTHER_REPO = '{9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a}';
const STRANGER = '557058:stranger-0003';
const FORBIDDEN = {
  ok: false,
  error: { code: 'FORBIDDEN', message: 'Only administrators of this repository can manage its deploy targets. Nothing was changed.' },
};

let session: SettingsSession;
type Invoke = (key: string, payload?: unknown) => Promise<Result<unknown>>;

/** Calls a resolver as `accountId` (or as nobody) with any extension context, as the UI bridge would. */
const invokeWith =
  (context: Record<string, unknown>, accountId: string | undefined): Invoke =>
  (key, payload) =>
    session.platform.invokeResolver('settings-resolver', { functionKey: key, payload }, context, accountId) as Promise<Result<unknown>>;

const contextOf = (accountId: string, repositoryUuid: string) => ({
  ...pageContext(accountId),
  extension: { ...pageContext(accountId).extension, repository: { uuid: repositoryUuid } },
});

/** Everything a call could change: both repositories' targets and every target's secrets. */
async function state(): Promise<unknown> {
  return session.platform.run(async () => {
    const out: Record<string, unknown> = {};
    for (const repo of [REPO, OTHER_REPO]) {
      const doc = await getTargets(repo);
      out[repo] = { doc, secrets: await Promise.all((doc?.targets ?? []).map((t) => getSecrets(repo, t.id))) };
    }
    return out;
  });
}
const writes = () => dataWrites(session.platform.calls);

/** A plausible payload for each resolver: with it, only the caller's rights decide the answer. */
const payloadFor = (key: string, targetId: string): unknown =>
  ({
    saveTarget: { ...makeSaveInput({ name: 'Hijacked', secrets: { signingSecret: 'attacker-chosen-secret-0001' } }), id: targetId },
    deleteTarget: { id: targetId },
    setEnabled: { id: targetId, enabled: false },
    setPaused: { id: targetId, paused: true },
    verifyTarget: { id: targetId },
    testTarget: { ...makeSaveInput({ name: 'Probe', secrets: { signingSecret: 'attacker-chosen-secret-0002' } }), id: targetId },
    deployNow: { targetId, branch: 'main' },
    searchBranches: { text: 'main' },
    getHistory: {},
    recordEgress: { domains: ['https://attacker.example'] },
  })[key] ?? {};

let repoTarget: string;
let otherTarget: string;

beforeEach(async () => {
  session = openSession();
  // A second repository in the same workspace: the reader administers it, the admin only reads it.
  session.platform.bitbucket.addRepository({ slug: 'api', uuid: OTHER_REPO });
  session.platform.bitbucket.setPermission(OTHER_REPO, READER, 'admin');
  session.platform.bitbucket.setPermission(OTHER_REPO, ADMIN, 'read');
  const own = await (session.invokeAs(ADMIN) as Invoke)(
    'saveTarget',
    makeSaveInput({ secrets: { signingSecret: 'repo-signing-secret-0001' } }),
  );
  const other = await invokeWith(contextOf(READER, OTHER_REPO), READER)(
    'saveTarget',
    makeSaveInput({ name: 'Other hook', secrets: { signingSecret: 'other-signing-secret-0001' } }),
  );
  if (!own.ok || !other.ok) throw new Error('setup: could not save the two targets');
  repoTarget = (own.data as TargetView).id;
  otherTarget = (other.data as TargetView).id;
  session.platform.resetCalls();
});
afterEach(() => session.platform.close());

describe('resolvers refuse callers who may not manage the repository, and change nothing', () => {
  it('every resolver refuses a call without a usable repository context, before any storage or Bitbucket call', async () => {
    const contexts: [string, Record<string, unknown>][] = [
      ['no context', {}],
      ['no extension', { accountId: ADMIN, workspaceId: WORKSPACE }],
      ['no repository', { ...pageContext(ADMIN), extension: { type: 'bitbucket:repoSettingsMenuPage' } }],
      ['a UUID without braces', contextOf(ADMIN, REPO.slice(1, -1))],
      ['path traversal for a UUID', contextOf(ADMIN, '{../../5c9e7a3b-1d2f-4b6a-8e4c}')],
      ['a number for a UUID', { ...pageContext(ADMIN), extension: { repository: { uuid: 42 } } }],
    ];
    const before = await state();
    session.platform.resetCalls();
    const answers: string[] = [];
    for (const [what, context] of contexts) {
      for (const key of RESOLVERS) {
        const result = await invokeWith(context, ADMIN)(key, payloadFor(key, repoTarget));
        answers.push(`${what} ${key}: ${result.ok ? 'ok' : `${result.error.code} ${result.error.message}`}`);
      }
    }
    expect(answers.filter((a) => !a.endsWith('FORBIDDEN This page must be opened from a repository’s settings.'))).toEqual([]);
    expect(session.platform.calls).toEqual([]);
    expect(await state()).toEqual(before);
  });

  it('every resolver refuses a call that carries no user (asUser has nobody to ask for) as FORBIDDEN, and changes nothing', async () => {
    const before = await state();
    const answers: string[] = [];
    for (const key of RESOLVERS) {
      const result = await invokeWith(pageContext(ADMIN), undefined)(key, payloadFor(key, repoTarget));
      if (result.ok) answers.push(`${key}: accepted`);
      else if (result.error.code !== 'FORBIDDEN' || result.error.message.trim() === '')
        answers.push(`${key}: refused as ${result.error.code}: ${result.error.message}`);
    }
    expect(answers).toEqual([]);
    // Refused before Bitbucket is asked anything.
    expect(session.platform.bitbucket.calls.filter((c) => c.asUser && !c.accountId)).toEqual([]);
    expect(writes()).toEqual([]);
    expect(await state()).toEqual(before);
  });

  it('every resolver refuses a user with no access to the repository, and an admin whose access was revoked', async () => {
    const before = await state();
    const answers: unknown[] = [];
    for (const key of RESOLVERS) answers.push(await invokeWith(pageContext(STRANGER), STRANGER)(key, payloadFor(key, repoTarget)));
    session.platform.bitbucket.setPermission(REPO, ADMIN, 'none');
    // Bitbucket is asked at most once a minute per person and repository: the revocation counts a minute on.
    session.platform.advanceClock(60_000);
    for (const key of RESOLVERS) answers.push(await invokeWith(pageContext(ADMIN), ADMIN)(key, payloadFor(key, repoTarget)));
    expect(answers).toEqual(Array.from({ length: RESOLVERS.length * 2 }, () => FORBIDDEN));
    expect(writes()).toEqual([]);
    expect(await state()).toEqual(before);
  });

  it('a payload naming another repository is refused, naming the field, and changes nothing in either', async () => {
    // The reader administers OTHER_REPO; from its page, every payload here names REPO and REPO's target.
    const asOtherAdmin = invokeWith(contextOf(READER, OTHER_REPO), READER);
    const before = await state();
    const naming = { repositoryUuid: REPO, repository: { uuid: REPO }, workspaceUuid: WORKSPACE };
    const answers: string[] = [];
    for (const key of ['saveTarget', 'deleteTarget', 'setEnabled', 'setPaused', 'verifyTarget', 'testTarget', 'deployNow'] as const) {
      const result = await asOtherAdmin(key, { ...(payloadFor(key, repoTarget) as object), ...naming });
      answers.push(
        result.ok
          ? `${key}: accepted`
          : `${key}: ${result.error.code} ${/repositoryUuid: .*repository: .*workspaceUuid: /.test(result.error.message) ? 'names the fields' : result.error.message}`,
      );
    }
    expect(answers).toEqual(
      ['saveTarget', 'deleteTarget', 'setEnabled', 'setPaused', 'verifyTarget', 'testTarget', 'deployNow'].map(
        (key) => `${key}: INVALID_INPUT names the fields`,
      ),
    );
    // A new target whose payload names REPO is refused too: the repository comes from the page's context only.
    const created = await asOtherAdmin('saveTarget', { ...makeSaveInput({ name: 'Sneaky' }), ...naming });
    expect(created).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(writes()).toEqual([]);
    expect(await state()).toEqual(before);
    expect(session.platform.pendingEvents()).toBe(0);
  });

  it('the admin of REPO is refused on a page of a repository they only read, whatever the payload says', async () => {
    const before = await state();
    const asReaderThere = invokeWith(contextOf(ADMIN, OTHER_REPO), ADMIN);
    for (const key of RESOLVERS)
      expect(await asReaderThere(key, { ...(payloadFor(key, otherTarget) as object), repositoryUuid: REPO })).toEqual(FORBIDDEN);
    expect(writes()).toEqual([]);
    expect(await state()).toEqual(before);
  });
});

describe('outbound URLs: credentials, schemes and hosts', () => {
  const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
  const isLoopback = (hostname: string) => LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  const PASSWORD = 'pw-d41d8cd98f';

  const generatedUrl = fc
    .record({
      scheme: fc.constantFrom('https', 'http', 'HTTPS', 'ftp', 'file', 'ws', 'wss', 'javascript', 'data', 'gopher'),
      userinfo: fc.constantFrom('', 'deploy@', `deploy:${PASSWORD}@`, `:${PASSWORD}@`, '%40@', `${PASSWORD}@`),
      host: fc.constantFrom(
        'deploy.example.com',
        'api.render.com',
        '127.0.0.1',
        '127.9.8.7',
        'localhost',
        '[::1]',
        '0x7f000001',
        '2130706433',
        'localhost.evil.example',
        '127.0.0.1.nip.io',
        '[::ffff:127.0.0.1]',
        '0.0.0.0',
        '169.254.169.254',
        'bad host',
      ),
      port: fc.constantFrom('', ':443', ':8080'),
      path: fc.constantFrom('', '/', '/deploy', '/a/../../b', '/x?token=1#frag'),
    })
    .map(({ scheme, userinfo, host, port, path }) => `${scheme}://${userinfo}${host}${port}${path}`);

  it('1000 generated URLs: only https, or http to loopback, without credentials, pass; a refusal never repeats a password', () => {
    fc.assert(
      fc.property(generatedUrl, (raw) => {
        const url = URL.canParse(raw) ? new URL(raw) : null;
        const allowed =
          url !== null &&
          !url.username &&
          !url.password &&
          (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)));
        let refusal: unknown = null;
        try {
          checkOutboundUrl(raw);
        } catch (error) {
          refusal = error;
        }
        if (allowed) expect(refusal).toBeNull();
        else {
          expect(refusal).toBeInstanceOf(HttpRejected);
          expect((refusal as Error).message).not.toContain(PASSWORD);
        }
      }),
      { numRuns: 1000 },
    );
  });

  describe('redirects', () => {
    let server: Server;
    let base: string;
    let status = 302;
    let hits = 0;
    const lines: string[] = [];
    const client = createHttpClient({
      fetch,
      timeoutMs: 2000,
      log: createLogger((line) => lines.push(line)),
      userAgent: 'DeployRelay/test',
    });

    beforeAll(async () => {
      server = createServer((_req, res) => {
        hits += 1;
        res.writeHead(status, { location: `https://deploy:${PASSWORD}@elsewhere.example.net/steal?token=${PASSWORD}` }).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it.each([301, 302, 303, 307, 308])('a %i is refused, not followed, and its Location is shown by host only', async (code) => {
      status = code;
      hits = 0;
      const error = await client.send({ method: 'POST', url: `${base}/deploy`, body: '{}' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpRejected);
      expect((error as Error).message).toContain(`answered ${code}, a redirect to elsewhere.example.net`);
      expect(`${(error as Error).message}\n${lines.join('\n')}`).not.toContain(PASSWORD);
      expect(hits).toBe(1);
    });
  });
});

describe('a stored target with an unsafe URL is refused when it runs, before anything is sent', () => {
  let receiver: Server;
  let elsewhere: Server;
  let receiverPort: number;
  let elsewherePort: number;
  const received: string[] = [];

  const listen = async (handler: Parameters<typeof createServer>[1]): Promise<[Server, number]> => {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return [server, (server.address() as AddressInfo).port];
  };
  const close = async (server: Server) => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  beforeAll(async () => {
    [elsewhere, elsewherePort] = await listen((req, res) => {
      received.push(`elsewhere ${req.url}`);
      res.writeHead(200).end();
    });
    [receiver, receiverPort] = await listen((req, res) => {
      received.push(`receiver ${req.url}`);
      res.writeHead(307, { location: `http://127.0.0.1:${elsewherePort}/stolen` }).end();
    });
  });
  afterAll(async () => {
    await close(receiver);
    await close(elsewhere);
  });

  it('credentials in the URL, plain http off loopback, and a redirect: each deploy fails with the reason, and only the redirecting receiver is reached', async () => {
    // Stored as an older version or a hand-written targets file would have stored them, past the save checks.
    const unsafe = [
      makeTarget({
        id: 'creds',
        settings: { url: `http://deploy:${'pw-0cc175b9c0'}@127.0.0.1:${receiverPort}/deploy` },
        rules: { branches: ['**'], tags: [], paths: { include: [], exclude: [] } },
      }),
      makeTarget({
        id: 'plain',
        settings: { url: 'http://api.render.com/deploy' },
        rules: { branches: ['**'], tags: [], paths: { include: [], exclude: [] } },
      }),
      makeTarget({
        id: 'redirect',
        settings: { url: `http://127.0.0.1:${receiverPort}/deploy` },
        rules: { branches: ['**'], tags: [], paths: { include: [], exclude: [] } },
      }),
    ];
    await session.platform.run(async () => {
      await putTargets({
        schemaVersion: 1,
        repository: { uuid: FIXTURE_REPOSITORY_UUID, workspaceUuid: FIXTURE_WORKSPACE_UUID, fullName: 'acme/web' },
        targets: unsafe,
      });
      // Settings no save would take have no binding to compute: stored as secrets from before bindings.
      for (const target of unsafe)
        await putSecrets(FIXTURE_REPOSITORY_UUID, target.id, { boundTo: null, values: { signingSecret: 'stored-signing-secret-0001' } });
    });
    await session.platform.emit(makePushEvent());
    await session.platform.drain();
    const records = (await session.platform.run(() => listDeployments(FIXTURE_REPOSITORY_UUID, 10))).deployments;
    const outcome = Object.fromEntries(records.map((d) => [d.target.id, `${d.state}: ${d.message}`]));
    expect(outcome).toEqual({
      creds: expect.stringMatching(/^failed: .*URLs with credentials in them are refused \(127\.0\.0\.1:\d+\)$/),
      plain: expect.stringMatching(/^failed: .*Only https URLs are allowed \(http:\/\/api\.render\.com\)$/),
      redirect: expect.stringMatching(/^failed: .*answered 307, a redirect to 127\.0\.0\.1:\d+; redirects are not followed/),
    });
    expect(JSON.stringify(records)).not.toContain('pw-0cc175b9c0');
    expect(received).toEqual(['receiver /deploy']);
    expect(session.platform.egressLog.map((e) => `${e.method} ${new URL(e.url).host}`)).toEqual([`POST 127.0.0.1:${receiverPort}`]);
  });

  it('the page refuses to save a receiver URL with credentials in it, or plain http off loopback, naming settings.url', async () => {
    const asAdmin = session.invokeAs(ADMIN) as Invoke;
    const before = await state();
    const answers: unknown[] = [];
    for (const url of [
      `http://deploy:pw-0cc175b9c0@127.0.0.1:${receiverPort}/deploy`,
      'https://deploy:pw-0cc175b9c0@api.render.com/deploy',
      'http://api.render.com/deploy',
    ]) {
      const result = await asAdmin('saveTarget', makeSaveInput({ name: 'Unsafe', settings: { url } }));
      answers.push(
        result.ok
          ? { url, accepted: true }
          : { url, fields: Object.keys(result.error.fields ?? {}), echoesPassword: JSON.stringify(result).includes('pw-0cc175b9c0') },
      );
    }
    expect(answers).toEqual([
      { url: expect.any(String), fields: ['settings.url'], echoesPassword: false },
      { url: expect.any(String), fields: ['settings.url'], echoesPassword: false },
      { url: expect.any(String), fields: ['settings.url'], echoesPassword: false },
    ]);
    expect(await state()).toEqual(before);
  });
});
