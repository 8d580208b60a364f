import { InvalidInputError } from '../../src/core/errors';
import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import type { DeployCall } from '../../src/core/provider';
import { type VercelSettings, vercelProvider as provider } from '../../src/providers/vercel';
import { READY_STATES } from '../../src/providers/vercel/states';
import { makeDeployJob, makePreviewJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, refusal, type Reply, type Seen } from './loopback-vendor';

let answer: (seen: Seen) => Reply = () => ({ status: 200, body: {} });
const { http, seen, lines } = loopbackVendor((request) => answer(request));

const PROJECT_ID = 'prj_AbC123dEf456GhI789';
const HOOK_ID = 'Zq8wX2vB7n';
const HOOK_URL = `https://api.vercel.com/v1/integrations/deploy/${PROJECT_ID}/${HOOK_ID}`;
const TOKEN = 'vcp_0123456789abcdefGHIJKLmnopqrST';
const TEAM_ID = 'team_a1B2c3D4e5F6';
const DEPLOYMENT_ID = 'dpl_89qvBn4xZy7WqE2rT5uI';
const HASH = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const REPO_UUID = '{3e5f7a9b-1c2d-4e6f-8a0b-2c4d6e8f0a12}';
const WORKSPACE_UUID = '{7a1c2e4f-0b3d-4c5e-8f6a-9b0c1d2e3f40}';

const job = makeDeployJob({
  repository: { uuid: REPO_UUID, workspaceUuid: WORKSPACE_UUID },
  targetId: 'vercel-prod',
  ref: { name: 'release/1.2', type: 'branch' },
  commit: { hash: HASH },
});

function settingsOf(raw: Record<string, unknown>): VercelSettings {
  const result = provider.settingsSchema.safeParse(raw);
  if (!result.success) throw new Error(describeIssues(result.error).join('; '));
  return result.data;
}

function callWith(raw: Record<string, unknown>, secrets: Record<string, string>, environment = 'production'): DeployCall<VercelSettings> {
  return {
    job,
    target: makeTarget({ id: 'vercel-prod', provider: 'vercel', environment, settings: {} }),
    settings: settingsOf(raw),
    secrets,
    repository: { uuid: REPO_UUID, workspaceUuid: WORKSPACE_UUID, fullName: 'acme/web' },
    http,
    log: createLogger((line) => lines.push(line), {}, Object.values(secrets)),
    now: () => 1_763_633_800_000,
  };
}
const hookCall = (hookUrl: string = HOOK_URL) => callWith({ mode: 'hook' }, { hookUrl });
const apiCall = (
  settings: Record<string, unknown> = { mode: 'api', project: 'acme-web', teamId: TEAM_ID },
  secrets: Record<string, string> = { token: TOKEN },
  environment = 'production',
) => callWith(settings, secrets, environment);

/** A deployment as Vercel's API answers it (https://vercel.com/docs/rest-api/reference/endpoints/deployments). */
const vercelDeployment = (readyState: string, extra: Record<string, unknown> = {}) => ({
  id: DEPLOYMENT_ID,
  name: 'acme-web',
  url: 'acme-web-k3j9x2-acme.vercel.app',
  readyState,
  target: 'production',
  createdAt: 1_763_633_805_000,
  gitSource: { type: 'bitbucket', ref: 'release/1.2', sha: HASH },
  ...extra,
});

