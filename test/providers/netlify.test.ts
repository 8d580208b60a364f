import { InvalidInputError } from '../../src/core/errors';
import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { type NetlifySettings, netlifyProvider as provider } from '../../src/providers/netlify';
import { DEPLOY_STATES } from '../../src/providers/netlify/states';
import type { DeployCall } from '../../src/core/provider';
import type { DeployJob } from '../../src/core/job';
import { makeDeployJob, makePreviewJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, refusal, type Reply, type Seen } from './loopback-vendor';

let answer: (seen: Seen) => Reply = () => ({ status: 200, body: {} });
const { http, seen, lines } = loopbackVendor((request) => answer(request));

const SITE_ID = '5a7c1e2f-9b3d-4c6e-8f0a-1b2c3d4e5f60';
const HOOK_ID = '65f1a2b3c4d5e6f7a8b9c0d1';
const HOOK_URL = `https://api.netlify.com/build_hooks/${HOOK_ID}`;
const TOKEN = 'nfp_0123456789abcdefGHIJKLmnopqrSTuvwx';
const BUILD_ID = '6741f0c2a1b2c3d4e5f60718';
const DEPLOY_ID = '6741f0c2a1b2c3d4e5f60719';
const HASH = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const REPO_UUID = '{3e5f7a9b-1c2d-4e6f-8a0b-2c4d6e8f0a12}';
const WORKSPACE_UUID = '{7a1c2e4f-0b3d-4c5e-8f6a-9b0c1d2e3f40}';

const jobWith = (overrides: Partial<{ ref: { name: string; type: 'branch' | 'tag' }; message: string }> = {}): DeployJob =>
  makeDeployJob({
    repository: { uuid: REPO_UUID, workspaceUuid: WORKSPACE_UUID },
    targetId: 'netlify-prod',
    ref: overrides.ref ?? { name: 'release/1.2', type: 'branch' },
    commit: { hash: HASH, ...(overrides.message === undefined ? {} : { message: overrides.message }) },
  });

function settingsOf(raw: Record<string, unknown>): NetlifySettings {
  const result = provider.settingsSchema.safeParse(raw);
  if (!result.success) throw new Error(describeIssues(result.error).join('; '));
  return result.data;
}

function callWith(raw: Record<string, unknown>, secrets: Record<string, string>, job: DeployJob = jobWith()): DeployCall<NetlifySettings> {
  return {
    job,
    target: makeTarget({ id: 'netlify-prod', name: 'Production', provider: 'netlify', environment: 'production', settings: {} }),
    settings: settingsOf(raw),
    secrets,
    repository: { uuid: REPO_UUID, workspaceUuid: WORKSPACE_UUID, fullName: 'acme/web' },
    http,
    log: createLogger((line) => lines.push(line), {}, Object.values(secrets)),
    now: () => 1_763_633_800_000,
  };
}
const hookCall = (hookUrl: string = HOOK_URL, job?: DeployJob) => callWith({ mode: 'hook' }, { hookUrl }, job);
const apiCall = (secrets: Record<string, string> = { token: TOKEN }, job?: DeployJob) =>
  callWith({ mode: 'api', siteId: SITE_ID }, secrets, job);

/** `build` and `deploy` as netlify-swagger.yml defines them. */
const netlifyBuild = (extra: Record<string, unknown> = {}) => ({
  id: BUILD_ID,
  deploy_id: DEPLOY_ID,
  sha: null,
  done: false,
  error: null,
  created_at: '2026-11-20T10:15:05.000Z',
  ...extra,
});
const netlifyDeploy = (state: string, extra: Record<string, unknown> = {}) => ({
  id: DEPLOY_ID,
  site_id: SITE_ID,
  build_id: BUILD_ID,
  state,
  name: 'acme-web',
  admin_url: 'https://app.netlify.com/sites/acme-web',
  deploy_ssl_url: `https://${DEPLOY_ID}--acme-web.netlify.app`,
  branch: 'release/1.2',
  commit_ref: HASH,
  error_message: null,
  ...extra,
});

