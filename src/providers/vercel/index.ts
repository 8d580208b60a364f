import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import {
  checkHookUrl,
  hookAccepted,
  hookModeFields,
  type HookShape,
  hookShapeVerified,
  jsonHeaders,
  parseAnswer,
  readAccepted,
  requireSecret,
  verifyByReading,
} from '../kit';
import type { DeployCall, DeployProvider, ProviderCall, StartResult, StatusResult } from '../../core/provider';
import { readyState } from './states';
import { type VercelDeployment, deploymentSchema, projectSchema } from './wire';

/**
 * Vercel, two ways (providers.md): a deploy hook (bound to one project and branch; deploys that branch's
 * newest commit and reports nothing back) or the API (deploys this exact commit from Bitbucket and can be followed).
 */
const API = 'https://api.vercel.com';
const HOST = 'api.vercel.com';

const MODE_MESSAGE = 'must be "hook" (a deploy hook URL) or "api" (a token and a project)';

const settingsSchema = z.discriminatedUnion(
  'mode',
  [
    z.object({ mode: z.literal('hook') }),
    z.object({
      mode: z.literal('api'),
      project: z
        .string('the project is required in API mode')
        .check(
          z.trim(),
          z.regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be the project’s name or ID (prj_…), as shown in its Settings → General'),
        ),
      teamId: z.optional(
        z
          .string()
          .check(
            z.trim(),
            z.regex(
              /^(team_[A-Za-z0-9]+)?$/,
              'must be a team ID such as team_a1B2c3 (Team Settings → General), or empty for a personal account',
            ),
          ),
      ),
    }),
  ],
  { error: MODE_MESSAGE },
);
export type VercelSettings = z.infer<typeof settingsSchema>;
type ApiSettings = Extract<VercelSettings, { mode: 'api' }>;

export const VERCEL_HOOK: HookShape = {
  vendor: 'Vercel',
  label: 'deploy hook URL',
  example: 'https://api.vercel.com/v1/integrations/deploy/prj_…/…',
  host: HOST,
  // The project id is not secret; the last segment is the hook's own secret.
  path: /^\/v1\/integrations\/deploy\/prj_[A-Za-z0-9]+\/([A-Za-z0-9_-]+)$/,
};
const TOKEN_WHAT = 'A Vercel access token';

/** Adds ?teamId= when the project belongs to a team; Vercel answers 404 for a team project without it. */
function apiUrl(path: string, settings: ApiSettings): string {
  const url = new URL(path, API);
  if (settings.teamId) url.searchParams.set('teamId', settings.teamId);
  return url.toString();
}

const pageOf = (deployment: VercelDeployment): string | null => (deployment.url ? `https://${deployment.url}` : null);

const describe = (deployment: VercelDeployment): string =>
  `Vercel deployment ${deployment.id} is ${deployment.readyState}${deployment.errorMessage ? `: ${deployment.errorMessage}` : ''}`;

function apiSettings(settings: VercelSettings, action: string): ApiSettings {
  if (settings.mode !== 'api') {
    throw new InvalidInputError(
      `A Vercel deploy hook cannot ${action}: switch the target to API mode (a token and a project) to follow deploys.`,
    );
  }
  return settings;
}

const isProduction = (environment: string): boolean => environment.trim().toLowerCase() === 'production';

/** `POST /v13/deployments` of this exact commit from Bitbucket; production or, with `target` omitted, a preview. */
async function createDeployment(call: DeployCall<VercelSettings>, settings: ApiSettings, production: boolean): Promise<StartResult> {
  const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
  const { job, repository } = call;
  const response = await call.http.send({
    method: 'POST',
    url: apiUrl('/v13/deployments', settings),
    headers: jsonHeaders(token),
    body: JSON.stringify({
      name: settings.project,
      project: settings.project,
      // Omitted (undefined) for a preview deployment.
      target: production ? 'production' : undefined,
      gitSource: {
        type: 'bitbucket',
        ref: job.ref.name,
        sha: job.commit.hash,
        workspaceUuid: repository.workspaceUuid,
        repoUuid: repository.uuid,
      },
    }),
    secrets: [token],
  });
  const read = readAccepted('Vercel', 'deploy', deploymentSchema, response, call.log);
  if (!read.ok) return read.result;
  return { state: 'in_progress', message: describe(read.data), vendorId: read.data.id, url: pageOf(read.data) };
}

