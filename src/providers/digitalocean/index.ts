import * as z from 'zod/mini';
import { HttpRejected } from '../../core/http';
import type { DeployProvider, ProviderCall, StartResult, StatusResult } from '../../core/provider';
import { jsonHeaders, parseAnswer, readAccepted, requireSecret, verifyByReading } from '../kit';
import { phaseState } from './states';
import { appResponseSchema, type DoDeployment, deploymentListSchema, deploymentResponseSchema } from './wire';

/**
 * DigitalOcean App Platform, API only (providers.md). A deployment takes no commit: DigitalOcean pulls the
 * newest commit of the branch the app's spec names, so the target's branch rules should match that branch.
 */
const API = 'https://api.digitalocean.com';
const HOST = 'api.digitalocean.com';

const settingsSchema = z.object({
  appId: z
    .string('the app ID is required')
    .check(
      z.trim(),
      z.regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
        "must be the app's ID, a UUID such as 4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf (the part after /apps/ in the app's control-panel URL)",
      ),
    ),
  forceBuild: z._default(z.boolean('must be true or false'), false),
});
export type DigitalOceanSettings = z.infer<typeof settingsSchema>;

const TOKEN = 'A DigitalOcean API token';
/** A lost request is looked for among the app's newest deployments. */
const RECENT_DEPLOYMENTS = 20;
/** DigitalOcean's clock and Forge's may differ by a little. */
const CLOCK_SKEW_MS = 5_000;

const appPath = (settings: DigitalOceanSettings): string => `/v2/apps/${encodeURIComponent(settings.appId)}`;

const deploymentPage = (appId: string, id: string): string =>
  `https://cloud.digitalocean.com/apps/${encodeURIComponent(appId)}/deployments/${encodeURIComponent(id)}`;

/** "BUILDING, 2 of 6 steps done" or, for a failed step, what DigitalOcean said went wrong. */
function describe(deployment: DoDeployment): string {
  const progress = deployment.progress;
  const failed = progress?.summary_steps?.find((step) => step.status === 'ERROR');
  const reason = failed
    ? [failed.message_base, failed.component_name].filter(Boolean).join(' ') + (failed.reason?.message ? `: ${failed.reason.message}` : '')
    : '';
  const steps = progress?.total_steps ? `, ${progress.success_steps ?? 0} of ${progress.total_steps} steps done` : '';
  return `DigitalOcean deployment ${deployment.phase}${steps}${reason ? ` (${reason})` : ''}`;
}

