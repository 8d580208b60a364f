import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import { firstLine } from '../../core/text';
import { HttpRejected } from '../../core/http';
import { parseAnswer, readAccepted, requireSecret } from '../kit';
import type { DeployCall, DeployProvider, ProviderCall } from '../../core/provider';
import { herokuState } from './states';
import { appSchema, buildSchema } from './wire';

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

  async start(call) {
    const apiKey = apiKeyOf(call);
    const url = sourceUrl(call);
    const app = call.settings.app;
    const response = await call.http.send({
      method: 'POST',
      url: `${API}/apps/${encodeURIComponent(app)}/builds`,
      headers: { ...HEADERS, authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        source_blob: { url, version: call.job.commit.hash, version_description: firstLine(call.job.commit.message, 200) },
      }),
      secrets: [apiKey, ...(call.secrets.archiveToken ? [call.secrets.archiveToken] : [])],
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
  },

  async status(call, vendorId) {
    const apiKey = apiKeyOf(call);
    const app = call.settings.app;
    const response = await call.http.send({
      method: 'GET',
      url: `${API}/apps/${encodeURIComponent(app)}/builds/${encodeURIComponent(vendorId)}`,
      headers: { ...HEADERS, authorization: `Bearer ${apiKey}` },
      secrets: [apiKey],
    });
    const build = parseAnswer('Heroku', buildSchema, response.text, `Heroku build ${vendorId}`);
    return { state: herokuState(build.status), message: `Heroku build ${build.status}`, url: buildPageUrl(app, build.id) };
  },

  async verify(call) {
    const apiKey = apiKeyOf(call);
    try {
      const response = await call.http.send({
        method: 'GET',
        url: `${API}/apps/${encodeURIComponent(call.settings.app)}`,
        headers: { ...HEADERS, authorization: `Bearer ${apiKey}` },
        secrets: [apiKey],
      });
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
