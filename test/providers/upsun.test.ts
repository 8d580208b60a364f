import { InvalidInputError } from '../../src/core/errors';
import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { resolveUpsunSettings, upsunProvider, type UpsunSettings } from '../../src/providers/upsun';
import { UPSUN_ACTIVITY_STATES, upsunState } from '../../src/providers/upsun/states';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob, makePreviewJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, type Reply, type Seen } from './loopback-vendor';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const BEARER = 'upsun-BEARER-7f7f7f7f7f';
const ACTIVITY = 'ykhcmw5f4ctwq';
const PROJECT = 'abcdefgh1234567';

const job = makeDeployJob({
  deliveryId: 'dlv-upsun-1',
  jobKey: 'job-1',
  repository: { uuid: '{repo}', workspaceUuid: '{ws}' },
  targetId: 'upsun-main',
  commit: { hash: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', message: 'Ship it', author: 'Ada', date: null },
  actor: { accountId: null, uuid: null },
  pushedAt: null,
  createdAt: 0,
});

let tokens = 0;
/** The bearer cache lives for the module: each test gets its own API token unless it tests the cache. */
const freshToken = (): string => `upsun-API-SECRET-${(tokens += 1)}-0123456789`;

describe('the Upsun provider', () => {
  const issued: Reply = { status: 200, body: { access_token: BEARER, expires_in: 900, token_type: 'bearer' } };
  let tokenReply: Reply = issued;
  let reply: (seen: Seen) => Reply = () => ({ status: 200 });
  const vendor = loopbackVendor((request) => (request.path === '/oauth2/token' ? tokenReply : reply(request)));
  const { http, seen, lines, outbound } = vendor;
  beforeEach(() => {
    tokenReply = issued;
  });

  const settingsOf = (raw: Record<string, unknown> = {}): UpsunSettings =>
    upsunProvider.settingsSchema.parse({ projectId: PROJECT, environment: 'main', action: 'redeploy', ...raw });
  const callWith = (settings: UpsunSettings, apiToken: string, now = T0): DeployCall<UpsunSettings> => ({
    job,
    target: makeTarget({ id: 'upsun-main', provider: 'upsun' }),
    settings,
    secrets: { apiToken },
    repository: { uuid: '{repo}', workspaceUuid: '{ws}', fullName: 'acme/web' },
    http,
    log: createLogger(() => undefined),
    now: () => now,
  });
  const accepted = (activities: unknown[]) => ({ status: 'OK', code: 202, _embedded: { activities } });
  const activity = (state: string, result: string | null, type = 'environment.redeploy') => ({
    id: ACTIVITY,
    type,
    state,
    result,
    text: 'Ada redeployed environment main',
  });

  it('exchanges the API token for a bearer, redeploys and follows the started activity', async () => {
    const apiToken = freshToken();
    reply = () => ({ status: 202, body: accepted([activity('pending', null)]) });
    const result = await upsunProvider.start(callWith(settingsOf(), apiToken));
    expect(result).toEqual({
      state: 'in_progress',
      message: `Upsun started the redeploy (activity ${ACTIVITY}, pending)`,
      vendorId: ACTIVITY,
      url: null,
    });
    expect(outbound).toEqual([
      'https://auth.upsun.com/oauth2/token',
      `https://api.upsun.com/projects/${PROJECT}/environments/main/redeploy`,
    ]);
    const [auth, redeploy] = seen;
    expect(auth?.method).toBe('POST');
    expect(auth?.headers.authorization).toBe(`Basic ${Buffer.from('platform-api-user:').toString('base64')}`);
    expect(auth?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(auth?.body))).toEqual({ grant_type: 'api_token', api_token: apiToken });
    expect(redeploy?.method).toBe('POST');
    expect(redeploy?.target).toBe(`/projects/${PROJECT}/environments/main/redeploy`);
    expect(redeploy?.headers.authorization).toBe(`Bearer ${BEARER}`);
    expect(redeploy?.body).toBe('');
    expect(lines.join('\n')).not.toContain(apiToken);
    expect(lines.join('\n')).not.toContain(BEARER);
  });

  it('exchanges the token once for two calls, and again once the bearer is about to expire', async () => {
    const apiToken = freshToken();
    reply = () => ({ status: 200, body: activity('in_progress', null) });
    await upsunProvider.status?.(callWith(settingsOf(), apiToken, T0), ACTIVITY);
    await upsunProvider.status?.(callWith(settingsOf(), apiToken, T0 + 100_000), ACTIVITY);
    expect(seen.map((s) => s.target)).toEqual([
      '/oauth2/token',
      `/projects/${PROJECT}/activities/${ACTIVITY}`,
      `/projects/${PROJECT}/activities/${ACTIVITY}`,
    ]);
    // expires_in 900 s: renewed a minute early, at 840 s.
    await upsunProvider.status?.(callWith(settingsOf(), apiToken, T0 + 839_000), ACTIVITY);
    expect(seen.filter((s) => s.target === '/oauth2/token')).toHaveLength(1);
    await upsunProvider.status?.(callWith(settingsOf(), apiToken, T0 + 840_000), ACTIVITY);
    expect(seen.map((s) => s.target).filter((p) => p === '/oauth2/token')).toHaveLength(2);
    expect(seen).toHaveLength(6);
  });

  it('shares one exchange between concurrent calls', async () => {
    const apiToken = freshToken();
    reply = () => ({ status: 200, body: activity('in_progress', null) });
    await Promise.all([
      upsunProvider.status?.(callWith(settingsOf(), apiToken), ACTIVITY),
      upsunProvider.status?.(callWith(settingsOf(), apiToken), ACTIVITY),
    ]);
    expect(seen.filter((s) => s.target === '/oauth2/token')).toHaveLength(1);
    expect(seen).toHaveLength(3);
  });

  it('drops the cached bearer after a 401, so the next call exchanges the token again', async () => {
    const apiToken = freshToken();
    reply = () => ({ status: 401, body: { status: 'error', code: 401, message: 'Invalid access token' } });
    const error = await upsunProvider.status?.(callWith(settingsOf(), apiToken), ACTIVITY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    reply = () => ({ status: 200, body: activity('in_progress', null) });
    await upsunProvider.status?.(callWith(settingsOf(), apiToken), ACTIVITY);
    expect(seen.map((s) => s.target)).toEqual([
      '/oauth2/token',
      `/projects/${PROJECT}/activities/${ACTIVITY}`,
      '/oauth2/token',
      `/projects/${PROJECT}/activities/${ACTIVITY}`,
    ]);
  });

  it('deploys staged changes with the chosen strategy, and with an empty body when none is chosen', async () => {
    reply = () => ({ status: 202, body: accepted([activity('in_progress', null, 'environment.deploy')]) });
    const result = await upsunProvider.start(callWith(settingsOf({ action: 'deploy', strategy: 'rolling' }), freshToken()));
    expect(result.message).toBe(`Upsun started the deploy (activity ${ACTIVITY}, in_progress)`);
    expect(seen[1]?.target).toBe(`/projects/${PROJECT}/environments/main/deploy`);
    expect(seen[1]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ strategy: 'rolling' });
    await upsunProvider.start(callWith(settingsOf({ action: 'deploy', strategy: '' }), freshToken()));
    expect(JSON.parse(seen[3]?.body ?? '')).toEqual({});
  });

  it('runs a source operation by name', async () => {
    reply = () => ({ status: 202, body: accepted([activity('pending', null, 'environment.source-operation')]) });
    await upsunProvider.start(callWith(settingsOf({ action: 'source-operation', sourceOperation: 'update-deps' }), freshToken()));
    expect(seen[1]?.target).toBe(`/projects/${PROJECT}/environments/main/source-operation`);
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual({ operation: 'update-deps' });
  });

  it('records the request without a vendor id when Upsun started no activity', async () => {
    reply = () => ({ status: 202, body: { status: 'OK', code: 202 } });
    const result = await upsunProvider.start(callWith(settingsOf({ action: 'deploy' }), freshToken()));
    expect(result).toEqual({
      state: 'requested',
      message: 'Upsun accepted the deploy but started no activity to follow',
      vendorId: null,
      url: null,
    });
  });

  it('maps activity state and result, including unknown values', async () => {
    expect(Object.fromEntries(UPSUN_ACTIVITY_STATES)).toEqual({
      pending: 'in_progress',
      scheduled: 'in_progress',
      in_progress: 'in_progress',
      staged: 'in_progress',
      cancelled: 'canceled',
    });
    expect(upsunState('complete', 'success')).toBe('succeeded');
    expect(upsunState('complete', 'failure')).toBe('failed');
    expect(upsunState('complete', null)).toBe('failed');
    expect(upsunState('complete', 'partial')).toBe('failed');
    expect(upsunState('paused', null)).toBe('in_progress');
    expect(upsunState('hasOwnProperty', null)).toBe('in_progress');
    const apiToken = freshToken();
    reply = () => ({ status: 200, body: activity('complete', 'failure') });
    expect(await upsunProvider.status?.(callWith(settingsOf(), apiToken), ACTIVITY)).toEqual({
      state: 'failed',
      message: 'Upsun activity complete (failure)',
      url: null,
    });
    reply = () => ({ status: 200, body: activity('complete', 'success') });
    expect(await upsunProvider.status?.(callWith(settingsOf(), apiToken), ACTIVITY)).toEqual({
      state: 'succeeded',
      message: 'Upsun activity complete (success)',
      url: null,
    });
    expect(seen[1]?.method).toBe('GET');
    expect(seen[1]?.headers.authorization).toBe(`Bearer ${BEARER}`);
  });

  it("surfaces Upsun's message on a 4xx, without the token or bearer", async () => {
    const apiToken = freshToken();
    reply = () => ({ status: 404, body: { status: 'error', code: 404, message: `Environment not found (${BEARER})`, title: 'Not Found' } });
    const error = await upsunProvider.start(callWith(settingsOf({ environment: 'feature/x' }), apiToken)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toBe(
      `POST https://api.upsun.com/projects/${PROJECT}/environments/feature%2Fx/redeploy answered 404: Environment not found ([redacted])`,
    );
  });

  it('says plainly when the API token itself is refused', async () => {
    const apiToken = freshToken();
    tokenReply = { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid API token.' } };
    const error = await upsunProvider.start(callWith(settingsOf(), apiToken)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toBe(
      'Upsun did not accept the API token (POST https://auth.upsun.com/oauth2/token answered 400: Invalid API token.)',
    );
    expect(outbound).toEqual(['https://auth.upsun.com/oauth2/token']);
  });

  it('turns a 429 into a retryable fault', async () => {
    reply = () => ({ status: 429, body: { message: 'Too many requests' } });
    const error = await upsunProvider.start(callWith(settingsOf(), freshToken())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpFault);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429 });
  });

  it('verifies with a read of the environment, and catches a rolling strategy the environment cannot do', async () => {
    const apiToken = freshToken();
    reply = () => ({ status: 200, body: { id: 'main', name: 'main', status: 'active', can_rolling_deploy: false } });
    expect(await upsunProvider.verify(callWith(settingsOf(), apiToken))).toEqual({
      ok: true,
      shapeOnly: false,
      message: 'The API token can read the Upsun environment main (active).',
    });
    expect(await upsunProvider.verify(callWith(settingsOf({ action: 'deploy', strategy: 'rolling' }), apiToken))).toEqual({
      ok: false,
      shapeOnly: false,
      message: 'The environment main cannot do rolling deployments: choose stop-start or leave the strategy empty.',
    });
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual([
      'POST /oauth2/token',
      `GET /projects/${PROJECT}/environments/main`,
      `GET /projects/${PROJECT}/environments/main`,
    ]);
  });

  it('refuses a missing API token before sending anything', async () => {
    await expect(upsunProvider.start(callWith(settingsOf(), ''))).rejects.toThrow(
      "The Upsun API token is not set: add it to the target's secrets.",
    );
    expect(seen).toHaveLength(0);
  });

  it('throws InvalidInputError for settings that contradict each other, naming the field', () => {
    const error = (() => {
      try {
        return resolveUpsunSettings({ projectId: PROJECT, environment: 'main', action: 'source-operation', sourceOperation: '' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'The Upsun settings contradict each other: sourceOperation: required when the action is "Run a source operation"',
      issues: ['sourceOperation: required when the action is "Run a source operation"'],
    });
    const result = upsunProvider.settingsSchema.safeParse({
      projectId: PROJECT,
      environment: 'main',
      action: 'redeploy',
      strategy: 'rolling',
      sourceOperation: 'x',
    });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(describeIssues(result.error)).toEqual([
        'sourceOperation: only used by the "Run a source operation" action; clear it or change the action',
        'strategy: only used by the "Deploy staged changes" action; clear it or change the action',
      ]);
    }
  });

  it.each([
    [{ projectId: 'ABC 123' }, 'projectId: must be the project id, such as abcdefgh1234567 (lowercase letters and digits)'],
    [{ environment: 'my env' }, 'environment: must be the environment id, such as main or staging (no spaces)'],
    [{ action: 'push' }, 'action: must be "redeploy", "deploy" or "source-operation"'],
    [{ action: 'deploy', strategy: 'blue-green' }, 'strategy: must be "rolling" or "stopstart"'],
    [{ action: 'source-operation' }, 'sourceOperation: required when the action is "Run a source operation"'],
    [{ projectId: '' }, 'projectId: the project id is required'],
    [{ environment: '' }, 'environment: the environment id is required'],
  ])('refuses bad settings %j clearly', (override, message) => {
    const result = upsunProvider.settingsSchema.safeParse({ projectId: PROJECT, environment: 'main', action: 'redeploy', ...override });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toEqual([message]);
  });

  describe('previews: the environment of the pull request’s source branch', () => {
    const previews = upsunProvider.previews!;
    const branchPath = `/projects/${PROJECT}/environments/${encodeURIComponent('feature/login')}`;
    const previewCall = (action: 'deploy' | 'teardown', apiToken: string): DeployCall<UpsunSettings> => ({
      ...callWith(settingsOf(), apiToken),
      job: makePreviewJob(action),
    });
    /** Upsun answers the environment read with `status` and every action with a started activity. */
    const environmentIs = (status: string | null) => (request: Seen) =>
      request.method === 'GET'
        ? status === null
          ? { status: 404, body: { message: 'Not found' } }
          : { status: 200, body: { id: 'feature/login', status } }
        : { status: 202, body: accepted([activity('pending', null, 'environment.activate')]) };

    it.each([
      ['inactive', 'activate', '{}'],
      ['paused', 'resume', ''],
      ['active', 'redeploy', ''],
    ])('makes the preview of an %s environment by its %s, and follows the activity', async (status, action, body) => {
      reply = environmentIs(status);
      const made = await previews.deploy(previewCall('deploy', freshToken()));
      expect(seen.slice(1).map((s) => `${s.method} ${s.target} ${s.body}`)).toEqual([
        `GET ${branchPath} `,
        `POST ${branchPath}/${action} ${body}`,
      ]);
      expect(made).toEqual({
        state: 'in_progress',
        message: `Upsun started the ${action} of environment feature/login (activity ${ACTIVITY}, pending)`,
        vendorId: ACTIVITY,
        url: null,
      });
    });

    it('says where the environment comes from when the branch has none, and activates nothing', async () => {
      reply = environmentIs(null);
      await expect(previews.deploy(previewCall('deploy', freshToken()))).rejects.toThrow(
        new HttpRejected(
          'Upsun has no environment for the branch feature/login: it makes one when the branch reaches the project (its Bitbucket integration, or a git push to Upsun)',
          404,
        ),
      );
      expect(seen.slice(1).map((s) => s.method)).toEqual(['GET']);
    });

    it('tears the preview down by deactivating an active environment', async () => {
      reply = environmentIs('active');
      const removed = await previews.teardown(previewCall('teardown', freshToken()));
      expect(seen.slice(1).map((s) => `${s.method} ${s.target}`)).toEqual([`GET ${branchPath}`, `POST ${branchPath}/deactivate`]);
      expect(removed).toMatchObject({ state: 'in_progress', vendorId: ACTIVITY });
    });

    it.each([
      ['inactive', 'Upsun: the environment of feature/login is inactive already, nothing to deactivate'],
      [null, 'Upsun: the environment of feature/login is gone, nothing to deactivate'],
    ])('has nothing to tear down when the environment is %s', async (status, message) => {
      reply = environmentIs(status);
      const removed = await previews.teardown(previewCall('teardown', freshToken()));
      expect(seen.slice(1).map((s) => s.method)).toEqual(['GET']);
      expect(removed).toEqual({ state: 'succeeded', message, vendorId: null, url: null });
    });
  });

  it('calls api.upsun.com and auth.upsun.com and lists every setting and secret as a field', () => {
    expect(upsunProvider.hosts(settingsOf())).toEqual(['api.upsun.com', 'auth.upsun.com']);
    expect(settingsOf({ action: 'deploy', strategy: '', sourceOperation: '' })).toEqual({
      projectId: PROJECT,
      environment: 'main',
      action: 'deploy',
      strategy: null,
    });
    expect(upsunProvider.fields.map((f) => [f.key, f.kind, f.secret, f.required])).toEqual([
      ['projectId', 'text', false, true],
      ['environment', 'text', false, true],
      ['action', 'select', false, true],
      ['strategy', 'select', false, false],
      ['sourceOperation', 'text', false, false],
      ['apiToken', 'text', true, true],
    ]);
    expect(upsunProvider.fields[2]?.options?.map((o) => o.value)).toEqual(['redeploy', 'deploy', 'source-operation']);
  });
});
