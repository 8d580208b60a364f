/**
 * The settings resolver, run by the real @forge/resolver, @forge/kvs, @forge/events and @forge/api on
 * the local platform (no jest.mock of any @forge module): Bitbucket is the stand-in, the store is the
 * embedded KVS, deploys go through the real queue to the real worker and a signed-webhook receiver.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  ADMIN,
  dataWrites,
  leakedSecrets,
  makeDeployment,
  ok,
  openSession,
  READER,
  REPO,
  seedDeployments,
  WORKSPACE,
  type SettingsSession,
} from '../page/settings-harness';
import fc from 'fast-check';
import { kvs } from '@forge/kvs';
import { startReceiver, type Receiver } from '../../local/receiver';
import type { BranchSearch, DeployNowResult, HistoryPage, PageData, Result, TargetView, VerifyView } from '../../src/core/settings-api';
import { DECLARED_EGRESS_HOSTS } from '../../src/core/egress-hosts';
import { DEPLOYMENT_SCHEMA_VERSION, deploymentId, type Deployment } from '../../src/core/deployment';
import { deploymentKey, getSecrets, getTargets, putTargets } from '../../src/forge/store';
import { makeTarget } from '../fixtures/targets';

const SECRET = 'relay-signing-secret-7f3a9c21';
const SECOND_SECRET = 'relay-rotated-secret-5d8e0b44';
const allResponses: unknown[] = [];

let session: SettingsSession;
let receiver: Receiver;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;
let asReader: (key: string, payload?: unknown) => Promise<Result<unknown>>;

beforeEach(async () => {
  session = openSession();
  // The receiver judges a signature's age by the platform's clock, which runs ahead of the real one.
  receiver = await startReceiver({ secret: SECRET, now: session.platform.now });
  asAdmin = session.invokeAs(ADMIN) as typeof asAdmin;
  asReader = session.invokeAs(READER) as typeof asReader;
});

afterEach(async () => {
  allResponses.push(...session.responses);
  await receiver.close();
  await session.platform.close();
});

afterAll(() => {
  // No resolver response of any test in this file carries a secret.
  expect(allResponses.length).toBeGreaterThan(50);
  expect(leakedSecrets(allResponses, [SECRET, SECOND_SECRET])).toEqual([]);
});

const hookInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'Staging hook',
  environment: 'staging',
  provider: 'webhook',
  settings: { url: receiver.url },
  secrets: { signingSecret: SECRET },
  rules: { branches: ['main'], tags: [], paths: { include: [], exclude: [] } },
  options: { skipMarkers: true, coalesce: true, reportOnCommit: true },
  enabled: true,
  ...overrides,
});

/** The targets and every stored key but the admin check's one-minute cache (see dataWrites). */
const stored = () =>
  session.platform.run(async () => ({
    doc: await getTargets(REPO),
    keys: (await kvs.query().getMany()).results.map((r) => r.key).filter((key) => !key.startsWith('admin:')),
  }));
const writes = () => dataWrites(session.platform.calls);

describe('getPage', () => {
  it('gives the repository, no targets, the providers with their fields and the egress hosts in one call', async () => {
    const page = ok<PageData>(await asAdmin('getPage'));
    expect(page.repository).toEqual({ uuid: REPO, fullName: 'acme/web', name: 'web', mainBranch: 'main' });
    expect(page.targets).toEqual([]);
    expect(page.history).toEqual({ deployments: [], nextCursor: null, corruptRecords: 0 });
    expect(page.providers.find((p) => p.id === 'webhook')?.fields.map((f) => [f.key, f.secret])).toEqual([
      ['url', false],
      ['urlQuery', true],
      ['signingSecret', true],
    ]);
    expect(page.egressHosts).toEqual(session.platform.manifest.egressHosts);
  });

  it('the egress list the page shows is the one manifest.yml declares', () => {
    expect([...DECLARED_EGRESS_HOSTS].sort()).toEqual([...session.platform.manifest.egressHosts].sort());
  });
});

