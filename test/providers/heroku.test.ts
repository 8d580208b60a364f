import { InvalidInputError } from '../../src/core/errors';
import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { herokuProvider, type HerokuSettings } from '../../src/providers/heroku';
import { HEROKU_BUILD_STATES, herokuState, reviewAppState } from '../../src/providers/heroku/states';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob, makePreviewJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { HEROKU_HASH as HASH, HEROKU_PIPELINE, herokuBuildRequest, herokuReviewAppRequest } from '../fixtures/vendors/heroku';
import { loopbackVendor, type Reply, type Seen } from './loopback-vendor';

const API_KEY = 'hrku-SECRET-0f1e2d3c4b5a';
const ARCHIVE_TOKEN = 'arch-SECRET-998877';
const BUILD_ID = '01234567-89ab-cdef-0123-456789abcdef';

const job = makeDeployJob({
  deliveryId: 'dlv-heroku-1',
  jobKey: 'job-1',
  repository: { uuid: '{repo}', workspaceUuid: '{ws}' },
  targetId: 'heroku-staging',
  ref: { name: 'feature/login', type: 'branch' },
  commit: { hash: HASH, message: 'Fix the login redirect\n\nThe body is not sent.', author: 'Ada', date: null },
  actor: { accountId: null, uuid: null },
  pushedAt: null,
  createdAt: 0,
});

