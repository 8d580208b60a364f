/**
 * Issue 5, item 2 (resolver payloads): fast-check sends the settings resolver, run by the real
 * @forge/resolver on the local Forge platform, payloads with bad input: each a valid payload with a few
 * mutations (wrong types, huge strings, unicode and control characters, missing and extra fields,
 * UUIDs without braces, path traversal in ids), or no object at all. Every answer is checked: no crash,
 * a refusal is a clear message naming a broken field and changes nothing, and no storage key the app
 * asks for breaks Forge's KVS rules. Extends the 150-run fuzz in test/platform/settings-resolver.test.ts
 * (which checks only ok:false and a non-empty message) rather than repeating it.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, dataWrites, openSession, REPO, WORKSPACE, type SettingsSession } from '../page/settings-harness';
import fc from 'fast-check';
import { kvs } from '@forge/kvs';
import { RESOLVERS, type Result, type TargetView } from '../../src/core/settings-api';
import { getSecrets, getTargets, putSecrets, putTargets } from '../../src/forge/store';
import { NO_SECRETS, type StoredSecrets } from '../../src/core/secrets';
import { makeSaveInput } from '../fixtures/save-inputs';
import { applyMutations, dotted, type Mutation, mutationOf, type Path, preview, refusalProblems, shortly, wrongType } from './arbitraries';

const RUNS = 1_000;
const SECRET = 'fuzz-signing-secret-5b7c1e93a4';

/** Forge KVS keys: up to 500 characters of [a-zA-Z0-9:._\s-#] (shared/docs/forge-platform.md). */
const KVS_KEY = /^(?!\s+$)[a-zA-Z0-9:._\s\-#]{1,500}$/;
/** Resolvers that only read: an accepted call must not write either. */
const READS = new Set(['getPage', 'getHistory', 'getStats', 'searchBranches', 'verifyTarget', 'testTarget', 'getAudit']);

let session: SettingsSession;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;
let savedId: string;

interface Snapshot {
  doc: unknown;
  secrets: StoredSecrets;
}

beforeAll(async () => {
  session = openSession();
  // A workspace admin too: recordEgress answers only them, and its payloads are what is under test.
  session.platform.bitbucket.setWorkspaceRole(WORKSPACE, ADMIN, 'owner');
  asAdmin = session.invokeAs(ADMIN) as typeof asAdmin;
  const saved = await asAdmin('saveTarget', makeSaveInput({ secrets: { signingSecret: SECRET } }));
  if (!saved.ok) throw new Error(`setup: ${saved.error.message}`);
  savedId = (saved.data as TargetView).id;
});
afterAll(() => session.platform.close());

const snapshot = (): Promise<Snapshot> =>
  session.platform.run(async () => ({ doc: await getTargets(REPO), secrets: await getSecrets(REPO, savedId) }));
const writes = () => dataWrites(session.platform.calls).map((c) => `${c.seam}:${c.op} ${c.detail}`);
/** Keys the app asked KVS for that KVS would refuse: a refusal that reached storage instead of happening before it. */
const badKeys = () =>
  session.platform.calls
    .filter((c) => c.seam === 'kvs' && /^(secret\/)?(get|set|delete)$/.test(c.op) && !KVS_KEY.test(c.detail))
    .map((c) => `${c.op} ${preview(c.detail)}`);

interface Shape {
  key: string;
  payload: () => unknown;
  paths: Path[];
  parents: Path[];
}

const TARGET_FORM: Path[] = [
  ['name'],
  ['environment'],
  ['provider'],
  ['settings'],
  ['settings', 'url'],
  ['secrets'],
  ['secrets', 'signingSecret'],
  ['rules'],
  ['rules', 'branches'],
  ['rules', 'tags'],
  ['rules', 'paths'],
  ['rules', 'paths', 'include'],
  ['options'],
  ['options', 'skipMarkers'],
  ['enabled'],
];
const FORM_PARENTS: Path[] = [[], ['settings'], ['secrets'], ['rules'], ['options']];

/** A valid payload for each resolver (the saved target's id where one is needed), and where to break it. */
const SHAPES: Shape[] = [
  { key: 'saveTarget', payload: () => makeSaveInput({ secrets: { signingSecret: SECRET } }), paths: TARGET_FORM, parents: FORM_PARENTS },
  {
    key: 'saveTarget',
    payload: () => ({ ...makeSaveInput({ secrets: { signingSecret: '' } }), id: savedId }),
    paths: [['id'], ...TARGET_FORM],
    parents: FORM_PARENTS,
  },
  {
    key: 'saveTarget',
    payload: () =>
      makeSaveInput({
        secrets: { signingSecret: SECRET },
        options: {
          ...makeSaveInput().options,
          freeze: { timeZone: 'Europe/Berlin', weekly: 'Fri 16:00 - Mon 08:00', once: '', during: 'wait' },
        },
      }),
    paths: [
      ['options', 'freeze'],
      ['options', 'freeze', 'timeZone'],
      ['options', 'freeze', 'weekly'],
      ['options', 'freeze', 'during'],
    ],
    parents: [['options'], ['options', 'freeze']],
  },
  { key: 'testTarget', payload: () => makeSaveInput({ secrets: { signingSecret: SECRET } }), paths: TARGET_FORM, parents: FORM_PARENTS },
  {
    key: 'testTarget',
    payload: () => ({ ...makeSaveInput({ secrets: { signingSecret: '' } }), id: savedId }),
    paths: [['id'], ...TARGET_FORM],
    parents: FORM_PARENTS,
  },
  { key: 'deleteTarget', payload: () => ({ id: savedId }), paths: [['id']], parents: [[]] },
  { key: 'verifyTarget', payload: () => ({ id: savedId }), paths: [['id']], parents: [[]] },
  { key: 'setEnabled', payload: () => ({ id: savedId, enabled: true }), paths: [['id'], ['enabled']], parents: [[]] },
  { key: 'setPaused', payload: () => ({ id: savedId, paused: true }), paths: [['id'], ['paused']], parents: [[]] },
  { key: 'deployNow', payload: () => ({ targetId: savedId, branch: 'main' }), paths: [['targetId'], ['branch']], parents: [[]] },
  {
    key: 'deployNow',
    payload: () => ({ targetId: savedId, branch: 'main', overrideGates: true }),
    paths: [['targetId'], ['branch'], ['overrideGates']],
    parents: [[]],
  },
  {
    key: 'searchBranches',
    payload: () => ({ text: 'main', patterns: ['main'] }),
    paths: [['text'], ['patterns'], ['patterns', 0]],
    parents: [[]],
  },
  { key: 'getHistory', payload: () => ({ cursor: null }), paths: [['cursor']], parents: [[]] },
  {
    key: 'getHistory',
    payload: () => ({ cursor: null, filter: { targetId: savedId, states: ['failed'], ref: 'main' } }),
    paths: [['cursor'], ['filter'], ['filter', 'targetId'], ['filter', 'states'], ['filter', 'states', 0], ['filter', 'ref']],
    parents: [[], ['filter']],
  },
  {
    key: 'recordEgress',
    payload: () => ({ domains: ['https://dokploy.example.com'] }),
    paths: [['domains'], ['domains', 0]],
    parents: [[]],
  },
  {
    key: 'redeploy',
    // No such deployment: a well-formed payload is refused as NOT_FOUND, so only the id is broken here.
    payload: () => ({ deploymentId: '8240000000000-0123456789abcdef01234567', overrideGates: true }),
    paths: [['deploymentId']],
    parents: [[]],
  },
  { key: 'getAudit', payload: () => ({ cursor: null }), paths: [['cursor']], parents: [[]] },
  {
    key: 'cancelDeploy',
    payload: () => ({ deploymentId: '8240000000000-0123456789abcdef01234567' }),
    paths: [['deploymentId']],
    parents: [[]],
  },
  {
    key: 'decideDeploy',
    payload: () => ({ deploymentId: '8240000000000-0123456789abcdef01234567', decision: 'approve' }),
    paths: [['deploymentId'], ['decision']],
    parents: [[]],
  },
  // Resolvers without a payload, present and future: whatever arrives must not break them.
  ...RESOLVERS.filter(
    (key) =>
      ![
        'saveTarget',
        'testTarget',
        'deleteTarget',
        'verifyTarget',
        'setEnabled',
        'setPaused',
        'deployNow',
        'searchBranches',
        'getHistory',
        'recordEgress',
        'redeploy',
        'getAudit',
        'decideDeploy',
        'cancelDeploy',
      ].includes(key),
  ).map((key): Shape => ({ key, payload: () => ({}), paths: [['id'], ['repositoryUuid']], parents: [[]] })),
];

interface Call {
  key: string;
  input: unknown;
  applied: Mutation[];
}

const mutatedCall: fc.Arbitrary<Call> = fc
  .constantFrom(...SHAPES)
  .chain((shape) =>
    fc.oneof(
      {
        arbitrary: fc
          .array(mutationOf(shape.paths, shape.parents), { minLength: 1, maxLength: 3 })
          .map((m) => ({ key: shape.key, ...applyMutations(shape.payload(), m) })),
        weight: 9,
      },
      // Not an object at all (@forge/resolver turns a falsy payload into {}).
      {
        arbitrary: fc
          .oneof(wrongType, fc.string())
          .map((input) => shortly({ key: shape.key, input, applied: [] }, () => `${shape.key} with ${preview(input)}`)),
        weight: 1,
      },
    ),
  )
  .map((call) => shortly(call, () => `${call.key} ${call.applied.map((m) => `${dotted(m.path)}=${preview(m.value)}`).join(', ')}`));

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Without its id, an update is a new target, which needs its secrets: the refusal names those. */
const RELATED = new Map([['id', ['secrets.']]]);

/** Whether a refusal points at the broken field: by its path, its form name (`branches`), or "no longer exists" for an id. */
function names(error: { code: string; message: string; fields?: Record<string, string> }, path: Path): boolean {
  const text = `${error.message} ${Object.keys(error.fields ?? {}).join(' ')}`;
  const leaf = [...path].reverse().find((step): step is string => typeof step === 'string') ?? '';
  if ([dotted(path), ...(RELATED.get(dotted(path)) ?? [])].some((field) => text.includes(field))) return true;
  if (leaf !== '' && new RegExp(`(^|[^A-Za-z0-9])${escape(leaf)}([^A-Za-z0-9]|$)`).test(text)) return true;
  return error.code === 'NOT_FOUND' && (leaf === 'id' || leaf === 'targetId');
}

/** Strings a refusal must never repeat: the stored secret, and any secret the payload carried. */
function secretsIn(call: Call): string[] {
  const given = call.applied
    .filter((m) => m.path[0] === 'secrets' && typeof m.value === 'string' && m.value.length >= 12)
    .map((m) => m.value as string);
  return [SECRET, ...given];
}

function judge(call: Call, result: Result<unknown> | undefined, seen: { writes: string[]; badKeys: string[] }): string[] {
  if (!result || typeof result !== 'object' || typeof result.ok !== 'boolean') return [`answered ${preview(result)} instead of a Result`];
  const problems = seen.badKeys.map((key) => `asked KVS for a key it refuses: ${key}`);
  if (result.ok) {
    if (READS.has(call.key) && seen.writes.length > 0) problems.push(`a read wrote: ${seen.writes.join(', ')}`);
    return problems;
  }
  const { error } = result;
  if (error.code === 'INTERNAL') problems.push(`refused as INTERNAL ("${error.message}"), which tells the admin nothing`);
  problems.push(...refusalProblems(error.message));
  if (call.applied.length > 0 && !call.applied.some((m) => names(error, m.path)))
    problems.push(`"${preview(error.message)}" names none of ${call.applied.map((m) => dotted(m.path)).join(', ')}`);
  if (seen.writes.length > 0) problems.push(`a refusal wrote: ${seen.writes.join(', ')}`);
  const shown = JSON.stringify(error);
  for (const secret of secretsIn(call)) if (shown.includes(secret)) problems.push(`the refusal repeats a secret (${secret.slice(0, 6)}…)`);
  return problems;
}

describe('generated resolver payloads through the settings resolver on the local Forge platform', () => {
  it(`${RUNS} payloads: none crashes; a refusal names a broken field in a clear message and changes nothing; KVS is never asked for a key it refuses`, async () => {
    const before = await snapshot();
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(mutatedCall, async (call) => {
        session.platform.resetCalls();
        const result = await asAdmin(call.key, call.input);
        const seen = { writes: writes(), badKeys: badKeys() };
        if (!result.ok) refused += 1;
        expect(judge(call, result, seen)).toEqual([]);
        // An accepted change (an extra field is dropped, the rest was valid) is undone, so every run starts alike.
        if (result.ok && !READS.has(call.key)) await restore(before, call.key === 'saveTarget' ? (result.data as TargetView).id : null);
      }),
      { numRuns: RUNS },
    );
    process.stdout.write(`test/security/resolver-payloads: ${RUNS} generated resolver payloads, ${refused} refused\n`);
    expect(refused).toBeGreaterThan(RUNS / 2);
    expect(await snapshot()).toEqual(before);
  });

  async function restore(before: Snapshot, createdId: string | null): Promise<void> {
    await session.platform.run(async () => {
      await putTargets(before.doc as Parameters<typeof putTargets>[0]);
      await putSecrets(REPO, savedId, before.secrets);
      if (createdId && createdId !== savedId) await putSecrets(REPO, createdId, NO_SECRETS);
    });
  }
});