describe('saveTarget', () => {
  it('keeps a receiver URL’s query (?token=…) as a secret: out of the settings and the page, sent only to that receiver', async () => {
    const query = 'token=receiver-query-token-5d1c9a7e3b&env=prod';
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput({ settings: { url: `${receiver.url}?${query}` } })));
    expect(saved.settings).toEqual({ url: receiver.url });
    expect(saved.secrets.urlQuery).toEqual({ set: true, last4: null });
    const { doc } = await stored();
    expect(JSON.stringify(doc)).not.toContain('receiver-query-token');
    expect((await session.platform.run(() => getSecrets(REPO, saved.id))).values).toEqual({ signingSecret: SECRET, urlQuery: query });
    await asAdmin('deployNow', { targetId: saved.id, branch: 'main' });
    await session.platform.drain();
    expect(receiver.deliveries.map((d) => d.target)).toEqual([`/deploy?${query}`]);
    expect(leakedSecrets(session.responses, ['receiver-query-token-5d1c9a7e3b'])).toEqual([]);
  });

  it('refuses an invalid target with one message per field and stores nothing', async () => {
    session.platform.resetCalls();
    const result = await asAdmin('saveTarget', hookInput({ name: ' ', settings: { url: 'not a url' }, secrets: {} }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('INVALID_INPUT');
    expect(Object.keys(result.error.fields ?? {}).sort()).toEqual(['name', 'secrets.signingSecret', 'settings.url']);
    expect(writes()).toEqual([]);
  });

  it('stores a valid target with the secret in the secret store and only a last-4 hint in the target', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    expect(saved.secrets).toEqual({ signingSecret: { set: true, last4: SECRET.slice(-4) } });
    expect(saved.id).toMatch(/^staging-hook-[0-9a-f]{6}$/);
    const { doc } = await stored();
    expect(doc?.repository).toEqual({ uuid: REPO, workspaceUuid: WORKSPACE, fullName: 'acme/web' });
    expect(JSON.stringify(doc)).not.toContain(SECRET);
    expect((await session.platform.run(() => getSecrets(REPO, saved.id))).values).toEqual({ signingSecret: SECRET });
  });

  it('stamps a saved or switched target with the platform’s clock, which runs ahead of the real one', async () => {
    session.platform.advanceClock(3 * 86_400_000);
    const savedAt = session.platform.now();
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    expect(Date.parse((await stored()).doc?.targets[0]?.updatedAt ?? '')).toBe(savedAt);
    session.platform.advanceClock(60_000);
    const switched = ok<{ updatedAt: string }>(await asAdmin('setEnabled', { id: saved.id, enabled: false }));
    expect(Date.parse(switched.updatedAt)).toBe(savedAt + 60_000);
  });

  it('keeps a secret left empty, replaces it with a new value, and refuses to clear a required one', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    const kept = ok<TargetView>(await asAdmin('saveTarget', hookInput({ id: saved.id, name: 'Renamed', secrets: { signingSecret: '' } })));
    expect(kept.name).toBe('Renamed');
    expect((await session.platform.run(() => getSecrets(REPO, saved.id))).values).toEqual({ signingSecret: SECRET });

    const replaced = ok<TargetView>(await asAdmin('saveTarget', hookInput({ id: saved.id, secrets: { signingSecret: SECOND_SECRET } })));
    expect(replaced.secrets.signingSecret?.last4).toBe(SECOND_SECRET.slice(-4));
    expect((await session.platform.run(() => getSecrets(REPO, saved.id))).values).toEqual({ signingSecret: SECOND_SECRET });

    const cleared = await asAdmin('saveTarget', hookInput({ id: saved.id, secrets: { signingSecret: null } }));
    expect(cleared).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', fields: { 'secrets.signingSecret': 'Signing secret is required' } },
    });
    expect((await session.platform.run(() => getSecrets(REPO, saved.id))).values).toEqual({ signingSecret: SECOND_SECRET });
  });

  it('requires the secret of the chosen mode: a Render deploy hook needs its URL, the API its key, and nothing is stored without it', async () => {
    const render = (mode: 'hook' | 'api') =>
      hookInput({ provider: 'render', settings: mode === 'hook' ? { mode } : { mode, serviceId: 'srv-abc123' }, secrets: {} });
    expect(await asAdmin('saveTarget', render('hook'))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', fields: { 'secrets.hookUrl': 'Deploy hook URL is required' } },
    });
    expect(await asAdmin('saveTarget', render('api'))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', fields: { 'secrets.apiKey': 'API key is required' } },
    });
    expect((await stored()).doc).toBeNull();
  });

  it('refuses a 51st target', async () => {
    const targets = Array.from({ length: 50 }, (_, i) => makeTarget({ id: `t-${i}`, name: `Target ${i}` }));
    await session.platform.run(() =>
      putTargets({ schemaVersion: 1, repository: { uuid: REPO, workspaceUuid: WORKSPACE, fullName: 'acme/web' }, targets }),
    );
    const result = await asAdmin('saveTarget', hookInput());
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('at most 50') } });
    expect((await stored()).doc?.targets).toHaveLength(50);
  });

  it('refuses an unknown provider on the provider field', async () => {
    const result = await asAdmin('saveTarget', hookInput({ provider: 'nope' }));
    expect(result).toMatchObject({ ok: false, error: { fields: { provider: expect.stringContaining('Valid providers: webhook') } } });
  });
});

