import { InvalidInputError } from '../../src/core/errors';
import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { type DigitalOceanSettings, digitalOceanProvider as provider } from '../../src/providers/digitalocean';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { appAnswer, DEPLOYMENT_ID, failedDeploymentAnswer, pendingDeploymentAnswer } from '../fixtures/vendors/digitalocean';
import { loopbackVendor, refusal, type Reply, type Seen } from './loopback-vendor';

let answer: (seen: Seen) => Reply = () => ({ status: 200, body: {} });
const { http, seen, lines } = loopbackVendor((request) => answer(request));

const APP_ID = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

const job = makeDeployJob({ targetId: 'do-prod' });

function settingsOf(raw: Record<string, unknown>): DigitalOceanSettings {
  const result = provider.settingsSchema.safeParse(raw);
  if (!result.success) throw new Error(describeIssues(result.error).join('; '));
  return result.data;
}

function callWith(
  raw: Record<string, unknown> = { appId: APP_ID },
  secrets: Record<string, string> = { token: TOKEN },
): DeployCall<DigitalOceanSettings> {
  return {
    job,
    target: makeTarget({ id: 'do-prod', provider: 'digitalocean', environment: 'production', settings: {} }),
    settings: settingsOf(raw),
    secrets,
    repository: { uuid: job.repository.uuid, workspaceUuid: job.repository.workspaceUuid, fullName: 'acme/web' },
    http,
    log: createLogger((line) => lines.push(line), {}, Object.values(secrets)),
    now: () => 1_763_633_800_000,
  };
}

const deploymentWith = (overrides: Record<string, unknown>) => ({ deployment: { ...pendingDeploymentAnswer.deployment, ...overrides } });

describe('finding the deploy of a request whose answer was lost', () => {
  const SENT_AT = Date.parse('2026-11-20T10:16:00Z');
  const listed = (...deployments: Record<string, unknown>[]) => ({
    status: 200,
    body: { deployments, links: {}, meta: { total: deployments.length } },
  });

  it('lists the app’s newest deployments and takes the first created after the request left', async () => {
    answer = () =>
      listed(
        { id: 'later', phase: 'BUILDING', created_at: '2026-11-20T10:16:09Z' },
        { id: 'ours', phase: 'PENDING_BUILD', created_at: '2026-11-20T10:16:01Z' },
        { id: 'older', phase: 'ACTIVE', created_at: '2026-11-20T10:10:00Z' },
      );
    const found = await provider.findDeploy?.(callWith(), { commit: job.commit.hash, sentAt: SENT_AT });
    expect(seen.map((s) => s.target)).toEqual([`/v2/apps/${APP_ID}/deployments?page=1&per_page=20`]);
    expect(found).toMatchObject({ state: 'in_progress', vendorId: 'ours' });
  });

  it('prefers a deployment that built the pushed commit', async () => {
    answer = () =>
      listed(
        {
          id: 'built-it',
          phase: 'BUILDING',
          created_at: '2026-11-20T10:16:09Z',
          services: [{ name: 'web', source_commit_hash: job.commit.hash }],
        },
        { id: 'first', phase: 'BUILDING', created_at: '2026-11-20T10:16:01Z' },
      );
    expect(await provider.findDeploy?.(callWith(), { commit: job.commit.hash, sentAt: SENT_AT })).toMatchObject({ vendorId: 'built-it' });
  });

  it('finds nothing when every deployment is older than the request', async () => {
    answer = () => listed({ id: 'older', phase: 'ACTIVE', created_at: '2026-11-20T10:10:00Z' });
    expect(await provider.findDeploy?.(callWith(), { commit: job.commit.hash, sentAt: SENT_AT })).toBeNull();
  });
});

