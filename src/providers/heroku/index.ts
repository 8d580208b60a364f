import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import { firstLine } from '../../core/text';
import { HttpFault, type HttpMethod, HttpRejected, type HttpResponse } from '../../core/http';
import { parseAnswer, readAccepted, requireSecret } from '../kit';
import type { DeployCall, DeployProvider, ProviderCall, StartResult, StatusResult } from '../../core/provider';
import { herokuState, reviewAppState } from './states';
import { appSchema, buildSchema, type HerokuReviewApp, reviewAppListSchema, reviewAppSchema } from './wire';

/**
 * Heroku's Build API: Heroku downloads a gzipped tarball of the source from a URL we give it and builds
 * it (https://devcenter.heroku.com/articles/build-and-release-using-the-api). We never hand Heroku a
 * Bitbucket credential, so the tarball URL must be one Heroku can fetch on its own.
 */
const API = 'https://api.heroku.com';
const HEADERS = { accept: 'application/vnd.heroku+json; version=3' };

const PLACEHOLDERS = ['commit', 'ref', 'repository', 'token'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const SAMPLE: Record<Placeholder, string> = { commit: '0'.repeat(40), ref: 'main', repository: 'workspace/repo', token: 'token' };

/** What is wrong with a source URL template, in words a person can act on; null when it is usable. */
export function templateProblem(template: string): string | null {
  if (template === '') return null; // minLength says it once
  const names = [...template.matchAll(/\{([^{}]*)\}/g)].map((match) => match[1] ?? '');
  const unknown = names.find((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown !== undefined) return `{${unknown}} is not a placeholder; use {commit}, {ref}, {repository} or {token}`;
  if (!names.includes('commit')) return 'must contain {commit}, or every deploy would build the same source';
  let url: URL;
  try {
    url = new URL(fill(template, SAMPLE));
  } catch {
    return 'must be a full URL such as https://bitbucket.org/{repository}/get/{commit}.tar.gz';
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username || url.password)
    return 'must not hold credentials: put the token in the "Archive token" secret and write {token} where it goes';
  return null;
}

function fill(template: string, values: Record<Placeholder, string>): string {
  return template.replace(/\{(commit|ref|repository|token)\}/g, (_match, name: Placeholder) => values[name]);
}

const settingsSchema = z.object({
  app: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'the Heroku app name is required'),
      z.regex(
        /^([a-z][a-z0-9-]{1,28}[a-z0-9]|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/,
        'must be a Heroku app name (3-30 lowercase letters, digits and dashes, starting with a letter) or an app id',
      ),
    ),
  sourceUrlTemplate: z.string().check(
    z.trim(),
    z.minLength(1, 'the source tarball URL is required'),
    z.maxLength(1000),
    z.superRefine((value, ctx) => {
      const problem = templateProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
    }),
  ),
  // Optional: a pipeline makes the target able to preview pull requests as Review Apps.
  pipeline: z._default(
    z
      .string()
      .check(
        z.trim(),
        z.regex(
          /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/,
          'must be the pipeline’s id, a UUID such as 2f3e7a1c-…, from heroku pipelines:info',
        ),
      ),
    '',
  ),
});
export type HerokuSettings = z.infer<typeof settingsSchema>;

const apiKeyOf = (call: ProviderCall<HerokuSettings>): string => requireSecret(call.secrets, 'apiKey', 'The Heroku API key');

/** The tarball URL for this job; a {token} template needs its secret, a {repository} one the repository's name. */
export function sourceUrl(call: DeployCall<HerokuSettings>): string {
  const template = call.settings.sourceUrlTemplate;
  const token = call.secrets.archiveToken ?? '';
  if (template.includes('{token}') && !token) {
    throw new InvalidInputError('The source URL uses {token} but the "Archive token" secret is not set.', [
      'archiveToken: required by {token}',
    ]);
  }
  const fullName = call.repository.fullName;
  if (template.includes('{repository}') && !fullName) {
    throw new InvalidInputError(
      "The source URL uses {repository} but the repository's name is not known yet: save the settings page once.",
    );
  }
  return fill(template, {
    commit: call.job.commit.hash,
    ref: encodeURIComponent(call.job.ref.name),
    repository: (fullName ?? '').split('/').map(encodeURIComponent).join('/'),
    token: encodeURIComponent(token),
  });
}

const buildPageUrl = (app: string, id: string): string =>
  `https://dashboard.heroku.com/apps/${encodeURIComponent(app)}/activity/builds/${encodeURIComponent(id)}`;

/**
 * One Platform API call with the API key; a body is JSON. The archive token rides in a body's source
 * URL, so it is redacted too.
 */
function callHeroku(
  call: ProviderCall<HerokuSettings>,
  method: HttpMethod,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<HttpResponse> {
  const apiKey = apiKeyOf(call);
  return call.http.send({
    method,
    url: `${API}${path}`,
    headers: {
      ...HEADERS,
      ...extraHeaders,
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    secrets: [apiKey, ...(call.secrets.archiveToken ? [call.secrets.archiveToken] : [])],
  });
}

/** `POST /apps/{app}/builds` of the job's commit tarball: the app's own, or a review app's. */
async function createBuild(call: DeployCall<HerokuSettings>, app: string): Promise<StartResult> {
  const response = await callHeroku(call, 'POST', `/apps/${encodeURIComponent(app)}/builds`, {
    source_blob: { url: sourceUrl(call), version: call.job.commit.hash, version_description: firstLine(call.job.commit.message, 200) },
  });
  const read = readAccepted('Heroku', 'build', buildSchema, response, call.log);
  if (!read.ok) return read.result;
  const build = read.data;
  return {
    state: 'in_progress',
    message: `Heroku build ${build.id} started (${build.status})`,
    vendorId: build.id,
    url: buildPageUrl(app, build.id),
  };
}

/**
 * What a record's vendor id follows. A push's build is the target app's (its plain id); a preview is a
 * review app being made (`review-app:{id}`), then a build of the review app's own app (`{app}/{build}`).
 */
const REVIEW_APP = 'review-app:';
type Followed = { kind: 'build'; app: string; build: string } | { kind: 'review-app'; id: string };
function followed(settings: HerokuSettings, vendorId: string): Followed {
  if (vendorId.startsWith(REVIEW_APP)) return { kind: 'review-app', id: vendorId.slice(REVIEW_APP.length) };
  const [app, build] = vendorId.split('/');
  return build && app ? { kind: 'build', app, build } : { kind: 'build', app: settings.app, build: vendorId };
}

const NO_PIPELINE =
  'Heroku makes previews as Review Apps of a pipeline: set the pipeline id (heroku pipelines:info) to preview pull requests';

/** The preview's pipeline and pull request; the registry refuses preview jobs for settings without a pipeline. */
function reviewOf(call: DeployCall<HerokuSettings>): { pipeline: string; pr: number } {
  const pr = call.job.preview?.pullRequest.id;
  if (pr === undefined) throw new InvalidInputError('Heroku was asked for a review app by a job that is not a preview');
  if (!call.settings.pipeline) throw new InvalidInputError(NO_PIPELINE);
  return { pipeline: call.settings.pipeline, pr };
}

/**
 * Heroku's lists come in ranges ("Platform API Reference", Ranges): a truncated one answers 206 Partial
 * Content with a Next-Range header to send back as Range (the range's form is the reference's
 * example). The largest page it gives is 1,000; a list longer than these pages is refused rather than
 * read as holding none, which would make a second review app of the pull request.
 */
const REVIEW_APP_RANGE = 'id ..; max=1000;';
const REVIEW_APP_PAGES = 10;

/** The pipeline's review app of pull request `pr` that still stands (not deleting or deleted), if any. */
async function standingReviewApp(call: DeployCall<HerokuSettings>, pipeline: string, pr: number): Promise<HerokuReviewApp | null> {
  let range = REVIEW_APP_RANGE;
  for (let page = 0; page < REVIEW_APP_PAGES; page++) {
    const response = await callHeroku(call, 'GET', `/pipelines/${encodeURIComponent(pipeline)}/review-apps`, undefined, { range });
    const apps = parseAnswer('Heroku', reviewAppListSchema, response.text, 'Heroku review apps');
    const standing = apps.find((app) => app.pr_number === pr && app.status !== 'deleting' && app.status !== 'deleted');
    const next = response.headers.get('next-range');
    if (standing || response.status !== 206 || !next) return standing ?? null;
    range = next;
  }
  throw new HttpRejected(
    `Heroku's pipeline ${pipeline} lists its review apps over more than ${REVIEW_APP_PAGES} pages; delete old ones so the review app of pull request #${pr} can be found`,
    null,
  );
}

/** `POST /review-apps`: Heroku makes an app in the pipeline and builds the tarball of the pull request's commit. */
async function createReviewApp(call: DeployCall<HerokuSettings>, pipeline: string, pr: number): Promise<StartResult> {
  const response = await callHeroku(call, 'POST', '/review-apps', {
    branch: call.job.ref.name,
    pipeline,
    pr_number: pr,
    // The review app's source_blob takes only url and version (strictProperties).
    source_blob: { url: sourceUrl(call), version: call.job.commit.hash },
  });
  const read = readAccepted('Heroku', 'review app', reviewAppSchema, response, call.log);
  if (!read.ok) return read.result;
  const made = read.data;
  return {
    state: 'in_progress',
    message: `Heroku is making review app ${made.id} for pull request #${pr} (${made.status})`,
    vendorId: `${REVIEW_APP}${made.id}`,
    url: null,
  };
}

async function reviewAppStatus(call: ProviderCall<HerokuSettings>, id: string): Promise<StatusResult> {
  const response = await callHeroku(call, 'GET', `/review-apps/${encodeURIComponent(id)}`);
  const review = parseAnswer('Heroku', reviewAppSchema, response.text, `Heroku review app ${id}`);
  const said = review.error_status ?? review.message;
  return {
    state: reviewAppState(review.status),
    message: `Heroku review app ${review.status}${said ? `: ${said}` : ''}`,
    url: review.app ? `https://dashboard.heroku.com/apps/${encodeURIComponent(review.app.id)}` : null,
  };
}

export const herokuProvider: DeployProvider<HerokuSettings> = {
  id: 'heroku',
  title: 'Heroku',
  fields: [
    {
      key: 'app',
      label: 'Heroku app',
      kind: 'text',
      required: true,
      secret: false,
      help: 'The app name (or id) as the Heroku dashboard shows it, e.g. acme-web-staging.',
    },
    {
      key: 'sourceUrlTemplate',
      label: 'Source tarball URL',
      kind: 'text',
      required: true,
      secret: false,
      help:
        'Heroku downloads a .tar.gz of your code from this URL itself; Deploy Relay never gives Heroku your Bitbucket credentials. ' +
        '{commit} becomes the commit hash, {ref} the branch or tag, {repository} workspace/repo-slug, {token} the Archive token. ' +
        'A public repository can use https://bitbucket.org/{repository}/get/{commit}.tar.gz. ' +
        'A private repository cannot: Heroku would get a login page. Give a URL Heroku can fetch without Bitbucket credentials, ' +
        'such as an authenticated archive URL you provide (put its token in "Archive token", not here), or upload the source with ' +
        "Heroku's POST /sources yourself. The filled-in URL is kept in Heroku's build record, visible to the app's collaborators.",
    },
    {
      key: 'pipeline',
      label: 'Pipeline id (for previews)',
      kind: 'text',
      required: false,
      secret: false,
      help: 'Optional: the id of the pipeline whose Review Apps preview pull requests (heroku pipelines:info shows it). Review Apps must be enabled on the pipeline.',
    },
    {
      key: 'apiKey',
      label: 'Heroku API key',
      kind: 'text',
      required: true,
      secret: true,
      help: 'An API key or authorization token (heroku authorizations:create) with access to the app.',
    },
    {
      key: 'archiveToken',
      label: 'Archive token',
      kind: 'text',
      required: false,
      secret: true,
      help: 'Optional: replaces {token} in the source URL, so a credential for your archive never sits in the visible settings.',
    },
  ],
  settingsSchema,
  hosts: () => ['api.heroku.com'],
  redeploy: () => ({ by: 'commit' }),

  start: (call) => createBuild(call, call.settings.app),

  /**
   * Heroku Review Apps: the pull request's first preview makes a review app in the pipeline from the
   * commit's tarball; each newer commit is a build of that review app's own app. Teardown deletes it.
   */
  previews: {
    async deploy(call) {
      const { pipeline, pr } = reviewOf(call);
      const standing = await standingReviewApp(call, pipeline, pr);
      if (!standing) return createReviewApp(call, pipeline, pr);
      if (standing.status === 'created' && standing.app) {
        const started = await createBuild(call, standing.app.id);
        return started.vendorId ? { ...started, vendorId: `${standing.app.id}/${started.vendorId}` } : started;
      }
      if (standing.status === 'errored') {
        const said = standing.error_status ?? standing.message;
        throw new HttpRejected(
          `Heroku's review app of pull request #${pr} errored${said ? ` (${said})` : ''}: delete it from the pipeline, then push to the pull request again`,
          null,
        );
      }
      // Still being made from an earlier commit: this commit is built on it once it is made.
      throw new HttpFault('busy', `Heroku is still making the review app of pull request #${pr} (${standing.status})`, null, 60);
    },
    async teardown(call) {
      const { pipeline, pr } = reviewOf(call);
      const standing = await standingReviewApp(call, pipeline, pr);
      if (!standing)
        return { state: 'succeeded', message: `Heroku has no review app of pull request #${pr} to remove`, vendorId: null, url: null };
      await callHeroku(call, 'DELETE', `/review-apps/${encodeURIComponent(standing.id)}`);
      return {
        state: 'succeeded',
        message: `Heroku is deleting review app ${standing.id} of pull request #${pr}`,
        vendorId: null,
        url: null,
      };
    },
    unavailable: (settings) => (settings.pipeline ? null : NO_PIPELINE),
  },

  async status(call, vendorId) {
    const following = followed(call.settings, vendorId);
    if (following.kind === 'review-app') return reviewAppStatus(call, following.id);
    const response = await callHeroku(
      call,
      'GET',
      `/apps/${encodeURIComponent(following.app)}/builds/${encodeURIComponent(following.build)}`,
    );
    const build = parseAnswer('Heroku', buildSchema, response.text, `Heroku build ${following.build}`);
    return { state: herokuState(build.status), message: `Heroku build ${build.status}`, url: buildPageUrl(following.app, build.id) };
  },

  async verify(call) {
    try {
      const response = await callHeroku(call, 'GET', `/apps/${encodeURIComponent(call.settings.app)}`);
      const app = parseAnswer('Heroku', appSchema, response.text, 'Heroku app');
      return {
        ok: true,
        shapeOnly: false,
        message: `The API key can read the Heroku app ${app.name}. The source URL is not fetched: Heroku fetches it at deploy time.`,
      };
    } catch (error) {
      if (error instanceof HttpRejected) return { ok: false, shapeOnly: false, message: error.message };
      throw error;
    }
  },
};