describe('targets', () => {
  it('setEnabled and deleteTarget change the target; delete erases its secrets', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    expect(ok(await asAdmin('setEnabled', { id: saved.id, enabled: false }))).toEqual({
      id: saved.id,
      enabled: false,
      updatedAt: expect.any(String),
    });
    expect((await stored()).doc?.targets[0]?.enabled).toBe(false);
    expect(ok(await asAdmin('deleteTarget', { id: saved.id }))).toEqual({ id: saved.id });
    expect((await stored()).doc?.targets).toEqual([]);
    expect(await session.platform.run(() => getSecrets(REPO, saved.id))).toEqual({ boundTo: null, values: {} });
    expect(await asAdmin('deleteTarget', { id: saved.id })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('verify runs the provider and says a hook was only checked for its shape', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    const verified = ok<VerifyView>(await asAdmin('verifyTarget', { id: saved.id }));
    expect(verified).toMatchObject({ ok: true, shapeOnly: true, message: expect.stringContaining('Only the shape was checked') });
    expect(receiver.deliveries).toEqual([]);
  });
});

describe('searchBranches', () => {
  it('makes one Bitbucket call, filtered and sorted server-side, and says which branches the patterns match', async () => {
    session.platform.bitbucket.clearCalls();
    const found = ok<BranchSearch>(await asAdmin('searchBranches', { text: 'e', patterns: ['release/*'] }));
    // The admin check (asUser) plus the one search (asApp).
    const searches = session.platform.bitbucket.calls.filter((c) => c.path.includes('/refs/branches'));
    expect(searches).toHaveLength(1);
    expect(searches[0]).toMatchObject({ method: 'GET', asUser: false, status: 200 });
    const params = new URLSearchParams(searches[0]!.path.split('?')[1]);
    expect(params.get('q')).toBe('name ~ "e"');
    expect(params.get('sort')).toBe('-target.date');
    expect(found.branches.map((b) => b.name).sort()).toEqual(['develop', 'feature/login', 'release/1.2']);
    expect(found.branches.filter((b) => b.matches).map((b) => b.name)).toEqual(['release/1.2']);
  });

  it('escapes quotes and backslashes for BBQL', async () => {
    session.platform.bitbucket.clearCalls();
    const found = ok<BranchSearch>(await asAdmin('searchBranches', { text: 'a"b\\' }));
    expect(found.branches).toEqual([]);
    const params = new URLSearchParams(session.platform.bitbucket.calls.at(-1)!.path.split('?')[1]);
    expect(params.get('q')).toBe('name ~ "a\\"b\\\\"');
  });
});

describe('deployNow', () => {
  it('queues the branch head as a manual job; the worker delivers it and the history shows it', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    session.platform.resetCalls();
    const queued = ok<DeployNowResult>(await asAdmin('deployNow', { targetId: saved.id, branch: 'release/1.2' }));
    expect(queued).toMatchObject({ targetId: saved.id, branch: 'release/1.2', commit: '77942bb9d305b64b2f42e871dd4a32ad8391dd81' });
    expect(session.platform.calls.filter((c) => c.seam === 'queue')).toEqual([
      expect.objectContaining({ detail: 'deploy-jobs: 1 event(s)' }),
    ]);
    expect(session.platform.pendingEvents()).toBe(1);

    await session.platform.drain();
    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.deliveries[0]).toMatchObject({ hubSignatureValid: true, standardWebhooksValid: true, status: 200 });
    expect(JSON.parse(receiver.deliveries[0]!.body)).toMatchObject({
      delivery_id: queued.deliveryId,
      ref: { name: 'release/1.2', type: 'branch' },
    });

    const page = ok<PageData>(await asAdmin('getPage'));
    expect(page.history.deployments).toEqual([
      expect.objectContaining({ targetId: saved.id, trigger: 'manual', state: 'requested', ref: 'release/1.2' }),
    ]);
    expect(page.targets[0]?.latest?.state).toBe('requested');
  });

  it('refuses a branch that does not exist, on the branch field, and queues nothing', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    const result = await asAdmin('deployNow', { targetId: saved.id, branch: 'nope' });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', fields: { branch: 'There is no branch nope in this repository.' } },
    });
    expect(session.platform.pendingEvents()).toBe(0);
  });

  it('refuses a preview target, which deploys pull requests only, and queues nothing', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput({ preview: { allowForks: false } })));
    const result = await asAdmin('deployNow', { targetId: saved.id, branch: 'main' });
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        message: `${saved.name} makes pull-request previews: open or update a pull request into its branches to deploy one. Nothing was deployed.`,
      },
    });
    expect(session.platform.pendingEvents()).toBe(0);
  });

  it('records as failed, and never sends, a deploy queued before its target became a preview target', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    ok<DeployNowResult>(await asAdmin('deployNow', { targetId: saved.id, branch: 'main' }));
    ok<TargetView>(await asAdmin('saveTarget', hookInput({ id: saved.id, secrets: {}, preview: { allowForks: false } })));
    await session.platform.drain();
    expect(receiver.deliveries).toEqual([]);
    const page = ok<PageData>(await asAdmin('getPage'));
    expect(page.history.deployments).toEqual([
      expect.objectContaining({
        trigger: 'manual',
        state: 'failed',
        message: expect.stringContaining(`${saved.name} makes pull-request previews now, not deploys of a branch: nothing was deployed`),
      }),
    ]);
  });
});