describe('the Heroku provider', () => {
  let reply: (seen: Seen) => Reply = () => ({ status: 200 });
  const vendor = loopbackVendor((request) => reply(request));
  const { http, seen, lines, outbound } = vendor;

  const settingsOf = (raw: Record<string, unknown>): HerokuSettings => herokuProvider.settingsSchema.parse(raw);
  const callWith = (
    raw: Record<string, unknown> = {},
    secrets: Record<string, string> = { apiKey: API_KEY },
  ): DeployCall<HerokuSettings> => ({
    job,
    target: makeTarget({ id: 'heroku-staging', provider: 'heroku' }),
    settings: settingsOf({ app: 'acme-web-staging', sourceUrlTemplate: 'https://bitbucket.org/{repository}/get/{commit}.tar.gz', ...raw }),
    secrets,
    repository: { uuid: '{repo}', workspaceUuid: '{ws}', fullName: 'acme/web' },
    http,
    log: createLogger(() => undefined),
    now: () => 1_763_633_800_000,
  });
  const build = (status: string) => ({
    id: BUILD_ID,
    status,
    created_at: '2026-11-20T10:15:00Z',
    updated_at: '2026-11-20T10:15:00Z',
    source_blob: { url: 'https://bitbucket.org/acme/web/get/x.tar.gz', version: HASH, checksum: null, version_description: null },
    user: { id: 'u', email: 'ada@example.com' },
  });

  it('creates a build from the commit tarball and follows it by build id', async () => {
    reply = () => ({ status: 201, body: build('pending') });
    const result = await herokuProvider.start(callWith());
    expect(result).toEqual({
      state: 'in_progress',
      message: `Heroku build ${BUILD_ID} started (pending)`,
      vendorId: BUILD_ID,
      url: `https://dashboard.heroku.com/apps/acme-web-staging/activity/builds/${BUILD_ID}`,
    });
    expect(outbound).toEqual(['https://api.heroku.com/apps/acme-web-staging/builds']);
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.target).toBe('/apps/acme-web-staging/builds');
    expect(request?.headers.accept).toBe('application/vnd.heroku+json; version=3');
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual(herokuBuildRequest);
  });

  it('fills {ref} and {token} URL-encoded and keeps the archive token out of every log line', async () => {
    reply = () => ({ status: 201, body: build('pending') });
    await herokuProvider.start(
      callWith(
        { sourceUrlTemplate: 'https://archive.example.com/{ref}/{commit}.tgz?key={token}' },
        { apiKey: API_KEY, archiveToken: ARCHIVE_TOKEN },
      ),
    );
    const body = JSON.parse(seen[0]?.body ?? '') as { source_blob: { url: string } };
    expect(body.source_blob.url).toBe(`https://archive.example.com/feature%2Flogin/${HASH}.tgz?key=${ARCHIVE_TOKEN}`);
    expect(lines.join('\n')).not.toContain(ARCHIVE_TOKEN);
    expect(lines.join('\n')).not.toContain(API_KEY);
  });

  it('refuses a {token} template when the archive token secret is missing, before sending anything', async () => {
    const error = await herokuProvider
      .start(callWith({ sourceUrlTemplate: 'https://archive.example.com/{commit}.tgz?key={token}' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe('The source URL uses {token} but the "Archive token" secret is not set.');
    expect(seen).toHaveLength(0);
  });

  it('maps every build status Heroku documents, and an unknown one to in progress', async () => {
    expect(Object.fromEntries(HEROKU_BUILD_STATES)).toEqual({ pending: 'in_progress', succeeded: 'succeeded', failed: 'failed' });
    expect(herokuState('expired')).toBe('in_progress');
    expect(herokuState('constructor')).toBe('in_progress');
    for (const [status, state] of [
      ['pending', 'in_progress'],
      ['succeeded', 'succeeded'],
      ['failed', 'failed'],
    ] as const) {
      reply = () => ({ status: 200, body: build(status) });
      const result = await herokuProvider.status?.(callWith(), BUILD_ID);
      expect(result).toEqual({
        state,
        message: `Heroku build ${status}`,
        url: `https://dashboard.heroku.com/apps/acme-web-staging/activity/builds/${BUILD_ID}`,
      });
    }
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual(Array(3).fill(`GET /apps/acme-web-staging/builds/${BUILD_ID}`));
    expect(seen[0]?.headers.accept).toBe('application/vnd.heroku+json; version=3');
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("surfaces Heroku's own message on a 4xx, without the key", async () => {
    reply = () => ({ status: 404, body: { id: 'not_found', message: `Couldn't find that app. (key ${API_KEY})` } });
    const error = await herokuProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toBe(
      "POST https://api.heroku.com/apps/acme-web-staging/builds answered 404: Couldn't find that app. (key [redacted])",
    );
  });

  it('turns a 429 into a retryable fault', async () => {
    reply = () => ({ status: 429, body: { id: 'rate_limit', message: 'Your account reached the API rate limit' } });
    const error = await herokuProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpFault);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429 });
  });

  it('records an unreadable 201 as requested instead of guessing a build id or failing a running build', async () => {
    reply = () => ({ status: 201, body: { status: 'pending' } });
    await expect(herokuProvider.start(callWith())).resolves.toEqual({
      state: 'requested',
      message: 'Heroku accepted the build (201), but its answer could not be read, so it is not followed',
      vendorId: null,
      url: null,
    });
  });

  it('verifies with a read of the app and reports a refusal as not ok', async () => {
    reply = () => ({ status: 200, body: { id: 'c0ffee00-0000-4000-8000-000000000000', name: 'acme-web-staging' } });
    const ok = await herokuProvider.verify(callWith());
    expect(ok).toEqual({
      ok: true,
      shapeOnly: false,
      message: 'The API key can read the Heroku app acme-web-staging. The source URL is not fetched: Heroku fetches it at deploy time.',
    });
    expect(seen.map((s) => `${s.method} ${s.target}`)).toEqual(['GET /apps/acme-web-staging']);
    reply = () => ({ status: 401, body: { id: 'unauthorized', message: 'Invalid credentials provided.' } });
    expect(await herokuProvider.verify(callWith())).toEqual({
      ok: false,
      shapeOnly: false,
      message: 'GET https://api.heroku.com/apps/acme-web-staging answered 401: Invalid credentials provided.',
    });
  });

  it('refuses a missing API key before sending anything', async () => {
    await expect(herokuProvider.start(callWith({}, {}))).rejects.toThrow("The Heroku API key is not set: add it to the target's secrets.");
    expect(seen).toHaveLength(0);
  });

  it.each([
    [
      { app: 'Acme Web' },
      'app: must be a Heroku app name (3-30 lowercase letters, digits and dashes, starting with a letter) or an app id',
    ],
    [
      { sourceUrlTemplate: 'https://bitbucket.org/acme/web/get/main.tar.gz' },
      'sourceUrlTemplate: must contain {commit}, or every deploy would build the same source',
    ],
    [{ sourceUrlTemplate: 'http://archive.example.com/{commit}.tgz' }, 'sourceUrlTemplate: must be an https URL'],
    [
      { sourceUrlTemplate: 'https://{sha}.example.com/{commit}' },
      'sourceUrlTemplate: {sha} is not a placeholder; use {commit}, {ref}, {repository} or {token}',
    ],
    [
      { sourceUrlTemplate: 'https://ada:hunter22@archive.example.com/{commit}.tgz' },
      'sourceUrlTemplate: must not hold credentials: put the token in the "Archive token" secret and write {token} where it goes',
    ],
    [{ app: '' }, 'app: the Heroku app name is required'],
    [{ sourceUrlTemplate: ' ' }, 'sourceUrlTemplate: the source tarball URL is required'],
  ])('refuses bad settings %j clearly', (override, message) => {
    const result = herokuProvider.settingsSchema.safeParse({
      app: 'acme-web-staging',
      sourceUrlTemplate: 'https://x.example.com/{commit}.tgz',
      ...override,
    });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toEqual([message]);
  });

  describe('previews: Review Apps of the pipeline', () => {
    const previews = herokuProvider.previews!;
    const REVIEW_APP = '9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a';
    const REVIEW_APP_APP = '4d3c2b1a-0f9e-4d8c-9b7a-6f5e4d3c2b1a';
    const previewCall = (action: 'deploy' | 'teardown', raw: Record<string, unknown> = { pipeline: HEROKU_PIPELINE }) => ({
      ...callWith(raw),
      job: makePreviewJob(action),
    });
    const reviewApp = (status: string, extra: Record<string, unknown> = {}) => ({
      id: REVIEW_APP,
      status,
      pr_number: 7,
      branch: 'feature/login',
      app: status === 'created' ? { id: REVIEW_APP_APP } : null,
      message: null,
      error_status: null,
      ...extra,
    });
    /** The pipeline's review apps are `standing`; a create, a build and a delete each answer as Heroku does. */
    const pipelineHas = (standing: unknown[]) => (request: Seen) => {
      if (request.method === 'GET' && request.path === `/pipelines/${HEROKU_PIPELINE}/review-apps`) return { status: 200, body: standing };
      if (request.path === '/review-apps') return { status: 201, body: reviewApp('pending') };
      if (request.method === 'DELETE') return { status: 200, body: reviewApp('deleting') };
      if (request.path.endsWith('/builds')) return { status: 201, body: build('pending') };
      return { status: 404, body: { id: 'not_found', message: 'Not found' } };
    };
    const asked = () => seen.map((s) => `${s.method} ${s.path}`);

    it('makes a review app from the commit’s tarball for the pull request’s first preview, and follows it', async () => {
      reply = pipelineHas([reviewApp('deleted', { id: 'gone' }), reviewApp('created', { pr_number: 8 })]);
      const made = await previews.deploy(previewCall('deploy'));
      expect(asked()).toEqual([`GET /pipelines/${HEROKU_PIPELINE}/review-apps`, 'POST /review-apps']);
      expect(JSON.parse(seen[1]?.body ?? '')).toEqual(herokuReviewAppRequest);
      expect(made).toEqual({
        state: 'in_progress',
        message: `Heroku is making review app ${REVIEW_APP} for pull request #7 (pending)`,
        vendorId: `review-app:${REVIEW_APP}`,
        url: null,
      });

      seen.length = 0;
      reply = () => ({ status: 200, body: reviewApp('created') });
      const status = await herokuProvider.status?.(previewCall('deploy'), made.vendorId ?? '');
      expect(asked()).toEqual([`GET /review-apps/${REVIEW_APP}`]);
      expect(status).toEqual({
        state: 'succeeded',
        message: 'Heroku review app created',
        url: `https://dashboard.heroku.com/apps/${REVIEW_APP_APP}`,
      });
    });

    it('builds a newer commit on the review app’s own app, and follows that build there', async () => {
      reply = pipelineHas([reviewApp('created')]);
      const made = await previews.deploy(previewCall('deploy'));
      expect(asked()).toEqual([`GET /pipelines/${HEROKU_PIPELINE}/review-apps`, `POST /apps/${REVIEW_APP_APP}/builds`]);
      expect(JSON.parse(seen[1]?.body ?? '')).toEqual({
        source_blob: { ...herokuBuildRequest.source_blob, version_description: 'Log in' },
      });
      expect(made).toMatchObject({ state: 'in_progress', vendorId: `${REVIEW_APP_APP}/${BUILD_ID}` });

      seen.length = 0;
      reply = () => ({ status: 200, body: build('succeeded') });
      const status = await herokuProvider.status?.(previewCall('deploy'), made.vendorId ?? '');
      expect(asked()).toEqual([`GET /apps/${REVIEW_APP_APP}/builds/${BUILD_ID}`]);
      expect(status?.state).toBe('succeeded');
    });

    it('reads the pipeline’s review apps range by range, as Heroku pages a list, and builds on the one it finds', async () => {
      const others = (from: number) =>
        Array.from({ length: 3 }, (_, i) => reviewApp('created', { id: `other-${from + i}`, pr_number: 100 + from + i }));
      reply = (request) => {
        if (request.method === 'GET' && request.headers.range === 'id ..; max=1000;')
          return { status: 206, body: others(0), headers: { 'next-range': ']other-2..; max=1000' } };
        if (request.method === 'GET' && request.headers.range === ']other-2..; max=1000')
          return { status: 200, body: [...others(3), reviewApp('created')] };
        return pipelineHas([])(request);
      };
      await previews.deploy(previewCall('deploy'));
      const list = `GET /pipelines/${HEROKU_PIPELINE}/review-apps`;
      expect(asked()).toEqual([list, list, `POST /apps/${REVIEW_APP_APP}/builds`]);
      expect(seen.slice(0, 2).map((s) => s.headers.range)).toEqual(['id ..; max=1000;', ']other-2..; max=1000']);
    });

    it('refuses, without making a second review app, a pipeline whose list goes on past ten ranges', async () => {
      reply = (request) =>
        request.method === 'GET'
          ? {
              status: 206,
              body: [reviewApp('created', { id: `other-${seen.length}`, pr_number: 900 + seen.length })],
              headers: { 'next-range': `]other-${seen.length}..; max=1000` },
            }
          : pipelineHas([])(request);
      await expect(previews.deploy(previewCall('deploy'))).rejects.toThrow(
        new HttpRejected(
          `Heroku's pipeline ${HEROKU_PIPELINE} lists its review apps over more than 10 pages; delete old ones so the review app of pull request #7 can be found`,
          null,
        ),
      );
      expect(asked()).toEqual(Array.from({ length: 10 }, () => `GET /pipelines/${HEROKU_PIPELINE}/review-apps`));
    });

    it('waits, as a retryable fault, while the review app is still being made from an earlier commit', async () => {
      reply = pipelineHas([reviewApp('creating')]);
      const waiting = previews.deploy(previewCall('deploy'));
      await expect(waiting).rejects.toThrow(
        new HttpFault('busy', 'Heroku is still making the review app of pull request #7 (creating)', null, 60),
      );
      await expect(waiting).rejects.toMatchObject({ retryAfterSeconds: 60 });
    });

    it('refuses to build on an errored review app, saying what to do', async () => {
      reply = pipelineHas([reviewApp('errored', { error_status: 'Build failed' })]);
      await expect(previews.deploy(previewCall('deploy'))).rejects.toThrow(
        new HttpRejected(
          "Heroku's review app of pull request #7 errored (Build failed): delete it from the pipeline, then push to the pull request again",
          null,
        ),
      );
      expect(asked()).toEqual([`GET /pipelines/${HEROKU_PIPELINE}/review-apps`]);
    });

    it('deletes the pull request’s review app at teardown, and has nothing to remove when there is none', async () => {
      reply = pipelineHas([reviewApp('created')]);
      const removed = await previews.teardown(previewCall('teardown'));
      expect(asked()).toEqual([`GET /pipelines/${HEROKU_PIPELINE}/review-apps`, `DELETE /review-apps/${REVIEW_APP}`]);
      expect(removed).toEqual({
        state: 'succeeded',
        message: `Heroku is deleting review app ${REVIEW_APP} of pull request #7`,
        vendorId: null,
        url: null,
      });

      seen.length = 0;
      reply = pipelineHas([reviewApp('deleting')]);
      expect(await previews.teardown(previewCall('teardown'))).toMatchObject({
        state: 'succeeded',
        message: 'Heroku has no review app of pull request #7 to remove',
      });
      expect(asked()).toEqual([`GET /pipelines/${HEROKU_PIPELINE}/review-apps`]);
    });

    it('is not offered without a pipeline, and refuses a pipeline that is not an id', () => {
      const message =
        'Heroku makes previews as Review Apps of a pipeline: set the pipeline id (heroku pipelines:info) to preview pull requests';
      expect(previews.unavailable?.(callWith().settings)).toBe(message);
      expect(previews.unavailable?.(callWith({ pipeline: HEROKU_PIPELINE }).settings)).toBeNull();
      const result = herokuProvider.settingsSchema.safeParse({
        app: 'acme-web-staging',
        sourceUrlTemplate: 'https://archive.example.com/{commit}.tgz',
        pipeline: 'acme-pipeline',
      });
      expect(result.success ? [] : describeIssues(result.error)).toEqual([
        'pipeline: must be the pipeline’s id, a UUID such as 2f3e7a1c-…, from heroku pipelines:info',
      ]);
    });

    it('reads a made review app as the preview working, one gone or errored as failed, and a status Heroku adds later as still under way', () => {
      expect(['pending', 'creating', 'created', 'errored', 'deleting', 'deleted', 'hibernating'].map(reviewAppState)).toEqual([
        'in_progress',
        'in_progress',
        'succeeded',
        'failed',
        'failed',
        'failed',
        'in_progress',
      ]);
    });
  });

  it('calls only api.heroku.com and lists every setting and secret as a field', () => {
    expect(
      herokuProvider.hosts(settingsOf({ app: 'acme-web-staging', sourceUrlTemplate: 'https://archive.example.com/{commit}.tgz' })),
    ).toEqual(['api.heroku.com']);
    expect(herokuProvider.fields.map((f) => [f.key, f.secret, f.required])).toEqual([
      ['app', false, true],
      ['sourceUrlTemplate', false, true],
      ['pipeline', false, false],
      ['apiKey', true, true],
      ['archiveToken', true, false],
    ]);
    expect(herokuProvider.fields.find((f) => f.key === 'sourceUrlTemplate')?.help).toContain(
      'Heroku downloads a .tar.gz of your code from this URL itself',
    );
  });
});
