/**
 * Issue 5, item 3: a distinct secret for every secret field of every provider, saved through the
 * settings page's resolver, then pushes, verifies and the page's other resolvers, with fake vendors
 * that accept, that refuse while echoing the credential they were sent, and that fail the same way
 * until the retries run out. Then every resolver answer, every log line, every stored record outside the
 * secret store, every Bitbucket call and every outbound request is scanned: a secret may appear only in
 * requests to its own provider, and a webhook's signing secret in no request at all.
 */
// The platform comes first: it wraps fetch before @forge/api loads.
import { createLocalPlatform, type LocalPlatform } from '../../local/platform';
import { createBitbucketStandIn } from '../../local/bitbucket';
import { verifyHubSignature } from '../../local/receiver';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import api, { route } from '@forge/api';
import { kvs } from '@forge/kvs';
import initSqlJs from 'sql.js';
import type { Result, TargetView } from '../../src/core/settings-api';
import { allProviders, bindProvider } from '../../src/providers/registry';
import { listDeployments } from '../../src/forge/store';
import { ADMIN, pageContext, REPO, WORKSPACE } from '../page/settings-harness';
import { commitOf, hashOf, makePushEvent } from '../fixtures/events';
import { acceptedAnswer, everyProviderCases, type ProviderCase } from '../fixtures/every-provider';
import { loopbackVendor, type LoopbackVendor, type Reply, type Seen } from '../providers/loopback-vendor';
import { createScanner, type Haystack, runsOf, type Secret } from './leaks';

type Mode = 'accept' | 'reject' | 'fault';
let mode: Mode = 'accept';

/** Distinct, distinctive and reproducible: 24 characters no word or hash contains by chance. */
const run = (seed: string): string =>
  [...createHash('sha256').update(seed).digest()]
    .slice(0, 24)
    .map((byte) => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[byte % 32])
    .join('');

/**
 * Secrets spelled with what JSON and logs spell otherwise (issue 10, item 4): a quote, a backslash and a
 * slash in every credential sent in a header (all legal there), and a newline and non-ASCII letters too in a
 * signing secret, which only signs. Hook URLs, URL queries and whsec_ secrets keep the characters their format allows.
 */
const token = (label: string, key: string): string => {
  const head = run(`${label}.${key}`);
  if (key === 'hookUrl' || key === 'urlQuery' || label === 'webhook-whsec') return head;
  const tail = run(`${label}.${key}.tail`);
  return label === 'webhook-raw' ? `${head}"\\/\n é☃${tail}` : `${head}"\\/${tail}`;
};

const PROVIDERS = allProviders().map((p) => p.id);
let secrets: Secret[] = [];

/**
 * A vendor that refuses (or fails) by quoting the credential it received, as some do ("invalid token
 * …"): once whole at the start, and once cut by the 300-character limit on vendor messages, so that
 * a message truncated before it is redacted keeps part of the secret.
 */
function echoing(status: number, request: Seen): Reply {
  const text = `${request.target} ${Object.values(request.headers).join(' ')} ${request.body}`;
  // The credential whole, as the vendor received it (a header's value, not its JSON spelling).
  const quoted =
    secrets.find((s) => text.includes(s.value))?.value ??
    secrets.flatMap((s) => runsOf(s.value)).find((r) => text.includes(r)) ??
    'no credential';
  const lead = `invalid credential ${quoted}; `;
  const message = `${lead}${'#'.repeat(Math.max(0, 300 - lead.length - 12))}${quoted}`;
  const headers: Record<string, string> = status >= 500 ? { 'retry-after': '1' } : {};
  if (status < 500) return { status, body: { message }, headers };
  // Failing vendors answer as other JSON writers do: outside a message field, every non-ASCII letter as
  // \uXXXX and the slash as \/ (Python's and PHP's defaults), so no field is picked out and decoded.
  const escaped = JSON.stringify({ errors: [{ credential: quoted, reason: message }] })
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
  return { status, body: escaped, headers: { ...headers, 'content-type': 'application/json' } };
}