describe('history', () => {
  it('pages with a cursor, newest first', async () => {
    const now = Date.now();
    await session.platform.run(async () => {
      for (let i = 0; i < 25; i++) {
        const record: Deployment = {
          schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
          id: deploymentId(now - i * 60_000, `job-${i}`),
          deliveryId: `d-${i}`,
          jobKey: `job-${i}`,
          trigger: 'push',
          repositoryUuid: REPO,
          target: { id: 'staging-hook', name: 'Staging', environment: 'staging', provider: 'webhook' },
          ref: { name: 'main', type: 'branch' },
          commit: { hash: String(i).padStart(40, '0'), message: `change ${i}`, author: null },
          actor: null,
          state: 'succeeded',
          message: 'ok',
          attempts: 1,
          vendorId: null,
          url: null,
          createdAt: now - i * 60_000,
          updatedAt: now,
          finishedAt: now - i * 60_000 + 5_000,
          acceptedAt: now - i * 60_000 + 1_000,
          checks: 1,
          postedStatus: null,
          order: (now - i * 60_000) * 1000,
          sentAt: now - i * 60_000,
          nextAttemptAt: null,
          answerLost: false,
          reconciled: false,
          resent: false,
        };
        await kvs.set(deploymentKey(REPO, record.id), record);
      }
    });
    const first = ok<PageData>(await asAdmin('getPage')).history;
    expect(first.deployments).toHaveLength(20);
    expect(first.deployments[0]?.commitMessage).toBe('change 0');
    expect(first.deployments[0]?.durationMs).toBe(5_000);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = ok<HistoryPage>(await asAdmin('getHistory', { cursor: first.nextCursor }));
    expect(second.deployments.map((d) => d.commitMessage)).toEqual(['change 20', 'change 21', 'change 22', 'change 23', 'change 24']);
    expect(second.nextCursor).toBeNull();
  });
});

