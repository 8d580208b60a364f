import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import type { DeployProvider, ProviderCall, StatusResult } from '../../core/provider';
import {
  checkHookUrl,
  hookAccepted,
  hookModeFields,
  type HookShape,
  hookShapeVerified,
  jsonHeaders,
  parseAnswer,
  readJson,
  requireSecret,
  verifyByReading,
} from '../kit';
import { deployState } from './states';
import { type RenderDeploy, deploySchema, serviceSchema } from './wire';

/**
 * Render, two ways (providers.md): a deploy hook (a secret URL; Render deploys the branch's newest commit
 * and reports nothing back) or the API (deploys this exact commit and can be followed).
 */
const API = 'https://api.render.com';
const HOST = 'api.render.com';

const MODE_MESSAGE = 'must be "hook" (a deploy hook URL) or "api" (an API key and a service ID)';

const settingsSchema = z.discriminatedUnion(
  'mode',
  [
    z.object({ mode: z.literal('hook') }),
    z.object({
      mode: z.literal('api'),
      serviceId: z
        .string('the service ID is required in API mode')
        .check(
          z.trim(),
          z.regex(/^(srv|crn)-[a-z0-9]+$/, "must be a Render service ID such as srv-d0abc123xyz (in the service's dashboard URL)"),
        ),
    }),
  ],
  { error: MODE_MESSAGE },
);
export type RenderSettings = z.infer<typeof settingsSchema>;
type ApiSettings = Extract<RenderSettings, { mode: 'api' }>;

export const RENDER_HOOK: HookShape = {
  vendor: 'Render',
  label: 'deploy hook URL',
  example: 'https://api.render.com/deploy/srv-…?key=…',
  host: HOST,
  path: /^\/deploy\/(?:srv|crn)-[a-z0-9]+$/,
  requiredQuery: ['key'],
};
const KEY_WHAT = 'A Render API key';

const servicePath = (settings: ApiSettings): string => `/v1/services/${encodeURIComponent(settings.serviceId)}`;

const deployPage = (serviceId: string, id: string): string =>
  `https://dashboard.render.com/web/${encodeURIComponent(serviceId)}/deploys/${encodeURIComponent(id)}`;

const describe = (deploy: RenderDeploy): string => `Render deploy ${deploy.id} is ${deploy.status.replace(/_/g, ' ')}`;

function apiSettings(settings: RenderSettings, action: string): ApiSettings {
  if (settings.mode !== 'api') {
    throw new InvalidInputError(
      `A Render deploy hook cannot ${action}: switch the target to API mode (an API key and a service ID) to follow deploys.`,
    );
  }
  return settings;
}

export const renderProvider: DeployProvider<RenderSettings> = {
  id: 'render',
  title: 'Render',
  fields: [
    ...hookModeFields(
      {
        label: 'Deploy hook URL',
        option: 'Deploy hook: deploys the branch’s newest commit, outcome not reported',
        help: 'From the service’s Settings → Deploy Hook: https://api.render.com/deploy/srv-…?key=…',
      },
      'API key: deploys this exact commit and follows it to the end',
    ),
    {
      key: 'serviceId',
      label: 'Service ID',
      kind: 'text',
      required: false,
      secret: false,
      mode: 'api',
      help: 'The srv-… ID from the service’s dashboard URL.',
    },
    {
      key: 'apiKey',
      label: 'API key',
      kind: 'text',
      required: false,
      secret: true,
      mode: 'api',
      help: 'From Account Settings → API Keys; it can act on every service of the workspace.',
    },
  ],
  settingsSchema,
  hosts: () => [HOST],
  redeploy: (settings) =>
    settings.mode === 'api'
      ? { by: 'commit' }
      : {
          by: 'none',
          why: 'A Render deploy hook deploys the branch’s newest commit; switch the target to an API key to redeploy a given commit',
        },

  async start(call) {
    if (call.settings.mode === 'hook') {
      const hook = checkHookUrl(call.secrets.hookUrl, RENDER_HOOK, 'hookUrl');
      const response = await call.http.send({ method: 'POST', url: hook.url.toString(), secrets: hook.secrets });
      return hookAccepted('Render', 'deploy hook', response.status);
    }
    const settings = call.settings;
    const apiKey = requireSecret(call.secrets, 'apiKey', KEY_WHAT);
    const response = await call.http.send({
      method: 'POST',
      url: `${API}${servicePath(settings)}/deploys`,
      headers: jsonHeaders(apiKey),
      body: JSON.stringify({ commitId: call.job.commit.hash, clearCache: 'do_not_clear' }),
      secrets: [apiKey],
    });
    const read = readJson(deploySchema, response.text);
    if (!read.ok) {
      // 202 means "queued behind a running deploy"; without an id there is nothing to follow, and retrying could deploy twice.
      call.log.warn('Render accepted the deploy without a readable deploy', { status: response.status, problem: read.problem });
      return {
        state: 'requested',
        message: `Render accepted the deploy (${response.status}) without saying which deploy it is, so it is not followed`,
        vendorId: null,
        url: null,
      };
    }
    return {
      state: 'in_progress',
      message: describe(read.data),
      vendorId: read.data.id,
      url: deployPage(settings.serviceId, read.data.id),
    };
  },

  async status(call: ProviderCall<RenderSettings>, vendorId: string): Promise<StatusResult> {
    const settings = apiSettings(call.settings, 'report a deploy’s outcome');
    const apiKey = requireSecret(call.secrets, 'apiKey', KEY_WHAT);
    const response = await call.http.send({
      method: 'GET',
      url: `${API}${servicePath(settings)}/deploys/${encodeURIComponent(vendorId)}`,
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      secrets: [apiKey],
    });
    const deploy = parseAnswer('Render', deploySchema, response.text, 'Render deploy');
    const { state, known } = deployState(deploy.status);
    return {
      state,
      message: known ? describe(deploy) : `${describe(deploy)}: a status Deploy Relay does not know yet, still following it`,
      url: deployPage(settings.serviceId, deploy.id),
    };
  },

  async verify(call) {
    if (call.settings.mode === 'hook') return hookShapeVerified(call.secrets.hookUrl, RENDER_HOOK, 'hookUrl');
    const settings = call.settings;
    const apiKey = requireSecret(call.secrets, 'apiKey', KEY_WHAT);
    return verifyByReading(
      call.http,
      {
        method: 'GET',
        url: `${API}${servicePath(settings)}`,
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
        secrets: [apiKey],
      },
      serviceSchema,
      'Render',
      (service) =>
        `The API key can read the service ${service.name ?? service.id}${service.type ? ` (${service.type})` : ''}. Nothing was deployed.`,
    );
  },
};