const dokployTitles: string[] = [];
const vendors = new Map<string, LoopbackVendor>(
  PROVIDERS.map((provider) => [
    provider,
    loopbackVendor((request) => {
      if (mode === 'reject') return echoing(422, request);
      if (mode === 'fault') return echoing(503, request);
      return acceptedAnswer(provider, request, dokployTitles);
    }),
  ]),
);
const baseOf = (provider: string): string => (vendors.get(provider) as LoopbackVendor).base;

let platform: LocalPlatform<{ handle: ReturnType<typeof createBitbucketStandIn>['handle']; recordPush: (event: unknown) => void }>;
let cases: ProviderCase[];
let storeDir: string;
const ids = new Map<string, string>();
const responses: { where: string; answer: unknown }[] = [];
const logLines: string[] = [];
const bitbucketRequests: string[] = [];
const outcomes: unknown[] = [];

async function invoke(functionKey: string, payload?: unknown): Promise<Result<unknown>> {
  const answer = (await platform.invokeResolver(
    'settings-resolver',
    { functionKey, payload },
    pageContext(ADMIN),
    ADMIN,
  )) as Result<unknown>;
  responses.push({ where: `${functionKey} response`, answer });
  return answer;
}

beforeAll(async () => {
  cases = everyProviderCases(baseOf, token);
  secrets = cases.flatMap((c) =>
    Object.entries(c.input.secrets).map(([key, value]) => ({
      name: `${c.label}.${key}`,
      provider: c.provider,
      value: value as string,
      neverSent: c.provider === 'webhook' && key === 'signingSecret',
    })),
  );
  // API hosts go to their vendor's loopback server; webhook, Dokploy and Coolify targets point at theirs.
  const routes: Record<string, string> = {};
  for (const c of cases)
    for (const host of bindProvider({ provider: c.provider, settings: c.input.settings }).hosts)
      if (host !== '127.0.0.1') routes[host] = baseOf(c.provider);
  storeDir = mkdtempSync(path.join(tmpdir(), 'relay-secrets-'));
  // Bitbucket calls are requests too: the stand-in answers them, and this records what they carried.
  const standIn = createBitbucketStandIn();
  const bitbucket = {
    handle: (method: string, bbPath: string, body: string | undefined, caller: Parameters<typeof standIn.handle>[3]) => {
      bitbucketRequests.push(`${method} ${bbPath} ${body ?? ''}`);
      return standIn.handle(method, bbPath, body, caller);
    },
    recordPush: (event: unknown) => standIn.recordPush(event),
  };
  platform = createLocalPlatform({ routes, bitbucket, storeFile: path.join(storeDir, 'relay.sqlite'), log: (line) => logLines.push(line) });
  // What `forge logs` would show: the app writes its JSON lines to the console.
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const)
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logLines.push(args.map(String).join(' ')));
});
afterAll(async () => {
  jest.restoreAllMocks();
  await platform.close();
  rmSync(storeDir, { recursive: true, force: true });
});

/** Every record the local KVS holds, by namespace, read from its SQLite file (the file is rewritten after each change). */
async function storedRecords(): Promise<{ ns: string; key: string; value: string }[]> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(readFileSync(path.join(storeDir, 'relay.sqlite')));
  try {
    const [result] = db.exec('SELECT ns, key, value FROM items');
    return (result?.values ?? []).map(([ns, key, value]) => ({ ns: String(ns), key: String(key), value: String(value) }));
  } finally {
    db.close();
  }
}

/** Where each request went: its vendor's server, found by the loopback base it was sent (or routed) to. */
function ownerOf(url: string | undefined): string | null {
  if (!url) return null;
  const origin = new URL(url).origin;
  return PROVIDERS.find((p) => baseOf(p) === origin) ?? null;
}