describe('the Netlify provider', () => {
  describe('hook mode', () => {
    it('POSTs the hook with the branch, a title and the deploy summary as its body, and records it as requested', async () => {
      answer = () => ({ status: 200 });
      const result = await provider.start(hookCall());
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        origin: 'https://api.netlify.com',
        method: 'POST',
        path: `/build_hooks/${HOOK_ID}`,
        query: { trigger_branch: 'release/1.2', trigger_title: 'Deploy Relay: Add checkout page' },
      });
      expect(seen[0]?.headers.authorization).toBeUndefined();
      expect(seen[0]?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
        event: 'deploy',
        delivery_id: 'd-0123456789abcdef01234567',
        trigger: 'push',
        environment: 'production',
        target: { id: 'netlify-prod', name: 'Production' },
        repository: { uuid: REPO_UUID, full_name: 'acme/web', workspace: { uuid: WORKSPACE_UUID } },
        ref: { name: 'release/1.2', type: 'branch' },
        commit: { hash: HASH, message: 'Add checkout page\n\nWith tests.', author: 'Ada Admin', date: '2026-11-20T10:15:00+00:00' },
        previous_commit: null,
        actor: { accountId: '557058:admin-0001', uuid: null },
        pushed_at: '2026-11-20T10:15:02.123Z',
      });
      expect(result).toEqual({
        state: 'requested',
        message: 'Netlify accepted the build hook (200); a hook does not report the outcome',
        vendorId: null,
        url: null,
      });
    });

    it('cuts a long first line of the commit message to 100 characters in the title', async () => {
      answer = () => ({ status: 200 });
      await provider.start(hookCall(HOOK_URL, jobWith({ message: `${'x'.repeat(150)}\nsecond line` })));
      expect(seen[0]?.query.trigger_title).toBe(`Deploy Relay: ${'x'.repeat(99)}…`);
    });

    it('sends no trigger_branch for a tag, which is not a branch Netlify can build', async () => {
      answer = () => ({ status: 200 });
      await provider.start(hookCall(HOOK_URL, jobWith({ ref: { name: 'v1.2.0', type: 'tag' } })));
      expect(seen[0]?.query).toEqual({ trigger_title: 'Deploy Relay: Add checkout page' });
    });

    it.each([
      [`https://api.netlify.com.example.org/build_hooks/${HOOK_ID}`],
      [`https://app.netlify.com/build_hooks/${HOOK_ID}`],
      [`https://api.netlify.com/api/v1/sites/${SITE_ID}/builds`],
      ['api.netlify.com/build_hooks/abc'],
    ])('refuses the hook URL %s without sending it, and without repeating it', async (hookUrl) => {
      const error = refusal(await provider.start(hookCall(hookUrl)).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe('The build hook URL must be a Netlify build hook URL (https://api.netlify.com/build_hooks/…).');
      expect(seen).toHaveLength(0);
    });

    it('keeps the hook id out of a refusal and the logs', async () => {
      answer = () => ({ status: 404, body: { code: 404, message: `Build hook ${HOOK_ID} not found` } });
      const error = refusal(await provider.start(hookCall()).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(HttpRejected);
      expect(error.message).toBe('POST https://api.netlify.com/build_hooks/[redacted] answered 404: Build hook [redacted] not found');
      expect(lines.join('\n')).not.toContain(HOOK_ID);
    });

    it('verifies only the shape, sends nothing, and says so', async () => {
      expect(await provider.verify(hookCall())).toEqual({
        ok: true,
        shapeOnly: true,
        message:
          'The build hook URL has the right shape (https://api.netlify.com/build_hooks/…). Only its shape was checked: calling a build hook builds, so nothing was sent.',
      });
      expect(seen).toHaveLength(0);
    });

    it('has no status to read: it asks for API mode instead', async () => {
      await expect(provider.status?.(hookCall(), BUILD_ID)).rejects.toThrow(
        'A Netlify build hook cannot report a deploy’s outcome: switch the target to API mode (a token and a site ID) to follow deploys.',
      );
    });
  });

  describe('API mode', () => {
    it('starts a build of the branch with the token and follows the build', async () => {
      answer = () => ({ status: 200, body: netlifyBuild() });
      const result = await provider.start(apiCall());
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        origin: 'https://api.netlify.com',
        method: 'POST',
        path: `/api/v1/sites/${SITE_ID}/builds`,
        query: { branch: 'release/1.2', title: 'Deploy Relay: Add checkout page' },
        body: '',
      });
      expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(result).toEqual({
        state: 'in_progress',
        message: `Netlify build ${BUILD_ID} started for deploy ${DEPLOY_ID}`,
        vendorId: BUILD_ID,
        url: null,
      });
    });

    it('surfaces a 4xx with Netlify’s own message as a refusal', async () => {
      answer = () => ({ status: 422, body: { code: 422, message: 'Site has no linked repository' } });
      const error = refusal(await provider.start(apiCall()).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(HttpRejected);
      expect(error.message).toBe(`POST https://api.netlify.com/api/v1/sites/${SITE_ID}/builds answered 422: Site has no linked repository`);
    });

    it('turns a 429 into a retryable fault', async () => {
      answer = () => ({ status: 429, body: { code: 429, message: 'Rate limit exceeded' }, headers: { 'retry-after': '60' } });
      const error = await provider.start(apiCall()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpFault);
      expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: 60 });
    });

    it('refuses to start without a token, before sending anything', async () => {
      const error = refusal(await provider.start(apiCall({})).catch((e: unknown) => e));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toBe("A Netlify personal access token is not set: add it to the target's secrets.");
      expect(seen).toHaveLength(0);
    });

    it('never puts the token in a thrown message or a log line', async () => {
      answer = () => ({ status: 401, body: { code: 401, message: `Access Denied: token ${TOKEN} is not valid` } });
      const error = refusal(await provider.status?.(apiCall(), BUILD_ID).catch((e: unknown) => e));
      expect(error.message).toBe(
        `GET https://api.netlify.com/api/v1/builds/${BUILD_ID} answered 401: Access Denied: token [redacted] is not valid`,
      );
      expect(lines.join('\n')).not.toContain(TOKEN);
    });

    it('follows the build to its deploy and reads the deploy’s state', async () => {
      answer = (request) =>
        request.path.startsWith('/api/v1/builds/')
          ? { status: 200, body: netlifyBuild({ done: true }) }
          : { status: 200, body: netlifyDeploy('ready') };
      const result = await provider.status?.(apiCall(), BUILD_ID);
      expect(seen.map((s) => [s.method, s.path, s.headers.authorization])).toEqual([
        ['GET', `/api/v1/builds/${BUILD_ID}`, `Bearer ${TOKEN}`],
        ['GET', `/api/v1/deploys/${DEPLOY_ID}`, `Bearer ${TOKEN}`],
      ]);
      expect(result).toEqual({
        state: 'succeeded',
        message: `Netlify deploy ${DEPLOY_ID} is ready`,
        url: `https://app.netlify.com/sites/acme-web/deploys/${DEPLOY_ID}`,
      });
    });

    it('reports a failed build with Netlify’s error, without asking for the deploy', async () => {
      answer = () => ({ status: 200, body: netlifyBuild({ done: true, error: 'Build script returned non-zero exit code: 2' }) });
      expect(await provider.status?.(apiCall(), BUILD_ID)).toEqual({
        state: 'failed',
        message: `Netlify build ${BUILD_ID} failed: Build script returned non-zero exit code: 2`,
        url: null,
      });
      expect(seen).toHaveLength(1);
    });

    it('cancels the deploy the build names: the build is read, then its deploy canceled', async () => {
      answer = (s) => (s.method === 'GET' ? { status: 200, body: netlifyBuild() } : { status: 201, body: netlifyDeploy('error') });
      expect(await provider.cancel?.(apiCall(), BUILD_ID)).toBe(`Netlify canceled deploy ${DEPLOY_ID}`);
      expect(seen.map((s) => [s.method, s.path, s.headers.authorization])).toEqual([
        ['GET', `/api/v1/builds/${BUILD_ID}`, `Bearer ${TOKEN}`],
        ['POST', `/api/v1/deploys/${DEPLOY_ID}/cancel`, `Bearer ${TOKEN}`],
      ]);
    });

    it('refuses to cancel a build that has no deploy yet, and says to try again', async () => {
      answer = () => ({ status: 200, body: netlifyBuild({ deploy_id: null }) });
      await expect(provider.cancel?.(apiCall(), BUILD_ID)).rejects.toThrow(
        `Netlify build ${BUILD_ID} has no deploy to cancel yet; try again in a moment`,
      );
      expect(seen.map((s) => s.method)).toEqual(['GET']);
    });

    it('keeps following a build that has no deploy yet', async () => {
      answer = () => ({ status: 200, body: netlifyBuild({ deploy_id: null }) });
      expect(await provider.status?.(apiCall(), BUILD_ID)).toEqual({
        state: 'in_progress',
        message: `Netlify build ${BUILD_ID} is queued`,
        url: null,
      });
    });

    it.each(
      Object.entries({
        new: 'in_progress',
        pending_review: 'in_progress',
        accepted: 'in_progress',
        enqueued: 'in_progress',
        building: 'in_progress',
        uploading: 'in_progress',
        uploaded: 'in_progress',
        preparing: 'in_progress',
        prepared: 'in_progress',
        processing: 'in_progress',
        processed: 'in_progress',
        retrying: 'in_progress',
        ready: 'succeeded',
        error: 'failed',
        rejected: 'failed',
      }),
    )('maps deploy state %s to %s', async (deployState, state) => {
      answer = (request) =>
        request.path.startsWith('/api/v1/builds/')
          ? { status: 200, body: netlifyBuild() }
          : { status: 200, body: netlifyDeploy(deployState) };
      expect(await provider.status?.(apiCall(), BUILD_ID)).toMatchObject({ state });
    });

    it('the table has ready as the only success and error, rejected as the only failures', () => {
      const byState = (wanted: string) =>
        Object.keys(DEPLOY_STATES)
          .filter((key) => DEPLOY_STATES[key] === wanted)
          .sort();
      expect([byState('succeeded'), byState('failed')]).toEqual([['ready'], ['error', 'rejected']]);
    });

    it('keeps following a deploy state it does not know, and says so', async () => {
      answer = (request) =>
        request.path.startsWith('/api/v1/builds/')
          ? { status: 200, body: netlifyBuild() }
          : { status: 200, body: netlifyDeploy('quarantined') };
      expect(await provider.status?.(apiCall(), BUILD_ID)).toEqual({
        state: 'in_progress',
        message: `Netlify deploy ${DEPLOY_ID} is quarantined (a state Deploy Relay does not know yet, still following it)`,
        url: `https://app.netlify.com/sites/acme-web/deploys/${DEPLOY_ID}`,
      });
    });

    it('verifies by reading the site with GET only', async () => {
      answer = () => ({
        status: 200,
        body: { id: SITE_ID, name: 'acme-web', url: 'http://acme-web.netlify.app', ssl_url: 'https://acme-web.netlify.app' },
      });
      expect(await provider.verify(apiCall())).toEqual({
        ok: true,
        shapeOnly: false,
        message: 'The token can read the site acme-web (https://acme-web.netlify.app). Nothing was deployed.',
      });
      expect(seen.map((s) => [s.method, s.path])).toEqual([['GET', `/api/v1/sites/${SITE_ID}`]]);
    });

    it('answers "no" with Netlify’s words when the site is not visible to the token', async () => {
      answer = () => ({ status: 404, body: { code: 404, message: 'Not Found' } });
      expect(await provider.verify(apiCall())).toEqual({
        ok: false,
        shapeOnly: false,
        message: `Netlify refused the credentials: GET https://api.netlify.com/api/v1/sites/${SITE_ID} answered 404: Not Found`,
      });
    });
  });

  describe('previews', () => {
    const previews = provider.previews!;

    it('builds the pull request’s source branch as a branch deploy through the API, and follows the build', async () => {
      answer = () => ({ status: 200, body: netlifyBuild() });
      const made = await previews.deploy(apiCall({ token: TOKEN }, makePreviewJob('deploy')));
      expect(seen.map((s) => [s.method, s.path, s.query])).toEqual([
        ['POST', `/api/v1/sites/${SITE_ID}/builds`, { branch: 'feature/login', title: 'Deploy Relay: Log in' }],
      ]);
      expect(made).toMatchObject({ state: 'in_progress', vendorId: BUILD_ID });
    });

    it('builds the source branch by the build hook too, whose outcome Netlify does not report', async () => {
      answer = () => ({ status: 200 });
      const made = await previews.deploy(hookCall(HOOK_URL, makePreviewJob('deploy')));
      expect(seen.map((s) => [s.method, s.path, s.query.trigger_branch])).toEqual([['POST', `/build_hooks/${HOOK_ID}`, 'feature/login']]);
      expect(made).toMatchObject({ state: 'requested', vendorId: null });
    });

    it('keeps the branch deploy at teardown and says so, calling nothing', async () => {
      const kept = await previews.teardown(apiCall({ token: TOKEN }, makePreviewJob('teardown')));
      expect(seen).toEqual([]);
      expect(kept).toEqual({
        state: 'succeeded',
        message:
          'Netlify keeps branch deploys: nothing was removed (delete the branch’s deploys from the site’s Deploys page if they are no longer wanted)',
        vendorId: null,
        url: null,
      });
      expect(previews.unavailable).toBeUndefined();
    });
  });

  describe('settings', () => {
    const issues = (raw: Record<string, unknown>): string[] => {
      const result = provider.settingsSchema.safeParse(raw);
      return result.success ? [] : describeIssues(result.error);
    };

    it('accepts a site id or the site’s domain', () => {
      expect(settingsOf({ mode: 'api', siteId: 'acme-web.netlify.app' })).toEqual({ mode: 'api', siteId: 'acme-web.netlify.app' });
      expect(settingsOf({ mode: 'api', siteId: SITE_ID })).toEqual({ mode: 'api', siteId: SITE_ID });
    });

    it.each([
      [{ mode: 'API' }, 'mode: must be "hook" (a build hook URL) or "api" (a token and a site ID)'],
      [{ mode: 'api' }, 'siteId: the site ID is required in API mode'],
      [
        { mode: 'api', siteId: 'https://app.netlify.com/sites/acme-web' },
        'siteId: must be the site’s ID (a UUID from Site configuration → Site details) or its domain, such as my-site.netlify.app',
      ],
    ])('refuses %j with a message a person can act on', (raw, message) => {
      expect(issues(raw)).toEqual([message]);
    });

    it('calls only api.netlify.com, in either mode', () => {
      expect(provider.hosts(settingsOf({ mode: 'hook' }))).toEqual(['api.netlify.com']);
      expect(provider.hosts(settingsOf({ mode: 'api', siteId: SITE_ID }))).toEqual(['api.netlify.com']);
    });

    it('declares the mode as a select and the hook URL and token as secrets', () => {
      expect(provider.fields.map((f) => [f.key, f.kind, f.secret])).toEqual([
        ['mode', 'select', false],
        ['hookUrl', 'url', true],
        ['siteId', 'text', false],
        ['token', 'text', true],
      ]);
      expect(provider.fields[0]?.options?.map((o) => o.value)).toEqual(['hook', 'api']);
    });
  });
});
