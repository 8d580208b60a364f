import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import {
  checkHookUrl,
  hookAccepted,
  deploySummary,
  hookModeFields,
  type HookShape,
  hookShapeVerified,
  parseAnswer,
  readAccepted,
  requireSecret,
  verifyByReading,
} from '../kit';
import { HttpRejected } from '../../core/http';
import { firstLine } from '../../core/text';
import type { DeployCall, DeployProvider, ProviderCall, StartResult, StatusResult } from '../../core/provider';
import { deployState } from './states';
import { type NetlifyBuild, type NetlifyDeploy, buildSchema, deploySchema, siteSchema } from './wire';

/**
 * Netlify, two ways (providers.md): a build hook (a secret URL; builds a branch's newest commit and
 * reports nothing back) or the API (starts a build that can be followed to its deploy). Neither takes a
 * commit: Netlify builds the newest commit of the branch.
 */
const API = 'https://api.netlify.com';
const HOST = 'api.netlify.com';

const MODE_MESSAGE = 'must be "hook" (a build hook URL) or "api" (a token and a site ID)';

const settingsSchema = z.discriminatedUnion(
  'mode',
  [
    z.object({ mode: z.literal('hook') }),
    z.object({
      mode: z.literal('api'),
      siteId: z
        .string('the site ID is required in API mode')
        .check(
          z.trim(),
          z.regex(
            /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/,
            'must be the site’s ID (a UUID from Site configuration → Site details) or its domain, such as my-site.netlify.app',
          ),
        ),
    }),
  ],
  { error: MODE_MESSAGE },
);
export type NetlifySettings = z.infer<typeof settingsSchema>;
type ApiSettings = Extract<NetlifySettings, { mode: 'api' }>;

export const NETLIFY_HOOK: HookShape = {
  vendor: 'Netlify',
  label: 'build hook URL',
  example: 'https://api.netlify.com/build_hooks/…',
  host: HOST,
  path: /^\/build_hooks\/([A-Za-z0-9]+)$/,
};
const TOKEN_WHAT = 'A Netlify personal access token';

/** Netlify shows the title in its deploy list; one line is all that fits there. */
const TITLE_LENGTH = 100;
export const buildTitle = (message: string): string => `Deploy Relay: ${firstLine(message, TITLE_LENGTH)}`;

const sitePath = (settings: ApiSettings): string => `/api/v1/sites/${encodeURIComponent(settings.siteId)}`;

const deployPage = (deploy: NetlifyDeploy): string | null =>
  deploy.admin_url ? `${deploy.admin_url.replace(/\/+$/, '')}/deploys/${encodeURIComponent(deploy.id)}` : null;

function apiSettings(settings: NetlifySettings, action: string): ApiSettings {
  if (settings.mode !== 'api') {
    throw new InvalidInputError(
      `A Netlify build hook cannot ${action}: switch the target to API mode (a token and a site ID) to follow deploys.`,
    );
  }
  return settings;
}

const getJson = (token: string) => ({ authorization: `Bearer ${token}`, accept: 'application/json' });

/** The build a deploy request started (the id this app follows), read with an API-mode target's token. */
async function readBuild(call: ProviderCall<NetlifySettings>, token: string, buildId: string): Promise<NetlifyBuild> {
  const response = await call.http.send({
    method: 'GET',
    url: `${API}/api/v1/builds/${encodeURIComponent(buildId)}`,
    headers: getJson(token),
    secrets: [token],
  });
  return parseAnswer('Netlify', buildSchema, response.text, 'Netlify build');
}

/** Builds the job's branch (a tag builds the site's own branch): by the build hook, or through the API, followed to its deploy. */
async function startBuild(call: DeployCall<NetlifySettings>): Promise<StartResult> {
  const { job } = call;
  const title = buildTitle(job.commit.message);
  // A tag is not a branch Netlify can build: without a branch, the hook or site builds its own default one.
  const branch = job.ref.type === 'branch' ? job.ref.name : null;

  if (call.settings.mode === 'hook') {
    const hook = checkHookUrl(call.secrets.hookUrl, NETLIFY_HOOK, 'hookUrl');
    const url = new URL(hook.url);
    if (branch) url.searchParams.set('trigger_branch', branch);
    url.searchParams.set('trigger_title', title);
    const response = await call.http.send({
      method: 'POST',
      url: url.toString(),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(deploySummary(call)),
      secrets: hook.secrets,
    });
    return hookAccepted('Netlify', 'build hook', response.status);
  }

  const settings = call.settings;
  const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
  const url = new URL(`${sitePath(settings)}/builds`, API);
  if (branch) url.searchParams.set('branch', branch);
  url.searchParams.set('title', title);
  // The spec's body is an optional zip of files to deploy; a build from the linked repository sends none.
  const response = await call.http.send({ method: 'POST', url: url.toString(), headers: getJson(token), secrets: [token] });
  const read = readAccepted('Netlify', 'build', buildSchema, response, call.log);
  if (!read.ok) return read.result;
  const build = read.data;
  return {
    state: 'in_progress',
    message: `Netlify build ${build.id} started${build.deploy_id ? ` for deploy ${build.deploy_id}` : ''}`,
    vendorId: build.id,
    url: null,
  };
}