async function evidence(): Promise<Haystack[]> {
  const stored = await storedRecords();
  return [
    ...responses.map(({ where, answer }) => ({ channel: 'response' as const, where, text: JSON.stringify(answer) })),
    ...outcomes.map((o) => ({ channel: 'response' as const, where: 'trigger outcome', text: JSON.stringify(o) })),
    ...logLines.map((line) => ({ channel: 'log' as const, where: line.slice(0, 80), text: line })),
    ...stored
      .filter((r) => r.ns !== 'secret')
      .map((r) => ({ channel: 'store' as const, where: `${r.ns} ${r.key}`, text: `${r.key} ${r.value}` })),
    ...platform.deadLetters.map((d) => ({ channel: 'queue' as const, where: `dead letter ${d.queueName}`, text: JSON.stringify(d) })),
    ...bitbucketRequests.map((text) => ({ channel: 'bitbucket' as const, where: text.slice(0, 100), text })),
    ...platform.egressLog.map((e) => ({
      channel: 'request' as const,
      where: `${e.method} ${e.url.slice(0, 100)}`,
      text: `${e.url} ${JSON.stringify(e.headers)} ${e.body ?? ''}`,
      owner: ownerOf(e.routedUrl ?? (e.refused ? undefined : e.url)),
    })),
    ...[...vendors].flatMap(([provider, vendor]) =>
      vendor.seen.map((s) => ({
        channel: 'request' as const,
        where: `${provider} server: ${s.method} ${s.path}`,
        text: `${s.target} ${JSON.stringify(s.headers)} ${s.body}`,
        owner: provider,
      })),
    ),
  ];
}

async function push(round: number): Promise<void> {
  // Pushes are ordered by their timestamps: each round is pushed a minute after what came before it.
  platform.advanceClock(60_000);
  const event = makePushEvent({
    timestamp: new Date(platform.now()).toISOString(),
    repository: { uuid: REPO },
    workspace: { uuid: WORKSPACE },
    push: {
      ref: 'main',
      before: round > 1 ? hashOf(round - 1) : null,
      after: hashOf(round),
      created: false,
      closed: false,
      commits: [commitOf(hashOf(round), `Round ${round}`)],
    },
  });
  outcomes.push(...(await platform.emit(event)));
  await platform.drain();
}

