import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { dokployProvider, type DokploySettings } from '../../src/providers/dokploy';
import { DOKPLOY_DEPLOYMENT_STATES, dokployState } from '../../src/providers/dokploy/states';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { dokployDeployRequests } from '../fixtures/vendors/dokploy';
import { loopbackVendor, type Reply, type Seen } from './loopback-vendor';

const API_KEY = 'dkp-SECRET-5a4b3c2d1e';
const HASH = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const NOW = Date.parse('2026-11-20T10:16:40.000Z');
const HANDLE = 'a1b2c3d@2026-11-20T10:16:40.000Z';

const job = makeDeployJob({
  deliveryId: 'dlv-dokploy-1',
  jobKey: 'job-1',
  repository: { uuid: '{repo}', workspaceUuid: '{ws}' },
  targetId: 'dokploy-prod',
  commit: { hash: HASH, message: 'Ship the new checkout\n\nDetails stay home.', author: 'Ada', date: null },
  actor: { accountId: null, uuid: null },
  pushedAt: null,
  createdAt: 0,
});

describe('the Dokploy provider', () => {
  let reply: (seen: Seen) => Reply = () => ({ status: 200 });
  const vendor = loopbackVendor((request) => reply(request));
  const { direct: http, seen, lines } = vendor;

  const callWith = (
    raw: Record<string, unknown> = {},
    secrets: Record<string, string> = { apiKey: API_KEY },
  ): DeployCall<DokploySettings> => ({
    job,
    target: makeTarget({ id: 'dokploy-prod', provider: 'dokploy' }),
    settings: dokployProvider.settingsSchema.parse({ baseUrl: `${vendor.base}/`, kind: 'application', resourceId: 'app_Xy12-ab', ...raw }),
    secrets,
    repository: { uuid: '{repo}', workspaceUuid: '{ws}', fullName: 'acme/web' },
    http,
    log: createLogger(() => undefined),
    now: () => NOW,
  });
  const deployment = (title: string, status: string | null, createdAt: string, errorMessage: string | null = null) => ({
    deploymentId: `dep-${createdAt}`,
    title,
    description: null,
    status,
    logPath: '/etc/dokploy/logs/x.log',
    applicationId: 'app_Xy12-ab',
    createdAt,
    errorMessage,
  });

  it('queues an application deploy titled with the short hash and hands back a handle to find it', async () => {
    reply = () => ({ status: 200, body: true });
    const result = await dokployProvider.start(callWith());
    expect(result).toEqual({
      state: 'in_progress',
      message: 'Dokploy queued the deploy of the application ("Deploy Relay: a1b2c3d")',
      vendorId: HANDLE,
      url: null,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    // The trailing slash of the address does not double up.
    expect(seen[0]?.target).toBe('/api/application.deploy');
    expect(seen[0]?.headers['x-api-key']).toBe(API_KEY);
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(dokployDeployRequests['/application.deploy']);
  });

  it('queues a compose deploy with composeId', async () => {
    reply = () => ({ status: 200, body: true });
    const result = await dokployProvider.start(callWith({ kind: 'compose', resourceId: 'cmp_77' }));
    expect(result.message).toBe('Dokploy queued the deploy of the compose service ("Deploy Relay: a1b2c3d")');
    expect(seen[0]?.target).toBe('/api/compose.deploy');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(dokployDeployRequests['/compose.deploy']);
  });

  it('follows the newest deployment with our title created since the request, ignoring older and foreign ones', async () => {
    reply = () => ({
      status: 200,
      body: [
        deployment('Manual deployment', 'running', '2026-11-20T10:17:30.000Z'),
        deployment('Deploy Relay: a1b2c3d', 'error', '2026-11-20T10:17:05.000Z', 'Dockerfile not found'),
        deployment('Deploy Relay: a1b2c3d', 'done', '2026-11-20T09:00:00.000Z'),
      ],
    });
    const result = await dokployProvider.status?.(callWith(), HANDLE);
    expect(result).toEqual({ state: 'failed', message: 'Dokploy deployment error: Dockerfile not found', url: null });
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.target).toBe('/api/deployment.all?applicationId=app_Xy12-ab');
    expect(seen[0]?.headers['x-api-key']).toBe(API_KEY);
  });

  it('reports a deploy that Dokploy has not started yet as in progress', async () => {
    reply = () => ({ status: 200, body: [deployment('Deploy Relay: a1b2c3d', 'done', '2026-11-20T09:00:00.000Z')] });
    expect(await dokployProvider.status?.(callWith(), HANDLE)).toEqual({
      state: 'in_progress',
      message: 'Dokploy has not started "Deploy Relay: a1b2c3d" yet (queued)',
      url: null,
    });
  });

  it('lists compose deployments with deployment.allByCompose', async () => {
    reply = () => ({ status: 200, body: [deployment('Deploy Relay: a1b2c3d', 'done', '2026-11-20T10:16:50.000Z')] });
    const result = await dokployProvider.status?.(callWith({ kind: 'compose', resourceId: 'cmp_77' }), HANDLE);
    expect(result).toEqual({ state: 'succeeded', message: 'Dokploy deployment done', url: null });
    expect(seen[0]?.target).toBe('/api/deployment.allByCompose?composeId=cmp_77');
  });

  it('maps every deployment status, a null one and an unknown one', () => {
    expect(Object.fromEntries(DOKPLOY_DEPLOYMENT_STATES)).toEqual({
      running: 'in_progress',
      done: 'succeeded',
      error: 'failed',
      cancelled: 'canceled',
    });
    expect(dokployState(null)).toBe('in_progress');
    expect(dokployState('paused')).toBe('in_progress');
    expect(dokployState('toString')).toBe('in_progress');
  });

  it('refuses a handle it did not make', async () => {
    await expect(dokployProvider.status?.(callWith(), 'deployment-42')).rejects.toThrow(
      '"deployment-42" is not a Dokploy deploy handle from this app',
    );
    expect(seen).toHaveLength(0);
  });

  it("surfaces Dokploy's message on a 4xx, without the key", async () => {
    reply = () => ({ status: 404, body: { code: 'NOT_FOUND', message: `Application not found for key ${API_KEY}`, issues: [] } });
    const error = await dokployProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toBe(
      `POST ${vendor.base}/api/application.deploy answered 404: Application not found for key [redacted]`,
    );
    expect(lines.join('\n')).not.toContain(API_KEY);
  });

  it('turns a 429 into a retryable fault', async () => {
    reply = () => ({ status: 429, body: { message: 'Too many requests' } });
    await expect(dokployProvider.start(callWith())).rejects.toBeInstanceOf(HttpFault);
  });

  it('verifies with application.one and reports a refusal as not ok', async () => {
    reply = () => ({ status: 200, body: { applicationId: 'app_Xy12-ab', name: 'checkout', applicationStatus: 'done' } });
    expect(await dokployProvider.verify(callWith())).toEqual({
      ok: true,
      shapeOnly: false,
      message: 'The API key can read the Dokploy application "checkout".',
    });
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual(['GET /api/application.one?applicationId=app_Xy12-ab']);
    reply = () => ({ status: 401, body: { code: 'UNAUTHORIZED', message: 'Unauthorized' } });
    expect(await dokployProvider.verify(callWith({ kind: 'compose', resourceId: 'cmp_77' }))).toEqual({
      ok: false,
      shapeOnly: false,
      message: `GET ${vendor.base}/api/compose.one answered 401: Unauthorized`,
    });
    expect(seen[1]?.target).toBe('/api/compose.one?composeId=cmp_77');
  });

  it('refuses a missing API key before sending anything', async () => {
    await expect(dokployProvider.start(callWith({}, {}))).rejects.toThrow(
      "The Dokploy API key is not set: add it to the target's secrets.",
    );
    expect(seen).toHaveLength(0);
  });

  it.each([
    [{ baseUrl: 'http://dokploy.example.com' }, 'baseUrl: must start with https://'],
    [
      { baseUrl: 'https://admin:pw@dokploy.example.com' },
      'baseUrl: must not contain a user name or password: the API key goes in its own field',
    ],
    [{ baseUrl: 'https://dokploy.example.com/api' }, 'baseUrl: must be the address of the instance without /api at the end'],
    [{ baseUrl: 'https://dokploy.example.com/?x=1' }, 'baseUrl: must not contain ? or #'],
    [{ baseUrl: 'dokploy.example.com' }, 'baseUrl: must be the address of your Dokploy instance, such as https://dokploy.example.com'],
    [{ kind: 'stack' }, 'kind: must be "application" or "compose"'],
    [{ resourceId: 'my app' }, "resourceId: must be the id from the resource's URL in Dokploy (letters, digits, _ and -)"],
    [{ resourceId: '' }, 'resourceId: the application or compose id is required'],
    [{ baseUrl: '' }, 'baseUrl: the address of your Dokploy instance is required'],
  ])('refuses bad settings %j clearly', (override, message) => {
    const result = dokployProvider.settingsSchema.safeParse({
      baseUrl: 'https://dokploy.example.com',
      kind: 'application',
      resourceId: 'app1',
      ...override,
    });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toEqual([message]);
  });

  it('calls only the instance host and lists every setting and secret as a field', () => {
    const settings = dokployProvider.settingsSchema.parse({
      baseUrl: 'https://deploy.acme.dev/dokploy/',
      kind: 'application',
      resourceId: 'a',
    });
    expect(settings.baseUrl).toBe('https://deploy.acme.dev/dokploy');
    expect(dokployProvider.hosts(settings)).toEqual(['deploy.acme.dev']);
    expect(dokployProvider.fields.map((f) => [f.key, f.kind, f.secret])).toEqual([
      ['baseUrl', 'url', false],
      ['kind', 'select', false],
      ['resourceId', 'text', false],
      ['apiKey', 'text', true],
    ]);
    expect(dokployProvider.fields[1]?.options?.map((o) => o.value)).toEqual(['application', 'compose']);
  });
});
