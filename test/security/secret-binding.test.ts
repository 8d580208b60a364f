/**
 * Issue 10, item 3: a stored secret goes only to the provider, mode and host it was saved for. Every
 * pair of providers that call a secret by the same name is tried through the settings resolver (save
 * one, then switch the same target to the other leaving the secret out), then every self-hosted address
 * and every mode is changed the same way, and a push runs over all of it: no request anywhere carries a
 * secret to where it was not saved for. A target whose stored secrets and settings disagree (written
 * behind the page's back) is refused by the worker before anything is sent.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, openSession, pushToMain, REPO, WORKSPACE, type SettingsSession } from '../page/settings-harness';
import { DECLARED_EGRESS_HOSTS } from '../../src/core/egress-hosts';
import type { Result, TargetView } from '../../src/core/settings-api';
import { getSecrets, getTargets, listDeployments, putSecrets, putTargets } from '../../src/forge/store';
import type { Target } from '../../src/core/targets';
import { makeTarget } from '../fixtures/targets';
import { secretsSavedFor } from '../../src/providers/registry';
import { everyProviderCases, type ProviderCase } from '../fixtures/every-provider';
import { loopbackVendor } from '../providers/loopback-vendor';

const vendor = loopbackVendor(() => ({ status: 200, body: {} }));
const API_KEY = 'legacy-api-key-7c2e9b4d1a6f3e8b5c0d';
const other = loopbackVendor(() => ({ status: 200, body: {} }));

/** Distinct per case and key: whose secret a request carries is read off the value itself. */
const token = (label: string, key: string): string =>
  `${label}${key}`.replace(/[^A-Za-z0-9]/g, '').padEnd(24, 'Q') + 'K9x7Z3w5V1t8R6p4N2m0L1a2';

let session: SettingsSession;
let save: (payload: unknown) => Promise<Result<TargetView>>;
let cases: ProviderCase[];

beforeEach(() => {
  // Every API host is one loopback vendor that accepts anything: a leak would be accepted, not refused.
  session = openSession({ routes: Object.fromEntries(DECLARED_EGRESS_HOSTS.map((host) => [host, vendor.base])) });
  const asAdmin = session.invokeAs(ADMIN);
  save = (payload) => asAdmin('saveTarget', payload) as Promise<Result<TargetView>>;
  cases = everyProviderCases(() => vendor.base, token);
});
afterEach(() => session.platform.close());

const stored = (id: string) => session.platform.run(() => getSecrets(REPO, id));
const saved = async (payload: unknown): Promise<TargetView> => {
  const result = await save(payload);
  if (!result.ok) throw new Error(`setup save refused: ${result.error.message}`);
  return result.data;
};

/** Every request that carries one of `values`, as `METHOD url`. */
function carrying(values: readonly string[]): string[] {
  return session.platform.egressLog
    .filter((e) => values.some((v) => `${e.url} ${JSON.stringify(e.headers)} ${e.body ?? ''}`.includes(v)))
    .map((e) => `${e.method} ${e.url}`);
}

interface Pair {
  from: ProviderCase;
  to: ProviderCase;
  shared: string[];
}

function sharingPairs(): Pair[] {
  return cases.flatMap((from) =>
    cases
      .filter((to) => to.provider !== from.provider)
      .map((to) => ({ from, to, shared: Object.keys(from.input.secrets).filter((key) => key in to.input.secrets) }))
      .filter((pair) => pair.shared.length > 0),
  );
}