describe('every secret stays with its own provider', () => {
  it('through saves, pushes, verifies, connection tests and every page resolver, with vendors that accept, refuse and fail', async () => {
    expect(new Set(cases.map((c) => c.provider))).toEqual(new Set(PROVIDERS));
    // Every secret field of every provider has a value in some case.
    for (const provider of allProviders()) {
      for (const field of provider.fields.filter((f) => f.secret))
        expect(secrets.map((s) => s.name)).toContainEqual(expect.stringMatching(new RegExp(`^${provider.id}[^.]*\\.${field.key}$`)));
    }
    expect(new Set(secrets.map((s) => s.value)).size).toBe(secrets.length);

    await invoke('getPage');
    for (const c of cases) {
      const saved = await invoke('saveTarget', c.input);
      if (!saved.ok) throw new Error(`${c.label} was not saved: ${saved.error.message}`);
      ids.set(c.label, (saved.data as TargetView).id);
    }
    const rounds: Mode[] = ['accept', 'reject', 'fault'];
    for (const [n, round] of rounds.entries()) {
      mode = round;
      await push(n + 1);
      for (const c of cases) {
        await invoke('verifyTarget', { id: ids.get(c.label) });
        // Test connection: the form as typed, and an edit that keeps the stored secrets.
        await invoke('testTarget', c.input);
        await invoke('testTarget', { ...c.input, id: ids.get(c.label), secrets: {} });
      }
      if (round === 'accept') {
        for (const label of ['heroku', 'upsun']) await invoke('deployNow', { targetId: ids.get(label), branch: 'main' });
        await platform.drain();
      }
      await invoke('getPage');
      await invoke('getHistory', {});
    }
    await invoke('searchBranches', { text: 'ma', patterns: ['**'] });
    await invoke('setEnabled', { id: ids.get('railway'), enabled: false });
    await invoke('getStats', {});
    await invoke('deleteTarget', { id: ids.get('webhook-raw') });

    // Each round did what it was for: every target deployed once, was refused once, and failed once for good.
    const records = (await platform.run(() => listDeployments(REPO, 100))).deployments.filter((r) => r.trigger === 'push');
    const outcomesOf = (label: string) =>
      records
        .filter((r) => r.target.name === label)
        .map((r) =>
          ['succeeded', 'requested'].includes(r.state)
            ? 'deployed'
            : /^Failed after/.test(r.message)
              ? 'gave up'
              : / answered 422/.test(r.message)
                ? 'refused'
                : r.state,
        )
        .sort();
    for (const c of cases) expect(`${c.label}: ${outcomesOf(c.label).join(', ')}`).toBe(`${c.label}: deployed, gave up, refused`);
    const haystacks = await evidence();
    const scanner = createScanner(secrets);
    expect(scanner.leaks(haystacks)).toEqual([]);

    // The scan sees what it must: each secret in the secret store, and each secret a mode sends in a
    // request its own provider's server received. A scan that saw nothing would pass for the wrong reason.
    const stored = await storedRecords();
    const inSecretStore = scanner
      .sightings(stored.filter((r) => r.ns === 'secret').map((r) => ({ channel: 'store' as const, where: r.key, text: r.value })))
      .map((s) => s.secret.name);
    expect(new Set(inSecretStore)).toEqual(new Set(secrets.filter((s) => !s.name.startsWith('webhook-raw.')).map((s) => s.name)));
    const sent = new Set(scanner.sightings(haystacks.filter((h) => h.channel === 'request')).map((s) => s.secret.name));
    expect([...sent].sort()).toEqual(cases.flatMap((c) => c.sends.map((key) => `${c.label}.${key}`)).sort());
    // The signing secrets were used, only as signatures: the receiver's own HMAC check passes with them.
    const hooks = (vendors.get('webhook') as LoopbackVendor).seen.filter((s) => s.method === 'POST');
    expect(hooks.length).toBeGreaterThan(0);
    const signing = secrets.filter((s) => s.provider === 'webhook').map((s) => s.value);
    for (const hook of hooks)
      expect(signing.some((secret) => verifyHubSignature(secret, hook.body, hook.headers['x-hub-signature-256'] as string))).toBe(true);
    // The refusing rounds did happen: the vendors quoted credentials back, and the retries ran out.
    expect(responses.some(({ answer }) => JSON.stringify(answer).includes('invalid credential'))).toBe(true);
    expect(haystacks.filter((h) => h.channel === 'store' && h.text.includes('Failed after')).length).toBeGreaterThan(0);
  });

  it('the scan reports a secret planted in each channel, and only those (so a clean scan means something)', async () => {
    const [heroku, digitalocean, upsun, whsec] = [
      'heroku.apiKey',
      'digitalocean.token',
      'upsun.apiToken',
      'webhook-whsec.signingSecret',
    ].map((name) => secrets.find((s) => s.name === name) as Secret);
    const planted = { heroku: heroku as Secret, digitalocean: digitalocean as Secret, upsun: upsun as Secret, whsec: whsec as Secret };
    logLines.push(`{"level":"info","message":"debugging","key":"${planted.heroku.value}"}`);
    responses.push({ where: 'planted response', answer: { ok: true, data: { token: planted.digitalocean.value.slice(0, 12) } } });
    await platform.run(async () => {
      await kvs.set('planted:record', { note: `upsun ${planted.upsun.value}` });
      // To Render's host, with DigitalOcean's token: the right kind of request to the wrong provider.
      await fetch(`https://api.render.com/v1/planted?token=${planted.digitalocean.value}`).then((r) => r.text());
      await api.asApp().requestBitbucket(route`/2.0/repositories/${WORKSPACE}/${REPO}/commit/${hashOf(1)}/statuses/build`, {
        method: 'POST',
        body: JSON.stringify({ key: 'planted', state: 'FAILED', url: 'https://example.com', description: planted.whsec.value }),
      });
    });
    const leaks = createScanner(secrets).leaks(await evidence());
    expect(leaks.map((leak) => leak.split(': ')[0]).sort()).toEqual([
      'digitalocean.token in request', // what the egress log recorded
      'digitalocean.token in request', // what Render's server received
      'digitalocean.token in response',
      'heroku.apiKey in log',
      'upsun.apiToken in store',
      'webhook-whsec.signingSecret in bitbucket',
    ]);
  });
});