describe('history filters', () => {
  /** Records a minute apart, newest first: three targets in turn, every seventh failed, every fifth on release/1.2. */
  const seeded = (count = 130) => {
    const now = Date.now();
    return Array.from({ length: count }, (_, i) =>
      makeDeployment(now - i * 60_000, {
        target: { id: ['api', 'web', 'docs'][i % 3] as string, name: 'T', environment: 'production', provider: 'webhook' },
        state: i % 7 === 0 ? 'failed' : 'succeeded',
        ref: { name: i % 5 === 0 ? 'release/1.2' : 'main', type: 'branch' },
      }),
    );
  };

  /** Every page of getHistory with `filter`, followed by its cursor to the end. */
  async function allPages(filter: unknown): Promise<HistoryPage[]> {
    const pages: HistoryPage[] = [];
    let cursor: string | null = null;
    do {
      const page: HistoryPage = ok<HistoryPage>(await asAdmin('getHistory', { filter, ...(cursor ? { cursor } : {}) }));
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor && pages.length < 20);
    return pages;
  }

  it.each([
    ['a target', { targetId: 'web' }, (d: Deployment) => d.target.id === 'web'],
    ['a state', { states: ['failed'] }, (d: Deployment) => d.state === 'failed'],
    ['a branch', { ref: 'release/1.2' }, (d: Deployment) => d.ref.name === 'release/1.2'],
    [
      'all three',
      { targetId: 'api', states: ['succeeded', 'failed'], ref: 'release/1.2' },
      (d: Deployment) => d.target.id === 'api' && d.ref.name === 'release/1.2',
    ],
  ])('by %s pages through every match once, newest first', async (_what, filter, matches) => {
    const records = seeded();
    await seedDeployments(session, records);
    const pages = await allPages(filter);
    expect(pages.flatMap((p) => p.deployments.map((d) => d.id))).toEqual(records.filter(matches).map((d) => d.id));
    // Pages are filled before they are returned (130 records are fewer than one page may read): only the last holds fewer than 20.
    expect(pages.slice(0, -1).filter((p) => p.deployments.length < 20)).toEqual([]);
  });

  it('reads at most 200 records for one filtered page, and says where to go on', async () => {
    await seedDeployments(session, seeded(250));
    session.platform.resetCalls();
    const page = ok<HistoryPage>(await asAdmin('getHistory', { filter: { ref: 'no-such-branch' } }));
    expect(page.deployments).toEqual([]);
    expect(page.nextCursor).toEqual(expect.any(String));
    // Four reads of 50 records, each three KVS queries (20, 20, 10): Forge returns at most 20 a query.
    expect(session.platform.calls.filter((c) => c.seam === 'kvs' && c.op === 'query')).toHaveLength(12);
  });

  it('refuses a filter it cannot read, naming the field, and writes nothing', async () => {
    session.platform.resetCalls();
    for (const filter of [{ states: ['bogus'] }, { states: [] }, { ref: '' }, { targetId: '../x' }, { repository: REPO }]) {
      const result = await asAdmin('getHistory', { filter });
      expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('filter') } });
    }
    expect(writes()).toEqual([]);
  });
});