export const netlifyProvider: DeployProvider<NetlifySettings> = {
  id: 'netlify',
  title: 'Netlify',
  fields: [
    ...hookModeFields(
      {
        label: 'Build hook URL',
        option: 'Build hook: builds the pushed branch’s newest commit, outcome not reported',
        help: 'From Site configuration → Build & deploy → Build hooks: https://api.netlify.com/build_hooks/…',
      },
      'Access token: starts a build and follows its deploy to the end',
    ),
    {
      key: 'siteId',
      label: 'Site ID',
      kind: 'text',
      required: false,
      secret: false,
      mode: 'api',
      help: 'The site’s ID from Site configuration → Site details, or its domain (my-site.netlify.app).',
    },
    {
      key: 'token',
      label: 'Personal access token',
      kind: 'text',
      required: false,
      secret: true,
      mode: 'api',
      help: 'From User settings → Applications → Personal access tokens.',
    },
  ],
  settingsSchema,
  hosts: () => [HOST],
  // The restore call (restoreSiteDeploy) takes a deploy id, and the records keep the build's id, not its deploy's.
  redeploy: () => ({
    by: 'none',
    why: 'Netlify builds the branch’s newest commit; restore an earlier deploy from the site’s Deploys page in Netlify',
  }),

  start: (call) => startBuild(call),

  /**
   * A preview is a branch deploy: a build of the pull request's source branch, which Netlify serves at
   * its own branch address when the site deploys all branches. Netlify has no call that removes a
   * branch deploy, so teardown keeps it.
   */
  previews: {
    deploy: (call) => startBuild(call),
    teardown: () =>
      Promise.resolve({
        state: 'succeeded',
        message:
          'Netlify keeps branch deploys: nothing was removed (delete the branch’s deploys from the site’s Deploys page if they are no longer wanted)',
        vendorId: null,
        url: null,
      }),
  },

  /** The build says whether it failed and which deploy it makes; the deploy's `state` says where that deploy is. */
  async status(call: ProviderCall<NetlifySettings>, vendorId: string): Promise<StatusResult> {
    apiSettings(call.settings, 'report a deploy’s outcome');
    const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
    const build = await readBuild(call, token, vendorId);
    if (build.error) return { state: 'failed', message: `Netlify build ${build.id} failed: ${build.error}`, url: null };
    if (!build.deploy_id)
      return {
        state: 'in_progress',
        message: `Netlify build ${build.id} is ${build.done ? 'done, waiting for its deploy' : 'queued'}`,
        url: null,
      };

    const deployResponse = await call.http.send({
      method: 'GET',
      url: `${API}/api/v1/deploys/${encodeURIComponent(build.deploy_id)}`,
      headers: getJson(token),
      secrets: [token],
    });
    const deploy = parseAnswer('Netlify', deploySchema, deployResponse.text, 'Netlify deploy');
    const { state, known } = deployState(deploy.state);
    const said = deploy.error_message ? `: ${deploy.error_message}` : '';
    return {
      state,
      message: `Netlify deploy ${deploy.id} is ${deploy.state}${said}${known ? '' : ' (a state Deploy Relay does not know yet, still following it)'}`,
      url: deployPage(deploy),
    };
  },

  /**
   * `POST /api/v1/deploys/{deploy_id}/cancel` (cancelSiteDeploy). The id this app follows is the build's;
   * the build names its deploy once Netlify has made one, so that is read first.
   */
  async cancel(call: ProviderCall<NetlifySettings>, vendorId: string): Promise<string> {
    apiSettings(call.settings, 'cancel a deploy');
    const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
    const build = await readBuild(call, token, vendorId);
    if (!build.deploy_id) throw new HttpRejected(`Netlify build ${build.id} has no deploy to cancel yet; try again in a moment`, null);
    await call.http.send({
      method: 'POST',
      url: `${API}/api/v1/deploys/${encodeURIComponent(build.deploy_id)}/cancel`,
      headers: getJson(token),
      secrets: [token],
    });
    return `Netlify canceled deploy ${build.deploy_id}`;
  },

  async verify(call) {
    if (call.settings.mode === 'hook') return hookShapeVerified(call.secrets.hookUrl, NETLIFY_HOOK, 'hookUrl');
    const settings = call.settings;
    const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
    return verifyByReading(
      call.http,
      { method: 'GET', url: `${API}${sitePath(settings)}`, headers: getJson(token), secrets: [token] },
      siteSchema,
      'Netlify',
      (site) => `The token can read the site ${site.name ?? site.id}${site.ssl_url ? ` (${site.ssl_url})` : ''}. Nothing was deployed.`,
    );
  },
};
