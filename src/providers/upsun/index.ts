import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import { HttpRejected, type HttpRequest, type HttpResponse } from '../../core/http';
import { parseAnswer, readAccepted, requireSecret } from '../kit';
import type { DeployCall, DeployProvider, ProviderCall, StartResult } from '../../core/provider';
import { upsunState } from './states';
import { acceptedSchema, activitySchema, environmentSchema, tokenSchema } from './wire';

/**
 * Upsun (formerly Platform.sh), upsun-openapispec-upsun.json. An API token is not a bearer: it is
 * exchanged at auth.upsun.com for a bearer that lives about 15 minutes, so bearers are cached per token.
 * Every environment action answers with the activities it started, and an activity reports the outcome.
 */
const API = 'https://api.upsun.com';
const TOKEN_URL = 'https://auth.upsun.com/oauth2/token';
// The spec's introduction: `curl -u platform-api-user: -d 'grant_type=api_token&api_token=…'`.
const TOKEN_CLIENT = `Basic ${Buffer.from('platform-api-user:').toString('base64')}`;

const ACTIONS = ['redeploy', 'deploy', 'source-operation'] as const;
const ACTION_LABELS: Record<(typeof ACTIONS)[number], string> = {
  redeploy: 'Redeploy',
  deploy: 'Deploy staged changes',
  'source-operation': 'Run a source operation',
};

const rawSettingsSchema = z.object({
  projectId: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'the project id is required'),
      z.regex(/^[a-z0-9]*$/, 'must be the project id, such as abcdefgh1234567 (lowercase letters and digits)'),
    ),
  environment: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'the environment id is required'),
      z.maxLength(200),
      z.regex(/^\S*$/, 'must be the environment id, such as main or staging (no spaces)'),
    ),
  action: z.enum(ACTIONS, 'must be "redeploy", "deploy" or "source-operation"'),
  // A form sends '' for an untouched optional field; it means "not set".
  strategy: z.optional(z.enum(['rolling', 'stopstart', ''], 'must be "rolling" or "stopstart"')),
  sourceOperation: z.optional(
    z
      .string()
      .check(
        z.trim(),
        z.maxLength(100),
        z.regex(/^[A-Za-z0-9_.-]*$/, 'must be the name of a source operation in your config (letters, digits, _ . -)'),
      ),
  ),
});
type RawUpsunSettings = z.infer<typeof rawSettingsSchema>;

interface Place {
  projectId: string;
  environment: string;
}
export type UpsunSettings =
  | (Place & { action: 'redeploy' })
  | (Place & { action: 'deploy'; strategy: 'rolling' | 'stopstart' | null })
  | (Place & { action: 'source-operation'; sourceOperation: string });

/** Settings whose fields are each fine but contradict each other are refused, naming the field to change. */
export function resolveUpsunSettings(raw: RawUpsunSettings): UpsunSettings {
  const strategy = raw.strategy || null;
  const operation = raw.sourceOperation || null;
  const problems: string[] = [];
  if (raw.action === 'source-operation' && !operation)
    problems.push(`sourceOperation: required when the action is "${ACTION_LABELS['source-operation']}"`);
  if (raw.action !== 'source-operation' && operation)
    problems.push(`sourceOperation: only used by the "${ACTION_LABELS['source-operation']}" action; clear it or change the action`);
  if (raw.action !== 'deploy' && strategy)
    problems.push(`strategy: only used by the "${ACTION_LABELS.deploy}" action; clear it or change the action`);
  if (problems.length > 0) throw new InvalidInputError(`The Upsun settings contradict each other: ${problems.join('; ')}`, problems);
  const place = { projectId: raw.projectId, environment: raw.environment };
  if (raw.action === 'deploy') return { ...place, action: 'deploy', strategy };
  if (raw.action === 'source-operation') return { ...place, action: 'source-operation', sourceOperation: operation ?? '' };
  return { ...place, action: 'redeploy' };
}

