import * as z from 'zod/mini';
import { HttpRejected } from '../../core/http';
import { instanceUrlSchema, parseAnswer, readAccepted, requireSecret } from '../kit';
import { InvalidInputError } from '../../core/errors';
import type { DeployCall, DeployProvider, ProviderCall, StartResult } from '../../core/provider';
import { coolifyState } from './states';
import { applicationSchema, deployAnswerSchema, deploymentSchema, previewDeletionSchema, rollbackAnswerSchema } from './wire';

/**
 * A self-hosted Coolify v4 instance (coolify-openapi.json, server `https://<instance>/api/v1`, bearer
 * token). `POST /deploy` (the GET form now answers 405) queues a deployment and names it, and
 * `GET /deployments/{uuid}` follows it.
 */

const settingsSchema = z.object({
  baseUrl: instanceUrlSchema({ vendor: 'Coolify', credential: 'the token', apiSuffix: /\/api(\/v1)?\/?$/, apiHint: '/api/v1' }),
  resourceUuid: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'the application UUID is required'),
      z.maxLength(64),
      z.regex(/^[A-Za-z0-9_-]*$/, "must be the application's UUID as Coolify shows it (letters and digits)"),
    ),
  force: z._default(z.boolean('must be true or false'), false),
});
export type CoolifySettings = z.infer<typeof settingsSchema>;

const tokenOf = (call: ProviderCall<CoolifySettings>): string => requireSecret(call.secrets, 'token', 'The Coolify API token');

/** Coolify's link to a deployment's page, made absolute on this instance; null when it gives none. */
function pageUrl(baseUrl: string, deploymentUrl: string | null | undefined): string | null {
  if (!deploymentUrl) return null;
  if (deploymentUrl.startsWith('/') && !deploymentUrl.startsWith('//')) return `${baseUrl}${deploymentUrl}`;
  return /^https:\/\//.test(deploymentUrl) ? deploymentUrl : null;
}

/** The pull request a preview job is for; the registry sends only preview jobs to `previews`. */
function pullRequestOf(call: DeployCall<CoolifySettings>): number {
  const preview = call.job.preview;
  if (!preview) throw new InvalidInputError('Coolify was asked for a preview by a job that is not a preview');
  return preview.pullRequest.id;
}

/** `POST /deploy` for the application, with `extra` query parameters (a preview's `pr`): the deployment Coolify queued. */
async function queueDeployment(call: DeployCall<CoolifySettings>, extra: Record<string, string>): Promise<StartResult> {
  const token = tokenOf(call);
  const { baseUrl, resourceUuid, force } = call.settings;
  const query = new URLSearchParams({ uuid: resourceUuid, force: String(force), ...extra });
  const response = await call.http.send({
    method: 'POST',
    url: `${baseUrl}/api/v1/deploy?${query.toString()}`,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    secrets: [token],
  });
  const read = readAccepted('Coolify', 'deploy', deployAnswerSchema, response, call.log);
  if (!read.ok) return read.result;
  const answer = read.data;
  const started = answer.deployments.find((d) => d.resource_uuid === resourceUuid) ?? answer.deployments[0];
  if (!started) {
    throw new HttpRejected(
      `Coolify started no deployment for ${resourceUuid}${answer.message ? `: ${answer.message}` : ''}`,
      response.status,
    );
  }
  return {
    state: 'in_progress',
    message: started.message ? `Coolify: ${started.message}` : `Coolify queued deployment ${started.deployment_uuid}`,
    vendorId: started.deployment_uuid,
    url: null,
  };
}