describe('the Vercel provider', () => {
  describe('hook mode', () => {
    it('POSTs the hook URL with no body and no credential of ours, and records the deploy as requested', async () => {
      answer = () => ({ status: 201, body: { job: { id: 'Qm9vYmFy', state: 'PENDING', createdAt: 1_763_633_805_000 } } });
      const result = await provider.start(hookCall());
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        origin: 'https://api.vercel.com',
        method: 'POST',
        path: `/v1/integrations/deploy/${PROJECT_ID}/${HOOK_ID}`,
        query: {},
        body: '',
      });
      expect(seen[0]?.headers.authorization).toBeUndefined();
      expect(result).toEqual({
        state: 'requested',
        message: 'Vercel accepted the deploy hook (201); a hook does not report the outcome',
        vendorId: null,
        url: null,
      });
    });

    it.each([
      [`https://api.vercel.com.example.net/v1/integrations/deploy/${PROJECT_ID}/${HOOK_ID}`],
      [`https://hooks.vercel.example/v1/integrations/deploy/${PROJECT_ID}/${HOOK_ID}`],
      [`https://api.vercel.com/v1/integrations/deploy/${PROJECT_ID}`],
      [`https://api.vercel.com/v13/deployments`],
    ])('refuses the hook URL %s without sending it, and without repeating it', async (hookUrl) => {
      const error = refusal(await provider.start(hookCall(hookUrl)).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe(
        'The deploy hook URL must be a Vercel deploy hook URL (https://api.vercel.com/v1/integrations/deploy/prj_…/…).',
      );
      expect(seen).toHaveLength(0);
    });

    it('keeps the hook’s secret part out of a refusal and the logs', async () => {
      answer = () => ({ status: 404, body: { error: { code: 'not_found', message: `Deploy hook ${HOOK_ID} not found` } } });
      const error = refusal(await provider.start(hookCall()).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(HttpRejected);
      expect(error.message).toBe(
        `POST https://api.vercel.com/v1/integrations/deploy/${PROJECT_ID}/[redacted] answered 404: Deploy hook [redacted] not found`,
      );
      expect(lines.join('\n')).not.toContain(HOOK_ID);
    });

    it('verifies only the shape, sends nothing, and says so', async () => {
      expect(await provider.verify(hookCall())).toEqual({
        ok: true,
        shapeOnly: true,
        message:
          'The deploy hook URL has the right shape (https://api.vercel.com/v1/integrations/deploy/prj_…/…). Only its shape was checked: calling a deploy hook deploys, so nothing was sent.',
      });
      expect(seen).toHaveLength(0);
    });

    it('refuses to verify without a hook URL', async () => {
      await expect(provider.verify(callWith({ mode: 'hook' }, {}))).rejects.toThrow(
        new InvalidInputError("The Vercel deploy hook URL is not set: add it to the target's secrets."),
      );
    });

    it('cannot cancel: it asks for API mode instead, sending nothing', async () => {
      await expect(provider.cancel?.(hookCall(), DEPLOYMENT_ID)).rejects.toThrow(
        'A Vercel deploy hook cannot cancel a deploy: switch the target to API mode (a token and a project) to follow deploys.',
      );
      expect(seen).toEqual([]);
    });

    it('has no status to read: it asks for API mode instead', async () => {
      await expect(provider.status?.(hookCall(), DEPLOYMENT_ID)).rejects.toThrow(
        'A Vercel deploy hook cannot report a deploy’s outcome: switch the target to API mode (a token and a project) to follow deploys.',
      );
    });
  });

  describe('API mode', () => {
    it('creates a production deployment of this commit from Bitbucket, in the team, and follows it', async () => {
      answer = () => ({ status: 200, body: vercelDeployment('QUEUED') });
      const result = await provider.start(apiCall());
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        origin: 'https://api.vercel.com',
        method: 'POST',
        path: '/v13/deployments',
        query: { teamId: TEAM_ID },
      });
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(seen[0]?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
        name: 'acme-web',
        project: 'acme-web',
        target: 'production',
        gitSource: { type: 'bitbucket', ref: 'release/1.2', sha: HASH, workspaceUuid: WORKSPACE_UUID, repoUuid: REPO_UUID },
      });
      expect(result).toEqual({
        state: 'in_progress',
        message: `Vercel deployment ${DEPLOYMENT_ID} is QUEUED`,
        vendorId: DEPLOYMENT_ID,
        url: 'https://acme-web-k3j9x2-acme.vercel.app',
      });
    });

    it('leaves out the target (a preview) outside production, and the team when none is set', async () => {
      answer = () => ({ status: 200, body: vercelDeployment('QUEUED', { target: null }) });
      await provider.start(apiCall({ mode: 'api', project: PROJECT_ID, teamId: '' }, { token: TOKEN }, 'staging'));
      expect(seen[0]?.query).toEqual({});
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
        name: PROJECT_ID,
        project: PROJECT_ID,
        gitSource: { type: 'bitbucket', ref: 'release/1.2', sha: HASH, workspaceUuid: WORKSPACE_UUID, repoUuid: REPO_UUID },
      });
    });

    it('surfaces a 4xx with Vercel’s own message as a refusal', async () => {
      answer = () => ({
        status: 400,
        body: { error: { code: 'incorrect_git_source_info', message: 'The provided repository was not found' } },
      });
      const error = refusal(await provider.start(apiCall()).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(HttpRejected);
      expect(error.message).toBe('POST https://api.vercel.com/v13/deployments answered 400: The provided repository was not found');
    });

    it('turns a 429 into a retryable fault that carries Retry-After', async () => {
      answer = () => ({
        status: 429,
        body: { error: { code: 'rate_limited', message: 'Rate limit exceeded' } },
        headers: { 'retry-after': '45' },
      });
      const error = await provider.start(apiCall()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpFault);
      expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: 45 });
    });

    it('refuses to start without a token, before sending anything', async () => {
      const error = refusal(await provider.start(apiCall(undefined, { token: '  ' })).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe("A Vercel access token is not set: add it to the target's secrets.");
      expect(seen).toHaveLength(0);
    });

    it('never puts the token in a thrown message or a log line', async () => {
      answer = () => ({ status: 403, body: { error: { code: 'forbidden', message: `Not authorized: ${TOKEN}` } } });
      const error = refusal(await provider.start(apiCall()).catch((e: unknown) => e));
      expect(error.message).toBe('POST https://api.vercel.com/v13/deployments answered 403: Not authorized: [redacted]');
      expect(lines.join('\n')).not.toContain(TOKEN);
    });

    it('reads a deployment’s readyState by id, in the team', async () => {
      answer = () => ({ status: 200, body: vercelDeployment('READY') });
      const result = await provider.status?.(apiCall(), DEPLOYMENT_ID);
      expect(seen[0]).toMatchObject({ method: 'GET', path: `/v13/deployments/${DEPLOYMENT_ID}`, query: { teamId: TEAM_ID }, body: '' });
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(result).toEqual({
        state: 'succeeded',
        message: `Vercel deployment ${DEPLOYMENT_ID} is READY`,
        url: 'https://acme-web-k3j9x2-acme.vercel.app',
      });
    });

    it.each([
      ['QUEUED', 'in_progress'],
      ['INITIALIZING', 'in_progress'],
      ['BUILDING', 'in_progress'],
      ['READY', 'succeeded'],
      ['ERROR', 'failed'],
      ['CANCELED', 'canceled'],
    ])('maps readyState %s to %s', async (readyState, state) => {
      answer = () => ({ status: 200, body: vercelDeployment(readyState) });
      expect(await provider.status?.(apiCall(), DEPLOYMENT_ID)).toMatchObject({ state });
    });

    it('the table covers the readyStates providers.md lists, plus INITIALIZING', () => {
      expect(Object.keys(READY_STATES).sort()).toEqual(['BUILDING', 'CANCELED', 'ERROR', 'INITIALIZING', 'QUEUED', 'READY']);
    });

    it('keeps following a readyState it does not know, and says so', async () => {
      answer = () => ({ status: 200, body: vercelDeployment('ARCHIVING') });
      expect(await provider.status?.(apiCall(), DEPLOYMENT_ID)).toEqual({
        state: 'in_progress',
        message: `Vercel deployment ${DEPLOYMENT_ID} is ARCHIVING: a state Deploy Relay does not know yet, still following it`,
        url: 'https://acme-web-k3j9x2-acme.vercel.app',
      });
    });

    it('reports Vercel’s error message with a failed deployment', async () => {
      answer = () => ({ status: 200, body: vercelDeployment('ERROR', { errorMessage: 'Command "npm run build" exited with 1' }) });
      expect(await provider.status?.(apiCall(), DEPLOYMENT_ID)).toMatchObject({
        state: 'failed',
        message: `Vercel deployment ${DEPLOYMENT_ID} is ERROR: Command "npm run build" exited with 1`,
      });
    });

    it('cancels a deployment with PATCH /v12/deployments/{id}/cancel, in the team', async () => {
      answer = () => ({ status: 200, body: vercelDeployment('CANCELED') });
      expect(await provider.cancel?.(apiCall(), DEPLOYMENT_ID)).toBe(`Vercel is canceling deployment ${DEPLOYMENT_ID}`);
      expect(seen.map((s) => [s.method, s.path, s.query, s.headers.authorization, s.body])).toEqual([
        ['PATCH', `/v12/deployments/${DEPLOYMENT_ID}/cancel`, { teamId: TEAM_ID }, `Bearer ${TOKEN}`, ''],
      ]);
    });

    it('a refused cancel is Vercel’s words, the token redacted', async () => {
      answer = () => ({ status: 400, body: { error: { code: 'bad_request', message: `Deployment already READY (${TOKEN})` } } });
      const error = refusal(await provider.cancel?.(apiCall(), DEPLOYMENT_ID).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(HttpRejected);
      expect(error.message).toBe(
        `PATCH https://api.vercel.com/v12/deployments/${DEPLOYMENT_ID}/cancel answered 400: Deployment already READY ([redacted])`,
      );
    });

    it('verifies by reading the project with GET only', async () => {
      answer = () => ({ status: 200, body: { id: PROJECT_ID, name: 'acme-web', framework: 'nextjs', accountId: TEAM_ID } });
      expect(await provider.verify(apiCall())).toEqual({
        ok: true,
        shapeOnly: false,
        message: 'The token can read the project acme-web. Nothing was deployed.',
      });
      expect(seen.map((s) => [s.method, s.path, s.query])).toEqual([['GET', '/v9/projects/acme-web', { teamId: TEAM_ID }]]);
    });

    it('answers "no" with Vercel’s words when the project is not visible to the token', async () => {
      answer = () => ({ status: 404, body: { error: { code: 'not_found', message: 'Project not found' } } });
      expect(await provider.verify(apiCall())).toEqual({
        ok: false,
        shapeOnly: false,
        message: 'Vercel refused the credentials: GET https://api.vercel.com/v9/projects/acme-web answered 404: Project not found',
      });
    });
  });

  describe('settings', () => {
    const issues = (raw: Record<string, unknown>): string[] => {
      const result = provider.settingsSchema.safeParse(raw);
      return result.success ? [] : describeIssues(result.error);
    };

    it.each([
      [{}, 'mode: must be "hook" (a deploy hook URL) or "api" (a token and a project)'],
      [{ mode: 'api' }, 'project: the project is required in API mode'],
      [{ mode: 'api', project: 'acme web!' }, 'project: must be the project’s name or ID (prj_…), as shown in its Settings → General'],
      [
        { mode: 'api', project: 'acme-web', teamId: 'acme' },
        'teamId: must be a team ID such as team_a1B2c3 (Team Settings → General), or empty for a personal account',
      ],
    ])('refuses %j with a message a person can act on', (raw, message) => {
      expect(issues(raw)).toEqual([message]);
    });

    it('calls only api.vercel.com, in either mode', () => {
      expect(provider.hosts(settingsOf({ mode: 'hook' }))).toEqual(['api.vercel.com']);
      expect(provider.hosts(settingsOf({ mode: 'api', project: 'acme-web' }))).toEqual(['api.vercel.com']);
    });

    it('declares the mode as a select and the hook URL and token as secrets', () => {
      expect(provider.fields.map((f) => [f.key, f.kind, f.secret])).toEqual([
        ['mode', 'select', false],
        ['hookUrl', 'url', true],
        ['project', 'text', false],
        ['teamId', 'text', false],
        ['token', 'text', true],
      ]);
      expect(provider.fields[0]?.options?.map((o) => o.value)).toEqual(['hook', 'api']);
    });
  });

  describe('previews', () => {
    const previews = provider.previews!;

    it('deploys a pull request’s source branch at its commit as a preview, never to production, and keeps it at teardown', async () => {
      answer = () => ({
        status: 200,
        body: vercelDeployment('QUEUED', { target: null, url: 'acme-web-git-feature-login-acme.vercel.app' }),
      });
      const preview = makePreviewJob('deploy', { repository: { uuid: REPO_UUID, workspaceUuid: WORKSPACE_UUID } });
      // A production target's previews are previews all the same.
      const made = await previews.deploy({ ...apiCall(), job: preview });
      expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual([`POST /v13/deployments?teamId=${TEAM_ID}`]);
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
        name: 'acme-web',
        project: 'acme-web',
        gitSource: {
          type: 'bitbucket',
          ref: 'feature/login',
          sha: preview.commit.hash,
          workspaceUuid: WORKSPACE_UUID,
          repoUuid: REPO_UUID,
        },
      });
      expect(made).toMatchObject({
        state: 'in_progress',
        vendorId: DEPLOYMENT_ID,
        url: 'https://acme-web-git-feature-login-acme.vercel.app',
      });

      const kept = await previews.teardown({ ...apiCall(), job: makePreviewJob('teardown') });
      expect(seen).toHaveLength(1);
      expect(kept).toEqual({
        state: 'succeeded',
        message:
          'Vercel keeps preview deployments: nothing was removed (delete it from the project’s Deployments if it is no longer wanted)',
        vendorId: null,
        url: null,
      });
    });

    it('is not offered to a deploy hook, which is bound to one branch', () => {
      expect(previews.unavailable?.(settingsOf({ mode: 'hook' }))).toBe(
        'A Vercel deploy hook deploys one branch and cannot make previews: switch the target to an access token and a project',
      );
      expect(previews.unavailable?.(settingsOf({ mode: 'api', project: 'acme-web' }))).toBeNull();
    });
  });
});