const settingsSchema = z.pipe(
  rawSettingsSchema,
  z.transform((raw: RawUpsunSettings, ctx): UpsunSettings => {
    try {
      return resolveUpsunSettings(raw);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      for (const issue of error.issues) {
        const [path = '', message = issue] = issue.split(/: (.*)/s);
        ctx.issues.push({ code: 'custom', message, path: [path], input: raw });
      }
      return z.NEVER;
    }
  }),
);

interface Bearer {
  value: string;
  expiresAt: number;
}
/** Bearers by a hash of their API token, so no token sits in memory as a key. Module-level: warm invocations reuse it. */
const bearers = new Map<string, Bearer>();
const exchanges = new Map<string, Promise<Bearer>>();
const MAX_CACHED = 200;
/** Renew a minute early (or halfway, for a short-lived bearer) so none expires between check and use. */
const renewMarginMs = (lifetimeMs: number): number => Math.min(60_000, lifetimeMs / 2);

const keyOf = (apiToken: string): string => createHash('sha256').update(apiToken).digest('hex');

const apiTokenOf = (call: ProviderCall<UpsunSettings>): string => requireSecret(call.secrets, 'apiToken', 'The Upsun API token');

async function exchange(call: ProviderCall<UpsunSettings>, apiToken: string): Promise<Bearer> {
  const askedAt = call.now();
  let response: HttpResponse;
  try {
    response = await call.http.send({
      method: 'POST',
      url: TOKEN_URL,
      headers: { authorization: TOKEN_CLIENT, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'api_token', api_token: apiToken }).toString(),
      secrets: [apiToken],
    });
  } catch (error) {
    if (error instanceof HttpRejected) throw new HttpRejected(`Upsun did not accept the API token (${error.message})`, error.status);
    throw error;
  }
  const answer = parseAnswer('Upsun', tokenSchema, response.text, 'Upsun token exchange');
  const lifetimeMs = answer.expires_in * 1000;
  return { value: answer.access_token, expiresAt: askedAt + lifetimeMs - renewMarginMs(lifetimeMs) };
}

/** A bearer for this API token: cached until shortly before it expires; concurrent callers share one exchange. */
async function bearerFor(call: ProviderCall<UpsunSettings>, apiToken: string): Promise<string> {
  const key = keyOf(apiToken);
  const cached = bearers.get(key);
  if (cached && call.now() < cached.expiresAt) return cached.value;
  bearers.delete(key);
  let pending = exchanges.get(key);
  if (!pending) {
    pending = exchange(call, apiToken).finally(() => exchanges.delete(key));
    exchanges.set(key, pending);
  }
  const fresh = await pending;
  if (bearers.size >= MAX_CACHED) bearers.delete(bearers.keys().next().value ?? '');
  bearers.set(key, fresh);
  return fresh.value;
}

/** An API call with a bearer; a 401 drops the cached bearer so the next attempt exchanges the token again. */
async function callApi(
  call: ProviderCall<UpsunSettings>,
  request: Omit<HttpRequest, 'url' | 'secrets'> & { path: string },
): Promise<HttpResponse> {
  const apiToken = apiTokenOf(call);
  const bearer = await bearerFor(call, apiToken);
  const { path, headers, ...rest } = request;
  try {
    return await call.http.send({
      ...rest,
      url: `${API}${path}`,
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json', ...headers },
      secrets: [apiToken, bearer],
    });
  } catch (error) {
    if (error instanceof HttpRejected && error.status === 401) bearers.delete(keyOf(apiToken));
    throw error;
  }
}

const environmentPath = (s: UpsunSettings): string =>
  `/projects/${encodeURIComponent(s.projectId)}/environments/${encodeURIComponent(s.environment)}`;

