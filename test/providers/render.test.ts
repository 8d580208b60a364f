import { InvalidInputError } from '../../src/core/errors';
import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { type RenderSettings, renderProvider as provider } from '../../src/providers/render';
import { STATUSES } from '../../src/providers/render/states';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, refusal, type Reply, type Seen } from './loopback-vendor';

let answer: (seen: Seen) => Reply = () => ({ status: 200, body: {} });
const { http, seen, lines } = loopbackVendor((request) => answer(request));

const SERVICE_ID = 'srv-d0abc123xyz456def789';
const HOOK_KEY = 'Xk3p9QwErTy7uIoP';
const HOOK_URL = `https://api.render.com/deploy/${SERVICE_ID}?key=${HOOK_KEY}`;
const API_KEY = 'rnd_0123456789abcdefGHIJKLmnopqr';
const DEPLOY_ID = 'dep-d1xyz987abc654fed321';
const HASH = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';

const job = makeDeployJob({ targetId: 'render-prod', commit: { hash: HASH } });

function settingsOf(raw: Record<string, unknown>): RenderSettings {
  const result = provider.settingsSchema.safeParse(raw);
  if (!result.success) throw new Error(describeIssues(result.error).join('; '));
  return result.data;
}

function callWith(raw: Record<string, unknown>, secrets: Record<string, string>): DeployCall<RenderSettings> {
  return {
    job,
    target: makeTarget({ id: 'render-prod', provider: 'render', environment: 'production', settings: {} }),
    settings: settingsOf(raw),
    secrets,
    repository: { uuid: job.repository.uuid, workspaceUuid: job.repository.workspaceUuid, fullName: 'acme/web' },
    http,
    log: createLogger((line) => lines.push(line), {}, Object.values(secrets)),
    now: () => 1_763_633_800_000,
  };
}
const hookCall = (hookUrl: string = HOOK_URL) => callWith({ mode: 'hook' }, { hookUrl });
const apiCall = (secrets: Record<string, string> = { apiKey: API_KEY }) => callWith({ mode: 'api', serviceId: SERVICE_ID }, secrets);

/** A deploy as Render's API answers it (https://api-docs.render.com/reference/retrieve-deploy). */
const renderDeploy = (status: string) => ({
  id: DEPLOY_ID,
  commit: { id: HASH, message: 'Add checkout page', createdAt: '2026-11-20T10:15:00Z' },
  status,
  trigger: 'api',
  createdAt: '2026-11-20T10:15:05Z',
  updatedAt: '2026-11-20T10:15:05Z',
  finishedAt: null,
});