describe('refusals the fuzzing found, written out', () => {
  it('saveTarget with an id that no KVS key can hold is refused naming id, and storage is not asked for it', async () => {
    const problems: string[] = [];
    for (const id of ['../../x', 'x{y}', 'main?x', '😀']) {
      session.platform.resetCalls();
      const result = await asAdmin('saveTarget', { ...makeSaveInput(), id });
      problems.push(
        ...judge({ key: 'saveTarget', input: { id }, applied: [{ path: ['id'], value: id }] }, result, {
          writes: writes(),
          badKeys: badKeys(),
        }).map((p) => `id ${id}: ${p}`),
      );
    }
    expect(problems).toEqual([]);
  });

  it('a search text or a branch with a lone surrogate is refused naming the field, not blamed on Bitbucket', async () => {
    const problems: string[] = [];
    for (const [key, field, payload] of [
      ['searchBranches', 'text', { text: 'main\ud800' }],
      ['deployNow', 'branch', { targetId: savedId, branch: 'main\ud800' }],
    ] as const) {
      session.platform.resetCalls();
      const result = await asAdmin(key, payload);
      problems.push(
        ...judge({ key, input: payload, applied: [{ path: [field], value: 'main\ud800' }] }, result, {
          writes: writes(),
          badKeys: badKeys(),
        }).map((p) => `${key}: ${p}`),
      );
    }
    expect(problems).toEqual([]);
  });
});