function actionRequest(settings: UpsunSettings): { path: string; body: string | undefined; what: string } {
  const base = environmentPath(settings);
  switch (settings.action) {
    case 'redeploy':
      return { path: `${base}/redeploy`, body: undefined, what: 'redeploy' };
    case 'deploy':
      // EnvironmentDeployInput: the body is required, its only field optional.
      return { path: `${base}/deploy`, body: JSON.stringify(settings.strategy ? { strategy: settings.strategy } : {}), what: 'deploy' };
    case 'source-operation':
      return {
        path: `${base}/source-operation`,
        body: JSON.stringify({ operation: settings.sourceOperation }),
        what: `source operation ${settings.sourceOperation}`,
      };
  }
}

/** The started activity of an accepted environment action, as the record follows it. */
function followAccepted(accepted: z.infer<typeof acceptedSchema>, what: string): StartResult {
  // One action may start several activities; the first is the one the action itself created.
  const activity = accepted._embedded?.activities?.[0];
  if (!activity) {
    return { state: 'requested', message: `Upsun accepted the ${what} but started no activity to follow`, vendorId: null, url: null };
  }
  return {
    state: 'in_progress',
    message: `Upsun started the ${what} (activity ${activity.id}, ${activity.state})`,
    vendorId: activity.id,
    url: null,
  };
}

/**
 * The environment of a preview's branch: Upsun makes one per branch that reaches the project (its
 * Bitbucket integration, or a git push to Upsun), with the branch's name as its id. Null when there is none.
 */
async function branchEnvironment(call: DeployCall<UpsunSettings>): Promise<{ path: string; status: string } | null> {
  const path = `/projects/${encodeURIComponent(call.settings.projectId)}/environments/${encodeURIComponent(call.job.ref.name)}`;
  try {
    const response = await callApi(call, { method: 'GET', path });
    return { path, status: parseAnswer('Upsun', environmentSchema, response.text, 'Upsun environment').status };
  } catch (error) {
    if (error instanceof HttpRejected && error.status === 404) return null;
    throw error;
  }
}