export const digitalOceanProvider: DeployProvider<DigitalOceanSettings> = {
  id: 'digitalocean',
  title: 'DigitalOcean App Platform',
  fields: [
    {
      key: 'appId',
      label: 'App ID',
      kind: 'text',
      required: true,
      secret: false,
      help: "The app's UUID, from its URL in the control panel (cloud.digitalocean.com/apps/<app ID>). DigitalOcean deploys the newest commit of the branch set in the app's spec.",
    },
    {
      key: 'forceBuild',
      label: 'Force a fresh build',
      kind: 'boolean',
      required: false,
      secret: false,
      help: 'Build from source even when DigitalOcean has a cached build it could reuse. Off by default.',
    },
    {
      key: 'token',
      label: 'API token',
      kind: 'text',
      required: true,
      secret: true,
      help: 'A personal access token with the app:read and app:update scopes (API → Tokens in the control panel).',
    },
  ],
  settingsSchema,
  hosts: () => [HOST],
  redeploy: () => ({ by: 'rollback', needs: 'vendorId' }),

  async start(call) {
    const token = requireSecret(call.secrets, 'token', TOKEN);
    const { appId, forceBuild } = call.settings;
    const response = await call.http.send({
      method: 'POST',
      url: `${API}${appPath(call.settings)}/deployments`,
      headers: jsonHeaders(token),
      body: JSON.stringify({ force_build: forceBuild }),
      secrets: [token],
    });
    const read = readAccepted('DigitalOcean', 'deploy', deploymentResponseSchema, response, call.log);
    if (!read.ok) return read.result;
    const { deployment } = read.data;
    return { state: 'in_progress', message: describe(deployment), vendorId: deployment.id, url: deploymentPage(appId, deployment.id) };
  },

  /**
   * `POST /v2/apps/{app_id}/rollback` to the deployment that deployed the commit then. `skip_pin`: the
   * spec says a pinned rollback disables every new deployment, pushes included, until someone commits
   * or reverts it in DigitalOcean; unpinned, the next push deploys over it as usual.
   */
  async rollback(call, to) {
    const token = requireSecret(call.secrets, 'token', TOKEN);
    if (!to.vendorId) throw new HttpRejected('DigitalOcean can only roll back to a deployment it named, and this one has no id', 400);
    const response = await call.http.send({
      method: 'POST',
      url: `${API}${appPath(call.settings)}/rollback`,
      headers: jsonHeaders(token),
      body: JSON.stringify({ deployment_id: to.vendorId, skip_pin: true }),
      secrets: [token],
    });
    const read = readAccepted('DigitalOcean', 'rollback', deploymentResponseSchema, response, call.log);
    if (!read.ok) return read.result;
    const { deployment } = read.data;
    return {
      state: 'in_progress',
      message: `Rolling back to ${to.vendorId}: ${describe(deployment)}`,
      vendorId: deployment.id,
      url: deploymentPage(call.settings.appId, deployment.id),
    };
  },

  /** `POST /v2/apps/{app_id}/deployments/{deployment_id}/cancel` (apps_cancel_deployment): no body. */
  async cancel(call, vendorId) {
    const token = requireSecret(call.secrets, 'token', TOKEN);
    await call.http.send({
      method: 'POST',
      url: `${API}${appPath(call.settings)}/deployments/${encodeURIComponent(vendorId)}/cancel`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      secrets: [token],
    });
    return `DigitalOcean is canceling deployment ${vendorId}`;
  },

  async status(call: ProviderCall<DigitalOceanSettings>, vendorId: string): Promise<StatusResult> {
    const token = requireSecret(call.secrets, 'token', TOKEN);
    const response = await call.http.send({
      method: 'GET',
      url: `${API}${appPath(call.settings)}/deployments/${encodeURIComponent(vendorId)}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      secrets: [token],
    });
    const { deployment } = parseAnswer('DigitalOcean', deploymentResponseSchema, response.text, 'DigitalOcean deployment');
    const { state, known } = phaseState(deployment.phase);
    const message = known ? describe(deployment) : `${describe(deployment)}: a phase Deploy Relay does not know yet, still following it`;
    return { state, message, url: deploymentPage(call.settings.appId, deployment.id) };
  },

  /**
   * The deployment a lost request started: created after that request left, preferably one whose
   * services built the pushed commit (DigitalOcean deploys the branch's head, so the commit may differ).
   * Requests to one target leave one at a time, so the first deployment since is that request's.
   */
  async findDeploy(call: ProviderCall<DigitalOceanSettings>, lost): Promise<StartResult | null> {
    const token = requireSecret(call.secrets, 'token', TOKEN);
    const response = await call.http.send({
      method: 'GET',
      url: `${API}${appPath(call.settings)}/deployments?page=1&per_page=${RECENT_DEPLOYMENTS}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      secrets: [token],
    });
    const { deployments } = parseAnswer('DigitalOcean', deploymentListSchema, response.text, 'DigitalOcean deployment list');
    const since = deployments.filter((d) => d.created_at !== undefined && Date.parse(d.created_at) >= lost.sentAt - CLOCK_SKEW_MS);
    const found =
      since.find((d) => d.services?.some((service) => service.source_commit_hash === lost.commit)) ??
      since.reduce<DoDeployment | undefined>(
        (first, d) => (!first || Date.parse(d.created_at as string) < Date.parse(first.created_at as string) ? d : first),
        undefined,
      );
    if (!found) return null;
    return { state: 'in_progress', message: describe(found), vendorId: found.id, url: deploymentPage(call.settings.appId, found.id) };
  },

  async verify(call) {
    const token = requireSecret(call.secrets, 'token', TOKEN);
    return verifyByReading(
      call.http,
      {
        method: 'GET',
        url: `${API}${appPath(call.settings)}`,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        secrets: [token],
      },
      appResponseSchema,
      'DigitalOcean',
      ({ app }) =>
        `The token can read the app ${app.spec?.name ?? app.id}${app.live_url ? ` (${app.live_url})` : ''}. Nothing was deployed.`,
    );
  },
};