describe('switching a target to another provider with a secret of the same name', () => {
  it('never keeps the first provider’s secret: the save asks for it again, and no push sends it', async () => {
    const pairs = sharingPairs();
    // token (DigitalOcean, Vercel, Netlify, Railway, Coolify), apiKey (Render, Dokploy, Heroku) and hookUrl
    // (Render, Vercel, Netlify), in every order.
    expect(new Set(pairs.flatMap((p) => p.shared))).toEqual(new Set(['token', 'apiKey', 'hookUrl']));
    expect(pairs.length).toBeGreaterThanOrEqual(30);
    const outcomes: string[] = [];
    for (const [index, { from, to }] of pairs.entries()) {
      const first = await saved(from.input);
      const before = await stored(first.id);
      const switched = await save({ ...to.input, id: first.id, name: `${to.label} ${index}`, secrets: {} });
      const after = await stored(first.id);
      if (switched.ok) {
        // None of the second provider's secrets was given: it has none stored at all.
        expect(after).toEqual({ boundTo: null, values: {} });
        outcomes.push('saved without it');
      } else {
        // Refused for a secret the second provider requires, which says why the stored one is not kept.
        const secretErrors = Object.entries(switched.error.fields ?? {}).filter(([field]) => field.startsWith('secrets.'));
        expect(secretErrors.length).toBeGreaterThan(0);
        for (const [, message] of secretErrors) expect(message).toMatch(/required: the provider changed, so the stored one was cleared/);
        expect(after).toEqual(before);
        // Refused: the first target stays as it was, with its own secret bound to it; delete it to go on.
        expect(after.boundTo?.provider).toBe(from.provider);
        outcomes.push('asked for it again');
      }
      if (!switched.ok) await session.invokeAs(ADMIN)('deleteTarget', { id: first.id });
    }
    // Every shared secret is required where the cases use it (a mode's own secret is required in that mode),
    // so each switch asks for it again.
    expect(new Set(outcomes)).toEqual(new Set(['asked for it again']));
    await pushToMain(session, 1);
    // What is left are the targets switched without the secret: a push sends each first provider's secret nowhere.
    const leaked = pairs.flatMap(({ from, shared }) => carrying(shared.map((k) => from.input.secrets[k] as string)));
    expect(leaked).toEqual([]);
  });
});

describe('changing where a target sends its secrets', () => {
  const moves: { label: string; change: (input: ProviderCase['input']) => ProviderCase['input']; because: string }[] = [
    { label: 'dokploy', change: (i) => ({ ...i, settings: { ...i.settings, baseUrl: other.base } }), because: 'the address changed' },
    { label: 'coolify', change: (i) => ({ ...i, settings: { ...i.settings, baseUrl: other.base } }), because: 'the address changed' },
    { label: 'webhook-raw', change: (i) => ({ ...i, settings: { url: `${other.base}/raw` } }), because: 'the address changed' },
    // Another path of the same host is another receiver (a shared host such as webhook.site).
    { label: 'webhook-raw', change: (i) => ({ ...i, settings: { url: `${vendor.base}/elsewhere` } }), because: 'the address changed' },
    {
      label: 'heroku',
      change: (i) => ({
        ...i,
        settings: { ...i.settings, sourceUrlTemplate: 'https://other-archive.example.com/{commit}.tar.gz?token={token}' },
      }),
      because: 'the address changed',
    },
    { label: 'render-api', change: (i) => ({ ...i, settings: { mode: 'hook' } }), because: 'the mode changed' },
    { label: 'vercel-hook', change: (i) => ({ ...i, settings: { mode: 'api', project: 'web' } }), because: 'the mode changed' },
  ];

  it.each(moves)(
    '$label: $because clears the stored secrets, the save says so, and nothing is sent with them',
    async ({ label, change, because }) => {
      const original = cases.find((c) => c.label === label) as ProviderCase;
      const first = await saved(original.input);
      const before = await stored(first.id);
      const moved = change(original.input);
      const result = await save({ ...moved, id: first.id, secrets: {} });
      if (result.ok) {
        // Only optional secrets were governed: saved without them, and a push has none to send.
        expect((await stored(first.id)).values).toEqual({});
        await pushToMain(session, 2);
        expect(carrying(Object.values(original.input.secrets) as string[])).toEqual([]);
      } else {
        expect(Object.values(result.error.fields ?? {}).join(' ')).toContain(`${because}, so the stored one was cleared`);
        expect(await stored(first.id)).toEqual(before);
      }
      // Entering them again binds them to the new place.
      await saved({ ...moved, id: first.id, secrets: original.input.secrets });
      const rebound = await stored(first.id);
      expect(rebound.values).toEqual(original.input.secrets);
      expect(rebound.boundTo).not.toEqual(before.boundTo);
    },
  );
});