describe('oversized values are refused before they reach storage (KVS: 240 KiB a value, 500 characters a key)', () => {
  // Fifty 199-character patterns in each of the four lists, in a three-byte character: about 120 KB a
  // target, so the second or third such target takes the repository's one targets value past 240 KiB.
  const pattern = (n: number) => `${String(n).padStart(3, '0')}${'€'.repeat(196)}`;
  const wide = Array.from({ length: 50 }, (_, n) => pattern(n));
  const wideRules = { branches: wide, tags: wide, paths: { include: wide, exclude: wide } };

  it('a save that would take the targets value past 240 KiB is refused with a message, without a kvs set or a secret write', async () => {
    const fresh = openSession();
    const invoke = fresh.invokeAs(ADMIN) as typeof asAdmin;
    try {
      let result: Result<unknown> | undefined;
      for (let n = 0; n < 5; n++) {
        fresh.platform.resetCalls();
        result = await invoke(
          'saveTarget',
          makeSaveInput({ name: `Wide ${n}`, rules: wideRules, secrets: { signingSecret: `wide-target-secret-${n}-0123456789` } }),
        );
        if (!result.ok) break;
      }
      expect(result?.ok).toBe(false);
      if (result?.ok !== false) return;
      const writesOfRefusedSave = dataWrites(fresh.platform.calls).map((c) => `${c.op} ${c.detail}`);
      const storedBytes = await fresh.platform.run(async () =>
        Buffer.byteLength(JSON.stringify((await kvs.get(`targets:${REPO.replace(/[{}]/g, '')}`)) ?? null)),
      );
      expect({
        code: result.error.code,
        problems: refusalProblems(result.error.message),
        saysWhy: /large|size|limit|KiB|KB|too many|too long/i.test(result.error.message),
        // Not even the secret: a refused save changes nothing, so no secret may be left without its target.
        writesOfRefusedSave,
        storedWithinLimit: storedBytes <= 240 * 1024,
      }).toEqual({ code: 'INVALID_INPUT', problems: [], saysWhy: true, writesOfRefusedSave: [], storedWithinLimit: true });
    } finally {
      await fresh.platform.close();
    }
  });

  it('a single field past its limit is refused by the payload schema, naming the field, before any storage call', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['name', makeSaveInput({ name: 'n'.repeat(250_000) }) as unknown as Record<string, unknown>],
      [
        'settings.url',
        makeSaveInput({ settings: { url: `http://127.0.0.1:9/${'u'.repeat(250_000)}` } }) as unknown as Record<string, unknown>,
      ],
      ['secrets.signingSecret', makeSaveInput({ secrets: { signingSecret: 's'.repeat(250_000) } }) as unknown as Record<string, unknown>],
      [
        'rules.branches',
        makeSaveInput({ rules: { ...wideRules, branches: [...wide, 'one-too-many'] } }) as unknown as Record<string, unknown>,
      ],
    ];
    for (const [field, payload] of cases) {
      session.platform.resetCalls();
      const result = await asAdmin('saveTarget', payload);
      expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining(field) } });
      // The admin check (and its one-minute cache) is the only call: the payload is refused before the store is read.
      expect(session.platform.calls.filter((c) => c.seam === 'kvs' && !c.detail.startsWith('admin:'))).toEqual([]);
    }
  });
});