export const coolifyProvider: DeployProvider<CoolifySettings> = {
  id: 'coolify',
  title: 'Coolify',
  fields: [
    {
      key: 'baseUrl',
      label: 'Coolify address',
      kind: 'url',
      required: true,
      secret: false,
      help: 'The https address you open Coolify at, such as https://coolify.example.com (without /api/v1).',
    },
    {
      key: 'resourceUuid',
      label: 'Application UUID',
      kind: 'text',
      required: true,
      secret: false,
      help: "The application's UUID, from its address in Coolify (…/application/<uuid>) or its General page.",
    },
    {
      key: 'force',
      label: 'Rebuild without cache',
      kind: 'boolean',
      required: false,
      secret: false,
      help: 'Sends force=true: Coolify rebuilds from scratch instead of reusing its build cache. Slower.',
    },
    {
      key: 'token',
      label: 'Coolify API token',
      kind: 'text',
      required: true,
      secret: true,
      help: 'Created in Coolify under Keys & Tokens > API tokens, with the deploy permission.',
    },
  ],
  settingsSchema,
  hosts: (settings) => [new URL(settings.baseUrl).hostname],
  redeploy: () => ({ by: 'rollback', needs: 'commit' }),

  start: (call) => queueDeployment(call, {}),

  /**
   * Coolify's own preview deployments: `pr` on the deploy request (a preview per pull request, which
   * Coolify builds from the pull request itself), and `DELETE /applications/{uuid}/previews/{id}`,
   * which stops and removes it.
   */
  previews: {
    deploy: (call) => queueDeployment(call, { pr: String(pullRequestOf(call)) }),
    async teardown(call) {
      const token = tokenOf(call);
      const id = pullRequestOf(call);
      const { baseUrl, resourceUuid } = call.settings;
      try {
        const response = await call.http.send({
          method: 'DELETE',
          url: `${baseUrl}/api/v1/applications/${encodeURIComponent(resourceUuid)}/previews/${id}`,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          secrets: [token],
        });
        const answer = parseAnswer('Coolify', previewDeletionSchema, response.text, 'Coolify preview deletion');
        return {
          state: 'succeeded',
          message: `Coolify: ${answer.message ?? `removing the preview of pull request #${id}`}`,
          vendorId: null,
          url: null,
        };
      } catch (error) {
        // Nothing to remove: the preview never got made (its deploy failed), or it is gone already.
        if (error instanceof HttpRejected && error.status === 404)
          return { state: 'succeeded', message: `Coolify has no preview of pull request #${id} to remove`, vendorId: null, url: null };
        throw error;
      }
    },
  },

  /** `POST /applications/{uuid}/rollback` with the commit: Coolify queues a deployment of the image it built from it. */
  async rollback(call, to) {
    const token = tokenOf(call);
    const { baseUrl, resourceUuid } = call.settings;
    const response = await call.http.send({
      method: 'POST',
      url: `${baseUrl}/api/v1/applications/${encodeURIComponent(resourceUuid)}/rollback`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ commit: to.commit }),
      secrets: [token],
    });
    const read = readAccepted('Coolify', 'rollback', rollbackAnswerSchema, response, call.log);
    if (!read.ok) return read.result;
    const answer = read.data;
    return {
      state: 'in_progress',
      message: `Coolify: ${answer.message ?? `rollback to ${to.commit.slice(0, 7)} queued`}`,
      vendorId: answer.deployment_uuid,
      url: null,
    };
  },

  /** `POST /api/v1/deployments/{uuid}/cancel` (cancel-deployment-by-uuid); a finished one answers 400 with its status. */
  async cancel(call, vendorId) {
    const token = tokenOf(call);
    await call.http.send({
      method: 'POST',
      url: `${call.settings.baseUrl}/api/v1/deployments/${encodeURIComponent(vendorId)}/cancel`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      secrets: [token],
    });
    return `Coolify canceled deployment ${vendorId}`;
  },

  async status(call, vendorId) {
    const token = tokenOf(call);
    const response = await call.http.send({
      method: 'GET',
      url: `${call.settings.baseUrl}/api/v1/deployments/${encodeURIComponent(vendorId)}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      secrets: [token],
    });
    const deployment = parseAnswer('Coolify', deploymentSchema, response.text, `Coolify deployment ${vendorId}`);
    return {
      state: coolifyState(deployment.status),
      message: `Coolify deployment ${deployment.status}`,
      url: pageUrl(call.settings.baseUrl, deployment.deployment_url),
    };
  },

  async verify(call) {
    const token = tokenOf(call);
    try {
      const response = await call.http.send({
        method: 'GET',
        url: `${call.settings.baseUrl}/api/v1/applications/${encodeURIComponent(call.settings.resourceUuid)}`,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        secrets: [token],
      });
      const application = parseAnswer('Coolify', applicationSchema, response.text, 'Coolify application');
      return { ok: true, shapeOnly: false, message: `The token can read the Coolify application "${application.name}".` };
    } catch (error) {
      if (error instanceof HttpRejected) return { ok: false, shapeOnly: false, message: error.message };
      throw error;
    }
  },
};