describe('the DigitalOcean App Platform provider', () => {
  it('starts a deployment with the token and force_build false by default, and follows its id', async () => {
    answer = () => ({ status: 200, body: pendingDeploymentAnswer });
    const result = await provider.start(callWith());
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      origin: 'https://api.digitalocean.com',
      method: 'POST',
      path: `/v2/apps/${APP_ID}/deployments`,
      query: {},
    });
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ force_build: false });
    expect(result).toEqual({
      state: 'in_progress',
      vendorId: DEPLOYMENT_ID,
      url: `https://cloud.digitalocean.com/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`,
      message: 'DigitalOcean deployment PENDING_BUILD, 0 of 6 steps done',
    });
  });

  it('sends force_build true when the setting asks for a fresh build', async () => {
    answer = () => ({ status: 200, body: pendingDeploymentAnswer });
    await provider.start(callWith({ appId: APP_ID, forceBuild: true }));
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ force_build: true });
  });

  it('records an accepted deploy whose answer cannot be read as requested, without a vendor id', async () => {
    answer = () => ({ status: 200, body: { deployment: { phase: 'PENDING_BUILD' } } });
    const result = await provider.start(callWith());
    expect(result).toEqual({
      state: 'requested',
      vendorId: null,
      url: null,
      message: 'DigitalOcean accepted the deploy (200), but its answer could not be read, so it is not followed',
    });
  });

  it('surfaces a 4xx with DigitalOcean’s own message as a refusal', async () => {
    answer = () => ({ status: 404, body: { id: 'not_found', message: 'The resource you requested could not be found.' } });
    const error = refusal(await provider.start(callWith()).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(HttpRejected);
    expect(error.message).toBe(
      `POST https://api.digitalocean.com/v2/apps/${APP_ID}/deployments answered 404: The resource you requested could not be found.`,
    );
  });

  it('turns a 429 into a retryable fault that carries Retry-After', async () => {
    answer = () => ({
      status: 429,
      body: { id: 'too_many_requests', message: 'API rate limit exceeded.' },
      headers: { 'retry-after': '30', 'ratelimit-remaining': '0' },
    });
    const error = await provider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpFault);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: 30 });
  });

  it('refuses to start without a token, before sending anything', async () => {
    const error = refusal(await provider.start(callWith({ appId: APP_ID }, {})).catch((e: unknown) => e));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe("A DigitalOcean API token is not set: add it to the target's secrets.");
    expect(seen).toHaveLength(0);
  });

  it('never puts the token in a thrown message or a log line, even when DigitalOcean echoes it', async () => {
    answer = () => ({ status: 401, body: { id: 'unauthorized', message: `Unable to authenticate you with ${TOKEN}.` } });
    const error = refusal(await provider.start(callWith()).catch((e: unknown) => e));
    expect(error.message).toBe(
      `POST https://api.digitalocean.com/v2/apps/${APP_ID}/deployments answered 401: Unable to authenticate you with [redacted].`,
    );
    const status = refusal(await provider.status?.(callWith(), DEPLOYMENT_ID).catch((e: unknown) => e));
    expect(status.message).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  describe('status', () => {
    it('reads the deployment by id with the token', async () => {
      answer = () => ({ status: 200, body: deploymentWith({ phase: 'ACTIVE', progress: { success_steps: 6, total_steps: 6 } }) });
      const result = await provider.status?.(callWith(), DEPLOYMENT_ID);
      expect(seen[0]).toMatchObject({
        origin: 'https://api.digitalocean.com',
        method: 'GET',
        path: `/v2/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`,
        query: {},
        body: '',
      });
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(result).toEqual({
        state: 'succeeded',
        message: 'DigitalOcean deployment ACTIVE, 6 of 6 steps done',
        url: `https://cloud.digitalocean.com/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`,
      });
    });

    it.each([
      ['UNKNOWN', 'in_progress'],
      ['PENDING_BUILD', 'in_progress'],
      ['BUILDING', 'in_progress'],
      ['PENDING_DEPLOY', 'in_progress'],
      ['DEPLOYING', 'in_progress'],
      ['ACTIVE', 'succeeded'],
      ['SUPERSEDED', 'superseded'],
      ['ERROR', 'failed'],
      ['CANCELED', 'canceled'],
    ])('maps phase %s to %s', async (phase, state) => {
      answer = () => ({ status: 200, body: deploymentWith({ phase }) });
      expect(await provider.status?.(callWith(), DEPLOYMENT_ID)).toMatchObject({ state });
    });

    it('keeps following a phase it does not know, and says so', async () => {
      answer = () => ({ status: 200, body: deploymentWith({ phase: 'ROLLING_BACK', progress: undefined }) });
      expect(await provider.status?.(callWith(), DEPLOYMENT_ID)).toEqual({
        state: 'in_progress',
        message: 'DigitalOcean deployment ROLLING_BACK: a phase Deploy Relay does not know yet, still following it',
        url: `https://cloud.digitalocean.com/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`,
      });
    });

    it('names the failed step and DigitalOcean’s reason', async () => {
      answer = () => ({ status: 200, body: failedDeploymentAnswer });
      expect(await provider.status?.(callWith(), DEPLOYMENT_ID)).toMatchObject({
        state: 'failed',
        message: 'DigitalOcean deployment ERROR, 1 of 6 steps done (Deploying service web: health check failed on port 8080)',
      });
    });
  });

  describe('verify', () => {
    it('reads the app with GET only and names it', async () => {
      answer = () => ({ status: 200, body: appAnswer });
      const result = await provider.verify(callWith());
      expect(seen.map((s) => [s.method, s.path])).toEqual([['GET', `/v2/apps/${APP_ID}`]]);
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(result).toEqual({
        ok: true,
        shapeOnly: false,
        message: 'The token can read the app acme-web (https://acme-web-q7k2m.ondigitalocean.app). Nothing was deployed.',
      });
    });

    it('answers "no" with DigitalOcean’s words when the token is refused', async () => {
      answer = () => ({ status: 401, body: { id: 'unauthorized', message: 'Unable to authenticate you.' } });
      expect(await provider.verify(callWith())).toEqual({
        ok: false,
        shapeOnly: false,
        message: `DigitalOcean refused the credentials: GET https://api.digitalocean.com/v2/apps/${APP_ID} answered 401: Unable to authenticate you.`,
      });
    });

    it('throws a fault rather than a verdict when DigitalOcean is unavailable', async () => {
      answer = () => ({ status: 503, body: { id: 'server_error', message: 'Unexpected server-side error' } });
      await expect(provider.verify(callWith())).rejects.toMatchObject({ kind: 'server_error', status: 503 });
    });
  });

  describe('settings', () => {
    const issues = (raw: Record<string, unknown>): string[] => {
      const result = provider.settingsSchema.safeParse(raw);
      return result.success ? [] : describeIssues(result.error);
    };

    it('accepts an app id with surrounding spaces and defaults force build to off', () => {
      expect(settingsOf({ appId: ` ${APP_ID} ` })).toEqual({ appId: APP_ID, forceBuild: false });
    });

    it.each([
      [{}, 'appId: the app ID is required'],
      [
        { appId: 'my-app' },
        "appId: must be the app's ID, a UUID such as 4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf (the part after /apps/ in the app's control-panel URL)",
      ],
      [{ appId: APP_ID, forceBuild: 'yes' }, 'forceBuild: must be true or false'],
    ])('refuses %j with a message a person can act on', (raw, message) => {
      expect(issues(raw)).toEqual([message]);
    });

    it('calls only api.digitalocean.com', () => {
      expect(provider.hosts(settingsOf({ appId: APP_ID }))).toEqual(['api.digitalocean.com']);
    });

    it('declares every setting and secret, the token as a secret', () => {
      expect(provider.fields.map((f) => [f.key, f.kind, f.required, f.secret])).toEqual([
        ['appId', 'text', true, false],
        ['forceBuild', 'boolean', false, false],
        ['token', 'text', true, true],
      ]);
    });
  });
});