export const vercelProvider: DeployProvider<VercelSettings> = {
  id: 'vercel',
  title: 'Vercel',
  fields: [
    ...hookModeFields(
      {
        label: 'Deploy hook URL',
        option: 'Deploy hook: deploys the hook’s branch at its newest commit, outcome not reported',
        help: 'From the project’s Settings → Git → Deploy Hooks: https://api.vercel.com/v1/integrations/deploy/prj_…/…',
      },
      'Access token: deploys this exact commit and follows it to the end',
    ),
    {
      key: 'project',
      label: 'Project',
      kind: 'text',
      required: false,
      secret: false,
      mode: 'api',
      help: 'The project’s name or ID (prj_…); the project must be connected to this Bitbucket repository.',
    },
    {
      key: 'teamId',
      label: 'Team ID',
      kind: 'text',
      required: false,
      secret: false,
      mode: 'api',
      help: 'For a team’s project: team_… from Team Settings → General. Leave empty for a personal account.',
    },
    {
      key: 'token',
      label: 'Access token',
      kind: 'text',
      required: false,
      secret: true,
      mode: 'api',
      help: 'From Account Settings → Tokens, scoped to the project’s team.',
    },
  ],
  settingsSchema,
  hosts: () => [HOST],
  redeploy: (settings) =>
    settings.mode === 'api'
      ? { by: 'commit' }
      : {
          by: 'none',
          why: 'A Vercel deploy hook deploys its branch’s newest commit; switch the target to an access token to redeploy a given commit',
        },

  async start(call) {
    if (call.settings.mode === 'hook') {
      const hook = checkHookUrl(call.secrets.hookUrl, VERCEL_HOOK, 'hookUrl');
      const response = await call.http.send({ method: 'POST', url: hook.url.toString(), secrets: hook.secrets });
      return hookAccepted('Vercel', 'deploy hook', response.status);
    }
    return createDeployment(call, call.settings, isProduction(call.target.environment));
  },

  /**
   * A preview deployment of the source branch at its commit (API mode): Vercel keeps every deployment
   * and its own address, so a teardown has nothing to remove and says so.
   */
  previews: {
    deploy: (call) => createDeployment(call, apiSettings(call.settings, 'make a preview'), false),
    teardown: () =>
      Promise.resolve({
        state: 'succeeded',
        message:
          'Vercel keeps preview deployments: nothing was removed (delete it from the project’s Deployments if it is no longer wanted)',
        vendorId: null,
        url: null,
      }),
    unavailable: (settings) =>
      settings.mode === 'api'
        ? null
        : 'A Vercel deploy hook deploys one branch and cannot make previews: switch the target to an access token and a project',
  },

  /** `PATCH /v12/deployments/{id}/cancel` (Vercel's REST reference, "Cancel a deployment"): one that is building. */
  async cancel(call: ProviderCall<VercelSettings>, vendorId: string): Promise<string> {
    const settings = apiSettings(call.settings, 'cancel a deploy');
    const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
    await call.http.send({
      method: 'PATCH',
      url: apiUrl(`/v12/deployments/${encodeURIComponent(vendorId)}/cancel`, settings),
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      secrets: [token],
    });
    return `Vercel is canceling deployment ${vendorId}`;
  },

  async status(call: ProviderCall<VercelSettings>, vendorId: string): Promise<StatusResult> {
    const settings = apiSettings(call.settings, 'report a deploy’s outcome');
    const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
    const response = await call.http.send({
      method: 'GET',
      url: apiUrl(`/v13/deployments/${encodeURIComponent(vendorId)}`, settings),
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      secrets: [token],
    });
    const deployment = parseAnswer('Vercel', deploymentSchema, response.text, 'Vercel deployment');
    const { state, known } = readyState(deployment.readyState);
    return {
      state,
      message: known ? describe(deployment) : `${describe(deployment)}: a state Deploy Relay does not know yet, still following it`,
      url: pageOf(deployment),
    };
  },

  async verify(call) {
    if (call.settings.mode === 'hook') return hookShapeVerified(call.secrets.hookUrl, VERCEL_HOOK, 'hookUrl');
    const settings = call.settings;
    const token = requireSecret(call.secrets, 'token', TOKEN_WHAT);
    return verifyByReading(
      call.http,
      {
        method: 'GET',
        url: apiUrl(`/v9/projects/${encodeURIComponent(settings.project)}`, settings),
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        secrets: [token],
      },
      projectSchema,
      'Vercel',
      (project) => `The token can read the project ${project.name ?? project.id}. Nothing was deployed.`,
    );
  },
};