describe('authorization', () => {
  it('refuses a reader on every resolver with a clear message and changes nothing', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    const before = await stored();
    session.platform.resetCalls();
    const calls: Array<[string, unknown]> = [
      ['getPage', {}],
      ['getHistory', {}],
      ['saveTarget', hookInput({ id: saved.id, name: 'Hijacked', secrets: { signingSecret: SECOND_SECRET } })],
      ['saveTarget', hookInput({ name: 'Another' })],
      ['deleteTarget', { id: saved.id }],
      ['setEnabled', { id: saved.id, enabled: false }],
      ['setPaused', { id: saved.id, paused: true }],
      ['searchBranches', { text: 'main' }],
      ['deployNow', { targetId: saved.id, branch: 'main' }],
      ['verifyTarget', { id: saved.id }],
    ];
    for (const [key, payload] of calls) {
      expect(await asReader(key, payload)).toEqual({
        ok: false,
        error: { code: 'FORBIDDEN', message: 'Only administrators of this repository can manage its deploy targets. Nothing was changed.' },
      });
    }
    expect(writes()).toEqual([]);
    expect(await stored()).toEqual(before);
    expect((await session.platform.run(() => getSecrets(REPO, saved.id))).values).toEqual({ signingSecret: SECRET });
    // The check is made as the caller, against Bitbucket.
    expect(session.platform.calls.filter((c) => c.seam === 'bitbucket').every((c) => c.detail === `asUser ${READER}`)).toBe(true);
  });

  it('takes the repository from the call context, never from the payload', async () => {
    const result = await asAdmin('getPage', { repositoryUuid: '{00000000-0000-4000-8000-000000000000}' });
    expect(ok<PageData>(result).repository.uuid).toBe(REPO);
  });
});

describe('fuzzed payloads', () => {
  it('never crash, always answer ok:false with a message, and store nothing', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    const before = await stored();
    const secretsBefore = await session.platform.run(() => getSecrets(REPO, saved.id));
    session.platform.resetCalls();
    const key = fc.constantFrom('saveTarget', 'deleteTarget', 'setEnabled', 'deployNow', 'verifyTarget');
    const wrongShapes = fc.oneof(
      fc.anything(),
      fc.record({ id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), enabled: fc.anything() }, { requiredKeys: [] }),
      fc.record({
        targetId: fc.oneof(fc.string(), fc.constant(saved.id)),
        branch: fc.oneof(fc.constant('../../x'), fc.constant('a?b'), fc.constant('')),
      }),
      fc
        .record({
          name: fc.oneof(
            fc.constant(''),
            fc.string({ maxLength: 300 }).map((s) => s.padEnd(81, 'x')),
          ),
          settings: fc.dictionary(fc.string(), fc.anything()),
        })
        .map((wrong) => ({ ...hookInput(), ...wrong })),
    );
    await fc.assert(
      fc.asyncProperty(key, wrongShapes, async (functionKey, payload) => {
        const result = await asAdmin(functionKey, payload);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
    expect(writes()).toEqual([]);
    expect(await stored()).toEqual(before);
    expect(await session.platform.run(() => getSecrets(REPO, saved.id))).toEqual(secretsBefore);
  });
});

describe('concurrent changes to the targets', () => {
  it('five admins adding a target at once: every target is kept (a save that lost the race is applied again to what won)', async () => {
    const names = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'];
    const results = await Promise.all(names.map((name) => asAdmin('saveTarget', hookInput({ name }))));
    expect(results.map((r) => r.ok)).toEqual(names.map(() => true));
    const { doc } = await stored();
    expect(doc?.targets.map((t) => t.name).sort()).toEqual(names);
  });

  it('saving a target another admin changed since the form was opened is refused, and their change is kept', async () => {
    const opened = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    // Someone else renames it meanwhile.
    session.platform.advanceClock(1_000);
    ok<TargetView>(
      await asAdmin('saveTarget', hookInput({ id: opened.id, name: 'Renamed by Bea', secrets: {}, expectedUpdatedAt: opened.updatedAt })),
    );
    session.platform.advanceClock(1_000);
    const late = await asAdmin(
      'saveTarget',
      hookInput({ id: opened.id, name: 'Renamed by Al', secrets: {}, expectedUpdatedAt: opened.updatedAt }),
    );
    expect(late).toEqual({
      ok: false,
      error: {
        code: 'CONFLICT',
        message:
          'This target was changed since you opened it (by another admin, or in another tab); nothing was saved. Reload the page to see the change, then make yours again.',
      },
    });
    expect((await stored()).doc?.targets.map((t) => t.name)).toEqual(['Renamed by Bea']);
  });
});