describe('secrets saved before bindings existed', () => {
  async function storeLegacy(target: Target, values: Record<string, string>): Promise<void> {
    await session.platform.run(async () => {
      await putTargets({ schemaVersion: 1, repository: { uuid: REPO, workspaceUuid: WORKSPACE, fullName: 'acme/web' }, targets: [target] });
      await putSecrets(REPO, target.id, { boundTo: null, values });
    });
  }
  const legacy = (settings: Target['settings'], provider = 'dokploy'): Target =>
    makeTarget({ id: 'legacy', provider, settings, secretHints: { apiKey: { last4: null }, token: { last4: null } } });

  it('are bound to the target as stored on its next save, so a target repointed behind the page cannot send them', async () => {
    const dokploy = cases.find((c) => c.label === 'dokploy') as ProviderCase;
    await storeLegacy(legacy(dokploy.input.settings), { apiKey: API_KEY });
    const moved = await save({ ...dokploy.input, id: 'legacy', settings: { ...dokploy.input.settings, baseUrl: other.base }, secrets: {} });
    expect(moved).toMatchObject({ ok: false, error: { fields: { 'secrets.apiKey': expect.stringMatching(/the address changed/) } } });
    const after = await stored('legacy');
    expect(after.boundTo?.destinations).toContain(vendor.base.toLowerCase() + '/');
    // The window the save cannot close (the targets written, the secrets not yet): now refused, not sent.
    await session.platform.run(async () => {
      const doc = await getTargets(REPO);
      await putTargets({ ...doc!, targets: [{ ...doc!.targets[0]!, settings: { ...dokploy.input.settings, baseUrl: other.base } }] });
    });
    await pushToMain(session, 4);
    expect(other.seen).toEqual([]);
  });

  it('are not kept by a save when the target they were saved with no longer binds (its old settings are invalid)', async () => {
    const coolify = cases.find((c) => c.label === 'coolify') as ProviderCase;
    await storeLegacy(legacy({ baseUrl: 'not a url', resourceUuid: 'res1' }, 'coolify'), { token: API_KEY });
    const result = await save({
      ...coolify.input,
      id: 'legacy',
      settings: { ...coolify.input.settings, baseUrl: other.base },
      secrets: {},
    });
    expect(result).toMatchObject({
      ok: false,
      error: { fields: { 'secrets.token': expect.stringMatching(/required: the settings they were saved with are no longer valid/) } },
    });
    expect((await stored('legacy')).values).toEqual({ token: API_KEY });
    expect((await stored('legacy')).boundTo).toBeNull();
  });
});

describe('the worker', () => {
  it('refuses to send secrets saved for another address, and records why', async () => {
    const dokploy = cases.find((c) => c.label === 'dokploy') as ProviderCase;
    const first = await saved(dokploy.input);
    // Behind the page's back (a restore, an old version, a race): the address moves, the key stays bound to the old one.
    await session.platform.run(async () => {
      const doc = await getTargets(REPO);
      const target = doc!.targets[0]!;
      await putSecrets(REPO, target.id, secretsSavedFor(target, dokploy.input.secrets as Record<string, string>));
      await putTargets({ ...doc!, targets: [{ ...target, settings: { ...target.settings, baseUrl: other.base } }] });
    });
    await pushToMain(session, 3);
    expect(other.seen).toEqual([]);
    const [record] = (await session.platform.run(() => listDeployments(REPO, 10))).deployments;
    expect(record).toMatchObject({ target: { id: first.id }, state: 'failed' });
    expect(record!.message).toMatch(/^Not sent: this target's secrets were saved for dokploy at .*, and the address changed since/);
  });
});
