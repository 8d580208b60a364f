/**
 * Egress as the app checks it, on the local platform with the real SDK: a target is refused when saved
 * if it calls a host the installation may not reach, and the hosts the app allows are the ones the
 * platform grants (the manifest's, plus loopback on the local platform).
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, dataWrites, openSession, type SettingsSession } from '../page/settings-harness';
import { kvs } from '@forge/kvs';
import { startReceiver, type Receiver } from '../../local/receiver';
import type { Result, TargetView } from '../../src/core/settings-api';
import { DECLARED_EGRESS_HOSTS } from '../../src/core/egress-hosts';
import { EgressNotAllowedError } from '../../src/core/errors';
import { allowedEgress, checkEgress } from '../../src/forge/egress';
import { withEgressRefusals } from '../../src/forge/http';
import { createHttpClient, type FetchLike, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { bindProvider } from '../../src/providers/registry';
import { makeTarget } from '../fixtures/targets';

const SECRET = 'relay-signing-secret-7f3a9c21';
const NEEDS_APPROVAL = (host: string) => `${host} needs a workspace admin’s approval before Deploy Relay may call it`;

let session: SettingsSession;
let receiver: Receiver;
let save: (payload: unknown) => Promise<Result<TargetView>>;

beforeEach(async () => {
  session = openSession();
  // The receiver judges a signature's age by the platform's clock, which runs ahead of the real one.
  receiver = await startReceiver({ secret: SECRET, now: session.platform.now });
  const asAdmin = session.invokeAs(ADMIN);
  save = (payload) => asAdmin('saveTarget', payload) as Promise<Result<TargetView>>;
});

afterEach(async () => {
  await receiver.close();
  await session.platform.close();
});

const input = (provider: string, settings: Record<string, unknown>, secrets: Record<string, string>) => ({
  name: 'Customer host',
  environment: 'staging',
  provider,
  settings,
  secrets,
  rules: { branches: ['main'], tags: [], paths: { include: [], exclude: [] } },
  options: { skipMarkers: true, coalesce: true, reportOnCommit: true },
  enabled: true,
});

/** Anything the save wrote: a target, a secret or a queued job. */
const writes = () => dataWrites(session.platform.calls);
const storedKeys = () =>
  session.platform.run(async () => (await kvs.query().getMany()).results.map((r) => r.key).filter((key) => !key.startsWith('admin:')));

describe('saving a target', () => {
  it('refuses a webhook whose host manifest.yml does not declare, on the URL field, naming the host and the fix, and stores nothing', async () => {
    session.platform.resetCalls();
    const result = await save(input('webhook', { url: 'https://hooks.customer.example/deploy' }, { signingSecret: SECRET }));
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'EGRESS_NOT_ALLOWED',
        message: `Fix the highlighted fields: settings.url: ${NEEDS_APPROVAL('hooks.customer.example')}`,
        fields: { 'settings.url': NEEDS_APPROVAL('hooks.customer.example') },
        egress: ['https://hooks.customer.example'],
      },
    });
    expect(writes()).toEqual([]);
    expect(await storedKeys()).toEqual([]);
  });

  it('refuses a self-hosted Dokploy instance whose host is not declared, on its address field', async () => {
    const result = await save(
      input(
        'dokploy',
        { baseUrl: 'https://Dokploy.Customer.example', kind: 'application', resourceId: 'app-123' },
        { apiKey: 'dokploy-key-0123456789' },
      ),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'EGRESS_NOT_ALLOWED', fields: { 'settings.baseUrl': NEEDS_APPROVAL('dokploy.customer.example') } },
    });
    expect(await storedKeys()).toEqual([]);
  });

  it('reports an undeclared host with the other problems of the form as invalid input', async () => {
    const result = await save({ ...input('webhook', { url: 'https://hooks.customer.example/deploy' }, {}), name: ' ' });
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        fields: {
          name: expect.any(String),
          'secrets.signingSecret': expect.any(String),
          'settings.url': NEEDS_APPROVAL('hooks.customer.example'),
        },
      },
    });
  });

  it('saves a receiver on 127.0.0.1, which the local platform grants, and a provider whose API host is declared', async () => {
    expect(await save(input('webhook', { url: receiver.url }, { signingSecret: SECRET }))).toMatchObject({
      ok: true,
      data: { unapprovedEgress: [] },
    });
    expect(
      await save(
        input(
          'railway',
          { environmentId: '0b6b6c5e-2f5d-4f1e-9d1a-3c9f0e1a2b3c', serviceId: '7a1e2d3c-4b5a-4c6d-8e9f-0a1b2c3d4e5f' },
          { token: 'railway-token-0123456789' },
        ),
      ),
    ).toMatchObject({ ok: true, data: { unapprovedEgress: [] } });
  });
});

describe('the egress the app allows', () => {
  it("is the manifest's and, on the local platform, the loopback allowance it reports; never the customer-managed egress", async () => {
    const allowed = await session.platform.run(async () => allowedEgress());
    expect(allowed.slice(0, DECLARED_EGRESS_HOSTS.length)).toEqual([...DECLARED_EGRESS_HOSTS]);
    expect(allowed.slice(DECLARED_EGRESS_HOSTS.length).every((entry) => /^https?:\/\/\*(127\.0\.0\.1|localhost|\[::1\])/.test(entry))).toBe(
      true,
    );
  });

  it('checkEgress passes a declared or loopback target and refuses, naming the host and who can approve it, an unapproved one', async () => {
    await session.platform.run(async () => {
      const local = makeTarget({ settings: { url: receiver.url } });
      await expect(checkEgress(local, bindProvider(local))).resolves.toBeUndefined();
      const customer = makeTarget({ settings: { url: 'https://hooks.customer.example/deploy' } });
      const refused = await checkEgress(customer, bindProvider(customer)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(EgressNotAllowedError);
      expect(refused).toMatchObject({ code: 'EGRESS_NOT_ALLOWED', origins: ['https://hooks.customer.example'] });
      expect((refused as Error).message).toMatch(
        /^Deploy Relay may not call hooks\.customer\.example yet: a workspace admin must approve it\./,
      );
    });
  });
});

describe('Forge’s own egress refusals, in the app’s terms', () => {
  const answering = (status: number, headers: Record<string, string>) => () => Promise.resolve(new Response('', { status, headers }));
  const client = (fetch: FetchLike) =>
    createHttpClient({
      fetch: withEgressRefusals(fetch),
      timeoutMs: 300,
      log: createLogger(() => undefined),
      userAgent: 'DeployRelay/test',
    });
  const send = (fetch: FetchLike) =>
    client(fetch)
      .send({ method: 'POST', url: 'https://dokploy.example.com/api' })
      .catch((e: unknown) => e);

  it('takes a 403 that Forge’s proxy marks as blocked egress, or a thrown egress refusal, as a refusal a workspace admin can lift', async () => {
    const blocked = await send(answering(403, { 'forge-proxy-error': 'BLOCKED_EGRESS' }));
    expect(blocked).toBeInstanceOf(EgressNotAllowedError);
    expect(blocked).toMatchObject({ origins: ['https://dokploy.example.com'] });
    // A vendor's own 403 stays the vendor's answer.
    expect(await send(answering(403, {}))).toBeInstanceOf(HttpRejected);
    const thrown = () =>
      Promise.reject(
        Object.assign(new Error('URL not included in the external fetch backend permissions'), { name: 'REQUEST_EGRESS_ALLOWLIST_ERR' }),
      );
    expect(await send(thrown)).toMatchObject({ code: 'EGRESS_NOT_ALLOWED', origins: ['https://dokploy.example.com'] });
  });
});
