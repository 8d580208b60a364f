import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import { firstLine } from '../../core/text';
import { HttpRejected } from '../../core/http';
import { instanceUrlSchema, parseAnswer, requireSecret } from '../kit';
import type { DeployProvider, ProviderCall } from '../../core/provider';
import { dokployState } from './states';
import { deploymentListSchema, type DokployDeployment, resourceSchema } from './wire';

/**
 * A self-hosted Dokploy instance (dokploy-openapi.json: server `https://<instance>/api`, header
 * `x-api-key`). `application.deploy` / `compose.deploy` only queue the deploy and answer without an id,
 * so we find our deployment afterwards in `deployment.all` by the title we gave it and the request time.
 */
const KINDS = {
  application: {
    deploy: 'application.deploy',
    read: 'application.one',
    list: 'deployment.all',
    idParam: 'applicationId',
    noun: 'application',
  },
  compose: {
    deploy: 'compose.deploy',
    read: 'compose.one',
    list: 'deployment.allByCompose',
    idParam: 'composeId',
    noun: 'compose service',
  },
} as const;

/** Dokploy's clock writes `createdAt`, ours the request time: allow for the two disagreeing a little. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

// Empty passes here so that a missing id gets one message, from minLength.
const idPattern = /^[A-Za-z0-9_-]*$/;

const settingsSchema = z.object({
  baseUrl: instanceUrlSchema({ vendor: 'Dokploy', credential: 'the API key', apiSuffix: /\/api\/?$/, apiHint: '/api' }),
  kind: z.enum(['application', 'compose'], 'must be "application" or "compose"'),
  resourceId: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'the application or compose id is required'),
      z.maxLength(100),
      z.regex(idPattern, "must be the id from the resource's URL in Dokploy (letters, digits, _ and -)"),
    ),
});
export type DokploySettings = z.infer<typeof settingsSchema>;

const apiKeyOf = (call: ProviderCall<DokploySettings>): string => requireSecret(call.secrets, 'apiKey', 'The Dokploy API key');

export const deploymentTitle = (hash: string): string => `Deploy Relay: ${hash.slice(0, 7)}`;

/** Our handle on a deploy Dokploy gave no id for: the commit's short hash and when we asked. */
const formatVendorId = (hash: string, requestedAt: number): string => `${hash.slice(0, 7)}@${new Date(requestedAt).toISOString()}`;

function parseVendorId(vendorId: string): { title: string; requestedAt: number } {
  const match = /^([0-9a-f]{7})@(.+)$/i.exec(vendorId);
  const requestedAt = match?.[2] ? Date.parse(match[2]) : Number.NaN;
  if (!match?.[1] || Number.isNaN(requestedAt))
    throw new InvalidInputError(`"${vendorId.slice(0, 80)}" is not a Dokploy deploy handle from this app`);
  return { title: deploymentTitle(match[1]), requestedAt };
}

/** The newest deployment with our title created since the request (Dokploy lists newest first; we do not rely on it). */
export function findOurs(deployments: readonly DokployDeployment[], title: string, requestedAt: number): DokployDeployment | null {
  const candidates = deployments
    .filter((d) => d.title === title && Date.parse(d.createdAt) >= requestedAt - CLOCK_SKEW_MS)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return candidates[0] ?? null;
}

export const dokployProvider: DeployProvider<DokploySettings> = {
  id: 'dokploy',
  title: 'Dokploy',
  fields: [
    {
      key: 'baseUrl',
      label: 'Dokploy address',
      kind: 'url',
      required: true,
      secret: false,
      help: 'The https address you open Dokploy at, such as https://dokploy.example.com (without /api).',
    },
    {
      key: 'kind',
      label: 'Resource type',
      kind: 'select',
      required: true,
      secret: false,
      help: 'Whether the target is an application or a Docker Compose service.',
      options: [
        { value: 'application', label: 'Application' },
        { value: 'compose', label: 'Compose' },
      ],
    },
    {
      key: 'resourceId',
      label: 'Application or compose id',
      kind: 'text',
      required: true,
      secret: false,
      help: "The id in the resource's address in Dokploy (…/services/application/<id>), or from the API.",
    },
    {
      key: 'apiKey',
      label: 'Dokploy API key',
      kind: 'text',
      required: true,
      secret: true,
      help: 'Created in Dokploy under Settings > Profile > API/CLI; sent as the x-api-key header.',
    },
  ],
  settingsSchema,
  hosts: (settings) => [new URL(settings.baseUrl).hostname],
  redeploy: () => ({ by: 'none', why: 'Dokploy deploys its branch’s newest commit and takes no commit; use a rollback in Dokploy itself' }),

  async start(call) {
    const apiKey = apiKeyOf(call);
    const kind = KINDS[call.settings.kind];
    const requestedAt = call.now();
    const title = deploymentTitle(call.job.commit.hash);
    await call.http.send({
      method: 'POST',
      url: `${call.settings.baseUrl}/api/${kind.deploy}`,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ [kind.idParam]: call.settings.resourceId, title, description: firstLine(call.job.commit.message, 200) }),
      secrets: [apiKey],
    });
    return {
      state: 'in_progress',
      message: `Dokploy queued the deploy of the ${kind.noun} ("${title}")`,
      vendorId: formatVendorId(call.job.commit.hash, requestedAt),
      url: null,
    };
  },

  async status(call, vendorId) {
    const apiKey = apiKeyOf(call);
    const kind = KINDS[call.settings.kind];
    const { title, requestedAt } = parseVendorId(vendorId);
    const query = new URLSearchParams({ [kind.idParam]: call.settings.resourceId });
    const response = await call.http.send({
      method: 'GET',
      url: `${call.settings.baseUrl}/api/${kind.list}?${query.toString()}`,
      headers: { 'x-api-key': apiKey, accept: 'application/json' },
      secrets: [apiKey],
    });
    const ours = findOurs(parseAnswer('Dokploy', deploymentListSchema, response.text, 'Dokploy deployments'), title, requestedAt);
    if (!ours) return { state: 'in_progress', message: `Dokploy has not started "${title}" yet (queued)`, url: null };
    const state = dokployState(ours.status);
    const detail = state === 'failed' && ours.errorMessage ? `: ${ours.errorMessage.slice(0, 200)}` : '';
    return { state, message: `Dokploy deployment ${ours.status ?? 'starting'}${detail}`, url: null };
  },

  async verify(call) {
    const apiKey = apiKeyOf(call);
    const kind = KINDS[call.settings.kind];
    const query = new URLSearchParams({ [kind.idParam]: call.settings.resourceId });
    try {
      const response = await call.http.send({
        method: 'GET',
        url: `${call.settings.baseUrl}/api/${kind.read}?${query.toString()}`,
        headers: { 'x-api-key': apiKey, accept: 'application/json' },
        secrets: [apiKey],
      });
      const resource = parseAnswer('Dokploy', resourceSchema, response.text, `Dokploy ${kind.noun}`);
      return { ok: true, shapeOnly: false, message: `The API key can read the Dokploy ${kind.noun} "${resource.name}".` };
    } catch (error) {
      if (error instanceof HttpRejected) return { ok: false, shapeOnly: false, message: error.message };
      throw error;
    }
  },
};