describe('the Render provider', () => {
  describe('hook mode', () => {
    it('POSTs the hook URL as given, with no credential of ours, and records the deploy as requested', async () => {
      answer = () => ({ status: 200, body: { deploy: { id: DEPLOY_ID } } });
      const result = await provider.start(hookCall());
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        origin: 'https://api.render.com',
        method: 'POST',
        path: `/deploy/${SERVICE_ID}`,
        query: { key: HOOK_KEY },
        body: '',
      });
      expect(seen[0]?.headers.authorization).toBeUndefined();
      expect(result).toEqual({
        state: 'requested',
        message: 'Render accepted the deploy hook (200); a hook does not report the outcome',
        vendorId: null,
        url: null,
      });
    });

    it.each([
      ['https://api.render.com.evil.example/deploy/srv-abc?key=k123', 'on another host'],
      ['http://api.render.com/deploy/srv-abc?key=k123', 'over plain http'],
      ['https://api.render.com/deploy/srv-abc', 'without its key'],
      ['https://api.render.com/v1/services/srv-abc/deploys?key=k123', 'on another path'],
      ['not a url at all', 'that is not a URL'],
    ])('refuses a hook URL %s (%s) without sending it, and without repeating it', async (hookUrl) => {
      const error = refusal(await provider.start(hookCall(hookUrl)).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe('The deploy hook URL must be a Render deploy hook URL (https://api.render.com/deploy/srv-…?key=…).');
      expect(seen).toHaveLength(0);
    });

    it('refuses to start without a hook URL', async () => {
      const error = refusal(await provider.start(callWith({ mode: 'hook' }, {})).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe("The Render deploy hook URL is not set: add it to the target's secrets.");
    });

    it('surfaces a refused hook as HttpRejected without the key, even when Render echoes the URL', async () => {
      answer = () => ({ status: 404, body: { message: `no service for ${HOOK_URL}` } });
      const error = refusal(await provider.start(hookCall()).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(HttpRejected);
      expect(error.message).toBe(
        `POST https://api.render.com/deploy/${SERVICE_ID} answered 404: no service for https://api.render.com/deploy/${SERVICE_ID}?key=[redacted]`,
      );
      expect(error.message).not.toContain(HOOK_KEY);
      expect(lines.join('\n')).not.toContain(HOOK_KEY);
    });

    it('turns a 429 from the hook into a retryable fault', async () => {
      answer = () => ({ status: 429, body: { message: 'rate limit exceeded' }, headers: { 'retry-after': '12' } });
      await expect(provider.start(hookCall())).rejects.toMatchObject({
        constructor: HttpFault,
        kind: 'rate_limited',
        retryAfterSeconds: 12,
      });
    });

    it('verifies only the shape, sends nothing, and says so', async () => {
      expect(await provider.verify(hookCall())).toEqual({
        ok: true,
        shapeOnly: true,
        message:
          'The deploy hook URL has the right shape (https://api.render.com/deploy/srv-…?key=…). Only its shape was checked: calling a deploy hook deploys, so nothing was sent.',
      });
      expect(seen).toHaveLength(0);
    });

    it('has no status to read: it asks for API mode instead', async () => {
      const error = refusal(await provider.status?.(hookCall(), DEPLOY_ID).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe(
        'A Render deploy hook cannot report a deploy’s outcome: switch the target to API mode (an API key and a service ID) to follow deploys.',
      );
    });
  });

  describe('API mode', () => {
    it('deploys this exact commit with the API key and follows the deploy', async () => {
      answer = () => ({ status: 201, body: renderDeploy('created') });
      const result = await provider.start(apiCall());
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        origin: 'https://api.render.com',
        method: 'POST',
        path: `/v1/services/${SERVICE_ID}/deploys`,
        query: {},
      });
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(seen[0]?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ commitId: HASH, clearCache: 'do_not_clear' });
      expect(result).toEqual({
        state: 'in_progress',
        message: `Render deploy ${DEPLOY_ID} is created`,
        vendorId: DEPLOY_ID,
        url: `https://dashboard.render.com/web/${SERVICE_ID}/deploys/${DEPLOY_ID}`,
      });
    });

    it('records a deploy queued behind another (202, no deploy in the body) as requested', async () => {
      answer = () => ({ status: 202 });
      expect(await provider.start(apiCall())).toEqual({
        state: 'requested',
        message: 'Render accepted the deploy (202) without saying which deploy it is, so it is not followed',
        vendorId: null,
        url: null,
      });
    });

    it('surfaces a 4xx with Render’s own message as a refusal', async () => {
      answer = () => ({ status: 400, body: { id: 'invalid', message: 'commit not found in the repository' } });
      const error = refusal(await provider.start(apiCall()).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(HttpRejected);
      expect(error.message).toBe(
        `POST https://api.render.com/v1/services/${SERVICE_ID}/deploys answered 400: commit not found in the repository`,
      );
    });

    it('turns a 429 into a retryable fault', async () => {
      answer = () => ({ status: 429, body: { message: 'Too Many Requests' } });
      const error = await provider.start(apiCall()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpFault);
      expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: null });
    });

    it('refuses to start without an API key, before sending anything', async () => {
      const error = refusal(await provider.start(apiCall({})).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe("A Render API key is not set: add it to the target's secrets.");
      expect(seen).toHaveLength(0);
    });

    it('never puts the API key in a thrown message or a log line', async () => {
      answer = () => ({ status: 401, body: { message: `invalid key ${API_KEY}` } });
      const error = refusal(await provider.status?.(apiCall(), DEPLOY_ID).catch((e: unknown) => e));
      expect(error.message).toBe(
        `GET https://api.render.com/v1/services/${SERVICE_ID}/deploys/${DEPLOY_ID} answered 401: invalid key [redacted]`,
      );
      expect(lines.join('\n')).not.toContain(API_KEY);
    });

    it('reads a deploy’s status by service and deploy id', async () => {
      answer = () => ({ status: 200, body: renderDeploy('live') });
      const result = await provider.status?.(apiCall(), DEPLOY_ID);
      expect(seen[0]).toMatchObject({ method: 'GET', path: `/v1/services/${SERVICE_ID}/deploys/${DEPLOY_ID}`, body: '' });
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(result).toEqual({
        state: 'succeeded',
        message: `Render deploy ${DEPLOY_ID} is live`,
        url: `https://dashboard.render.com/web/${SERVICE_ID}/deploys/${DEPLOY_ID}`,
      });
    });

    it.each([
      ['created', 'in_progress'],
      ['queued', 'in_progress'],
      ['build_in_progress', 'in_progress'],
      ['update_in_progress', 'in_progress'],
      ['pre_deploy_in_progress', 'in_progress'],
      ['live', 'succeeded'],
      ['deactivated', 'superseded'],
      ['build_failed', 'failed'],
      ['update_failed', 'failed'],
      ['pre_deploy_failed', 'failed'],
      ['canceled', 'canceled'],
    ])('maps status %s to %s', async (status, state) => {
      answer = () => ({ status: 200, body: renderDeploy(status) });
      expect(await provider.status?.(apiCall(), DEPLOY_ID)).toMatchObject({ state });
    });

    it('the table covers exactly the statuses providers.md lists', () => {
      expect(Object.keys(STATUSES).sort()).toEqual(
        [
          'created',
          'queued',
          'build_in_progress',
          'update_in_progress',
          'live',
          'deactivated',
          'build_failed',
          'update_failed',
          'canceled',
          'pre_deploy_in_progress',
          'pre_deploy_failed',
        ].sort(),
      );
    });

    it('keeps following a status it does not know, and says so', async () => {
      answer = () => ({ status: 200, body: renderDeploy('waiting_for_approval') });
      expect(await provider.status?.(apiCall(), DEPLOY_ID)).toEqual({
        state: 'in_progress',
        message: `Render deploy ${DEPLOY_ID} is waiting for approval: a status Deploy Relay does not know yet, still following it`,
        url: `https://dashboard.render.com/web/${SERVICE_ID}/deploys/${DEPLOY_ID}`,
      });
    });

    it('verifies by reading the service with GET only', async () => {
      answer = () => ({ status: 200, body: { id: SERVICE_ID, name: 'acme-web', type: 'web_service', branch: 'main', autoDeploy: 'no' } });
      expect(await provider.verify(apiCall())).toEqual({
        ok: true,
        shapeOnly: false,
        message: 'The API key can read the service acme-web (web_service). Nothing was deployed.',
      });
      expect(seen.map((s) => [s.method, s.path])).toEqual([['GET', `/v1/services/${SERVICE_ID}`]]);
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    });

    it('answers "no" with Render’s words when the key is refused', async () => {
      answer = () => ({ status: 401, body: { message: 'Unauthorized' } });
      expect(await provider.verify(apiCall())).toEqual({
        ok: false,
        shapeOnly: false,
        message: `Render refused the credentials: GET https://api.render.com/v1/services/${SERVICE_ID} answered 401: Unauthorized`,
      });
    });
  });

  describe('settings', () => {
    const issues = (raw: Record<string, unknown>): string[] => {
      const result = provider.settingsSchema.safeParse(raw);
      return result.success ? [] : describeIssues(result.error);
    };

    it('keeps only what the chosen mode uses', () => {
      expect(settingsOf({ mode: 'hook', serviceId: 'left over' })).toEqual({ mode: 'hook' });
      expect(settingsOf({ mode: 'api', serviceId: ` ${SERVICE_ID} ` })).toEqual({ mode: 'api', serviceId: SERVICE_ID });
    });

    it.each([
      [{}, 'mode: must be "hook" (a deploy hook URL) or "api" (an API key and a service ID)'],
      [{ mode: 'webhook' }, 'mode: must be "hook" (a deploy hook URL) or "api" (an API key and a service ID)'],
      [{ mode: 'api' }, 'serviceId: the service ID is required in API mode'],
      [
        { mode: 'api', serviceId: 'acme-web' },
        "serviceId: must be a Render service ID such as srv-d0abc123xyz (in the service's dashboard URL)",
      ],
    ])('refuses %j with a message a person can act on', (raw, message) => {
      expect(issues(raw)).toEqual([message]);
    });

    it('calls only api.render.com, in either mode', () => {
      expect(provider.hosts(settingsOf({ mode: 'hook' }))).toEqual(['api.render.com']);
      expect(provider.hosts(settingsOf({ mode: 'api', serviceId: SERVICE_ID }))).toEqual(['api.render.com']);
    });

    it('declares the mode as a select and the hook URL and API key as secrets', () => {
      expect(provider.fields.map((f) => [f.key, f.kind, f.secret])).toEqual([
        ['mode', 'select', false],
        ['hookUrl', 'url', true],
        ['serviceId', 'text', false],
        ['apiKey', 'text', true],
      ]);
      expect(provider.fields[0]?.options?.map((o) => o.value)).toEqual(['hook', 'api']);
    });
  });
});
