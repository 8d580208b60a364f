import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { coolifyProvider, type CoolifySettings } from '../../src/providers/coolify';
import { COOLIFY_DEPLOYMENT_STATES, coolifyState } from '../../src/providers/coolify/states';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob, makePreviewJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, type Reply, type Seen } from './loopback-vendor';

const TOKEN = '3|cool-SECRET-abcdef123456';
const APP = 'k8s0w4cgg4wgo0cs8kk4sc0o';
const DEPLOYMENT = 'ds8wc4o0s8ok4c4c48k0kk8w';

const job = makeDeployJob({
  deliveryId: 'dlv-coolify-1',
  jobKey: 'job-1',
  repository: { uuid: '{repo}', workspaceUuid: '{ws}' },
  targetId: 'coolify-prod',
  commit: { hash: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', message: 'Ship it', author: 'Ada', date: null },
  actor: { accountId: null, uuid: null },
  pushedAt: null,
  createdAt: 0,
});

describe('the Coolify provider', () => {
  let reply: (seen: Seen) => Reply = () => ({ status: 200 });
  const vendor = loopbackVendor((request) => reply(request));
  const { direct: http, seen, lines } = vendor;

  const callWith = (
    raw: Record<string, unknown> = {},
    secrets: Record<string, string> = { token: TOKEN },
  ): DeployCall<CoolifySettings> => ({
    job,
    target: makeTarget({ id: 'coolify-prod', provider: 'coolify' }),
    settings: coolifyProvider.settingsSchema.parse({ baseUrl: vendor.base, resourceUuid: APP, ...raw }),
    secrets,
    repository: { uuid: '{repo}', workspaceUuid: '{ws}', fullName: 'acme/web' },
    http,
    log: createLogger(() => undefined),
    now: () => 1_763_633_800_000,
  });

  it('posts a deploy by uuid with force and follows the deployment it names', async () => {
    reply = () => ({
      status: 200,
      body: { deployments: [{ message: 'Application checkout deployment queued.', resource_uuid: APP, deployment_uuid: DEPLOYMENT }] },
    });
    const result = await coolifyProvider.start(callWith({ force: true }));
    expect(result).toEqual({
      state: 'in_progress',
      message: 'Coolify: Application checkout deployment queued.',
      vendorId: DEPLOYMENT,
      url: null,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.target).toBe(`/api/v1/deploy?uuid=${APP}&force=true`);
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]?.body).toBe('');
  });

  it('sends force=false when the setting is left out', async () => {
    reply = () => ({ status: 200, body: { deployments: [{ message: 'queued', resource_uuid: APP, deployment_uuid: DEPLOYMENT }] } });
    await coolifyProvider.start(callWith());
    expect(seen[0]?.target).toBe(`/api/v1/deploy?uuid=${APP}&force=false`);
  });

  it('fails clearly when Coolify answers 200 but starts nothing', async () => {
    reply = () => ({ status: 200, body: { message: 'No resources found.', deployments: [] } });
    const error = await coolifyProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toBe(`Coolify started no deployment for ${APP}: No resources found.`);
  });

  it('maps every deployment status, and an unknown one to in progress', async () => {
    expect(Object.fromEntries(COOLIFY_DEPLOYMENT_STATES)).toEqual({
      queued: 'in_progress',
      in_progress: 'in_progress',
      finished: 'succeeded',
      failed: 'failed',
      'cancelled-by-user': 'canceled',
    });
    expect(coolifyState('paused')).toBe('in_progress');
    expect(coolifyState('__proto__')).toBe('in_progress');
    const page = `/project/p1/environment/e1/application/${APP}/deployment/${DEPLOYMENT}`;
    reply = () => ({
      status: 200,
      body: { id: 7, deployment_uuid: DEPLOYMENT, status: 'finished', deployment_url: page, commit: 'a1b2c3d' },
    });
    expect(await coolifyProvider.status?.(callWith(), DEPLOYMENT)).toEqual({
      state: 'succeeded',
      message: 'Coolify deployment finished',
      url: `${vendor.base}${page}`,
    });
    reply = () => ({
      status: 200,
      body: { deployment_uuid: DEPLOYMENT, status: 'cancelled-by-user', deployment_url: '//evil.example.com/x' },
    });
    expect(await coolifyProvider.status?.(callWith(), DEPLOYMENT)).toEqual({
      state: 'canceled',
      message: 'Coolify deployment cancelled-by-user',
      url: null,
    });
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual([
      `GET /api/v1/deployments/${DEPLOYMENT}`,
      `GET /api/v1/deployments/${DEPLOYMENT}`,
    ]);
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("surfaces Coolify's message on a 4xx, without the token", async () => {
    reply = () => ({ status: 401, body: { message: `Unauthenticated. (${TOKEN})` } });
    const error = await coolifyProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toBe(`POST ${vendor.base}/api/v1/deploy answered 401: Unauthenticated. ([redacted])`);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('queues the preview of a pull request with its pr, and removes it with the preview delete', async () => {
    const previews = coolifyProvider.previews!;
    reply = () => ({
      status: 200,
      body: { deployments: [{ message: 'Preview queued.', resource_uuid: APP, deployment_uuid: DEPLOYMENT }] },
    });
    const made = await previews.deploy({ ...callWith(), job: makePreviewJob('deploy') });
    reply = () => ({ status: 200, body: { message: 'Preview deletion queued.' } });
    const removed = await previews.teardown({ ...callWith(), job: makePreviewJob('teardown') });
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual([
      `POST /api/v1/deploy?uuid=${APP}&force=false&pr=7`,
      `DELETE /api/v1/applications/${APP}/previews/7`,
    ]);
    expect(seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    expect(made).toEqual({ state: 'in_progress', message: 'Coolify: Preview queued.', vendorId: DEPLOYMENT, url: null });
    expect(removed).toEqual({ state: 'succeeded', message: 'Coolify: Preview deletion queued.', vendorId: null, url: null });
  });

  it('records a teardown Coolify has no preview for as done, and fails one it refuses with its words', async () => {
    const teardown = () => coolifyProvider.previews!.teardown({ ...callWith(), job: makePreviewJob('teardown') });
    reply = () => ({ status: 404, body: { message: 'Preview not found.' } });
    expect(await teardown()).toEqual({
      state: 'succeeded',
      message: 'Coolify has no preview of pull request #7 to remove',
      vendorId: null,
      url: null,
    });
    reply = () => ({ status: 401, body: { message: 'Unauthenticated.' } });
    const error = await teardown().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toMatch(/answered 401: Unauthenticated\.$/);
  });

  it('turns a 429 into a retryable fault that carries Retry-After', async () => {
    reply = () => ({ status: 429, headers: { 'retry-after': '60' }, body: { message: 'Rate limit exceeded. Please try again later.' } });
    const error = await coolifyProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpFault);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: 60 });
  });

  it('verifies with a read of the application and reports a refusal as not ok', async () => {
    reply = () => ({ status: 200, body: { uuid: APP, name: 'checkout', status: 'running:healthy' } });
    expect(await coolifyProvider.verify(callWith())).toEqual({
      ok: true,
      shapeOnly: false,
      message: 'The token can read the Coolify application "checkout".',
    });
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual([`GET /api/v1/applications/${APP}`]);
    reply = () => ({ status: 404, body: { message: 'Application not found.' } });
    expect(await coolifyProvider.verify(callWith())).toEqual({
      ok: false,
      shapeOnly: false,
      message: `GET ${vendor.base}/api/v1/applications/${APP} answered 404: Application not found.`,
    });
  });

  it('refuses a missing token before sending anything', async () => {
    await expect(coolifyProvider.start(callWith({}, {}))).rejects.toThrow(
      "The Coolify API token is not set: add it to the target's secrets.",
    );
    expect(seen).toHaveLength(0);
  });

  it.each([
    [{ baseUrl: 'http://coolify.example.com' }, 'baseUrl: must start with https://'],
    [
      { baseUrl: 'https://root:pw@coolify.example.com' },
      'baseUrl: must not contain a user name or password: the token goes in its own field',
    ],
    [{ baseUrl: 'https://coolify.example.com/api/v1/' }, 'baseUrl: must be the address of the instance without /api/v1 at the end'],
    [{ baseUrl: 'https://coolify.example.com#x' }, 'baseUrl: must not contain ? or #'],
    [{ resourceUuid: 'app uuid' }, "resourceUuid: must be the application's UUID as Coolify shows it (letters and digits)"],
    [{ force: 'yes' }, 'force: must be true or false'],
    [{ resourceUuid: '' }, 'resourceUuid: the application UUID is required'],
    [{ baseUrl: '  ' }, 'baseUrl: the address of your Coolify instance is required'],
  ])('refuses bad settings %j clearly', (override, message) => {
    const result = coolifyProvider.settingsSchema.safeParse({ baseUrl: 'https://coolify.example.com', resourceUuid: APP, ...override });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toEqual([message]);
  });

  it('calls only the instance host and lists every setting and secret as a field', () => {
    const settings = coolifyProvider.settingsSchema.parse({ baseUrl: 'https://coolify.acme.dev///', resourceUuid: APP });
    expect(settings).toEqual({ baseUrl: 'https://coolify.acme.dev', resourceUuid: APP, force: false });
    expect(coolifyProvider.hosts(settings)).toEqual(['coolify.acme.dev']);
    expect(coolifyProvider.fields.map((f) => [f.key, f.kind, f.secret])).toEqual([
      ['baseUrl', 'url', false],
      ['resourceUuid', 'text', false],
      ['force', 'boolean', false],
      ['token', 'text', true],
    ]);
  });
});