/** An environment action of a preview (`activate`, `redeploy`, `deactivate`), followed by the activity it started. */
async function previewAction(call: DeployCall<UpsunSettings>, path: string, action: string, body?: string): Promise<StartResult> {
  const what = `${action} of environment ${call.job.ref.name}`;
  const response = await callApi(call, {
    method: 'POST',
    path: `${path}/${action}`,
    body,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  const read = readAccepted('Upsun', what, acceptedSchema, response, call.log);
  return read.ok ? followAccepted(read.data, what) : read.result;
}

export const upsunProvider: DeployProvider<UpsunSettings> = {
  id: 'upsun',
  title: 'Upsun (Platform.sh)',
  fields: [
    {
      key: 'projectId',
      label: 'Project id',
      kind: 'text',
      required: true,
      secret: false,
      help: 'The project id from the console address or `upsun project:info id`, such as abcdefgh1234567.',
    },
    {
      key: 'environment',
      label: 'Environment id',
      kind: 'text',
      required: true,
      secret: false,
      help: 'The environment to act on, such as main or staging.',
    },
    {
      key: 'action',
      label: 'Action',
      kind: 'select',
      required: true,
      secret: false,
      help: 'Redeploy rebuilds nothing and restarts the current code; Deploy staged changes releases what manual deployments held back; a source operation runs one defined in your config.',
      options: ACTIONS.map((value) => ({ value, label: ACTION_LABELS[value] })),
    },
    {
      key: 'strategy',
      label: 'Deployment strategy',
      kind: 'select',
      required: false,
      secret: false,
      help: 'Only for "Deploy staged changes": rolling keeps the site up where the environment supports it; stop-start restarts everything. Empty uses Upsun\'s default.',
      options: [
        { value: 'rolling', label: 'Rolling' },
        { value: 'stopstart', label: 'Stop-start' },
      ],
    },
    {
      key: 'sourceOperation',
      label: 'Source operation',
      kind: 'text',
      required: false,
      secret: false,
      help: 'Only for "Run a source operation": its name under source.operations in your config.',
    },
    {
      key: 'apiToken',
      label: 'Upsun API token',
      kind: 'text',
      required: true,
      secret: true,
      help: 'Created in the console under Account settings > API tokens. It is exchanged at auth.upsun.com for a short-lived access token on each use.',
    },
  ],
  settingsSchema,
  hosts: () => ['api.upsun.com', 'auth.upsun.com'],
  redeploy: () => ({ by: 'none', why: 'Upsun deploys what the environment’s branch holds and takes no commit' }),

  async start(call) {
    const { path, body, what } = actionRequest(call.settings);
    const response = await callApi(call, {
      method: 'POST',
      path,
      body,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    const read = readAccepted('Upsun', what, acceptedSchema, response, call.log);
    return read.ok ? followAccepted(read.data, what) : read.result;
  },

  /**
   * A preview is the environment of the pull request's source branch: an inactive one is activated
   * (Upsun builds the branch and copies the parent's data), an active one redeployed; teardown
   * deactivates it, which destroys its services and data and keeps the branch. Upsun takes no commit:
   * the environment runs what the branch holds on Upsun.
   */
  previews: {
    async deploy(call) {
      const environment = await branchEnvironment(call);
      if (!environment) {
        throw new HttpRejected(
          `Upsun has no environment for the branch ${call.job.ref.name}: it makes one when the branch reaches the project (its Bitbucket integration, or a git push to Upsun)`,
          404,
        );
      }
      if (environment.status === 'inactive') return previewAction(call, environment.path, 'activate', JSON.stringify({}));
      if (environment.status === 'paused') return previewAction(call, environment.path, 'resume');
      return previewAction(call, environment.path, 'redeploy');
    },
    async teardown(call) {
      const environment = await branchEnvironment(call);
      const branch = call.job.ref.name;
      if (!environment || environment.status === 'inactive' || environment.status === 'deleting') {
        const why = environment ? `is ${environment.status} already` : 'is gone';
        return {
          state: 'succeeded',
          message: `Upsun: the environment of ${branch} ${why}, nothing to deactivate`,
          vendorId: null,
          url: null,
        };
      }
      return previewAction(call, environment.path, 'deactivate');
    },
  },

  async status(call, vendorId) {
    const response = await callApi(call, {
      method: 'GET',
      path: `/projects/${encodeURIComponent(call.settings.projectId)}/activities/${encodeURIComponent(vendorId)}`,
    });
    const activity = parseAnswer('Upsun', activitySchema, response.text, `Upsun activity ${vendorId}`);
    const outcome = activity.result ? ` (${activity.result})` : '';
    return { state: upsunState(activity.state, activity.result), message: `Upsun activity ${activity.state}${outcome}`, url: null };
  },

  /** `POST /projects/{projectId}/activities/{activityId}/cancel`; the spec warns not every activity can be. */
  async cancel(call, vendorId) {
    await callApi(call, {
      method: 'POST',
      path: `/projects/${encodeURIComponent(call.settings.projectId)}/activities/${encodeURIComponent(vendorId)}/cancel`,
    });
    return `Upsun is canceling activity ${vendorId}`;
  },

  async verify(call) {
    try {
      const response = await callApi(call, { method: 'GET', path: environmentPath(call.settings) });
      const environment = parseAnswer('Upsun', environmentSchema, response.text, 'Upsun environment');
      if (call.settings.action === 'deploy' && call.settings.strategy === 'rolling' && environment.can_rolling_deploy === false) {
        return {
          ok: false,
          shapeOnly: false,
          message: `The environment ${environment.id} cannot do rolling deployments: choose stop-start or leave the strategy empty.`,
        };
      }
      return {
        ok: true,
        shapeOnly: false,
        message: `The API token can read the Upsun environment ${environment.id} (${environment.status}).`,
      };
    } catch (error) {
      if (error instanceof HttpRejected) return { ok: false, shapeOnly: false, message: error.message };
      throw error;
    }
  },
};
