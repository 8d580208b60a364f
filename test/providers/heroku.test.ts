import { InvalidInputError } from '../../src/core/errors';
import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { herokuProvider, type HerokuSettings } from '../../src/providers/heroku';
import { HEROKU_BUILD_STATES, herokuState } from '../../src/providers/heroku/states';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { HEROKU_HASH as HASH, herokuBuildRequest } from '../fixtures/vendors/heroku';
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

  it('calls only api.heroku.com and lists every setting and secret as a field', () => {
    expect(
      herokuProvider.hosts(settingsOf({ app: 'acme-web-staging', sourceUrlTemplate: 'https://archive.example.com/{commit}.tgz' })),
    ).toEqual(['api.heroku.com']);
    expect(herokuProvider.fields.map((f) => [f.key, f.secret, f.required])).toEqual([
      ['app', false, true],
      ['sourceUrlTemplate', false, true],
      ['apiKey', true, true],
      ['archiveToken', true, false],
    ]);
    expect(herokuProvider.fields.find((f) => f.key === 'sourceUrlTemplate')?.help).toContain(
      'Heroku downloads a .tar.gz of your code from this URL itself',
    );
  });
});
