import * as z from 'zod/mini';
import { HttpRejected } from '../../core/http';
import { requireSecret } from '../kit';
import type { DeployProvider, ProviderCall } from '../../core/provider';
import { railwayState } from './states';
import { deployDataSchema, deploymentDataSchema, parseRailway, serviceDataSchema } from './wire';

/**
 * Railway's public GraphQL API (https://docs.railway.com/reference/public-api). There is no spec file;
 * the contract is in shared/docs/providers.md. `serviceInstanceDeployV2` deploys the service's
 * configured source and returns the new deployment's id. It takes an optional commitSha too, but that
 * only means something for GitHub-linked services, so it is not sent.
 */
const ENDPOINT = 'https://backboard.railway.com/graphql/v2';

const DEPLOY = `mutation DeployRelayDeploy($environmentId: String!, $serviceId: String!) {
  serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId)
}`;
const DEPLOYMENT = `query DeployRelayDeployment($id: String!) {
  deployment(id: $id) { id status projectId serviceId environmentId }
}`;
const SERVICE = `query DeployRelayService($environmentId: String!, $serviceId: String!) {
  service(id: $serviceId) { id name }
  serviceInstance(environmentId: $environmentId, serviceId: $serviceId) { id environmentId }
}`;

// Empty passes here so that a missing id gets one message, from minLength.
const uuid = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/i;

const settingsSchema = z.object({
  environmentId: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'the environment id is required'),
      z.regex(
        uuid,
        'must be the environment id, a UUID (Railway shows it in the environment settings and in the address as environmentId=…)',
      ),
    ),
  serviceId: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'the service id is required'),
      z.regex(uuid, "must be the service id, a UUID (in the service's address: …/service/<id>)"),
    ),
});
export type RailwaySettings = z.infer<typeof settingsSchema>;

const tokenOf = (call: ProviderCall<RailwaySettings>): string => requireSecret(call.secrets, 'token', 'The Railway API token');

async function graphql<T>(
  call: ProviderCall<RailwaySettings>,
  query: string,
  variables: Record<string, string>,
  schema: z.ZodMiniType<T>,
  what: string,
): Promise<T> {
  const token = tokenOf(call);
  const response = await call.http.send({
    method: 'POST',
    url: ENDPOINT,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
    secrets: [token],
  });
  return parseRailway(schema, response.text, what, [token]);
}

const deploymentPage = (d: { id: string; projectId: string; serviceId: string | null; environmentId: string }): string | null =>
  d.serviceId
    ? `https://railway.com/project/${encodeURIComponent(d.projectId)}/service/${encodeURIComponent(d.serviceId)}?environmentId=${encodeURIComponent(d.environmentId)}&id=${encodeURIComponent(d.id)}`
    : null;

export const railwayProvider: DeployProvider<RailwaySettings> = {
  id: 'railway',
  title: 'Railway',
  fields: [
    {
      key: 'environmentId',
      label: 'Environment id',
      kind: 'text',
      required: true,
      secret: false,
      help: 'The environment to deploy in (a UUID): in its settings, or in the dashboard address as environmentId=….',
    },
    {
      key: 'serviceId',
      label: 'Service id',
      kind: 'text',
      required: true,
      secret: false,
      help: "The service to deploy (a UUID): in the service's address, …/service/<id>.",
    },
    {
      key: 'token',
      label: 'Railway API token',
      kind: 'text',
      required: true,
      secret: true,
      help: 'An account or workspace token from Account settings > Tokens, sent as a bearer token. A project token (Project-Access-Token header) does not work here.',
    },
  ],
  settingsSchema,
  hosts: () => ['backboard.railway.com'],
  redeploy: () => ({
    by: 'none',
    why: 'Railway deploys the service’s configured source and takes no commit for it; roll back from the service’s Deployments in Railway',
  }),

  async start(call) {
    const { environmentId, serviceId } = call.settings;
    const data = await graphql(call, DEPLOY, { environmentId, serviceId }, deployDataSchema, 'Railway deploy');
    const id = data.serviceInstanceDeployV2;
    return { state: 'in_progress', message: `Railway started deployment ${id}`, vendorId: id, url: null };
  },

  async status(call, vendorId) {
    const { deployment } = await graphql(call, DEPLOYMENT, { id: vendorId }, deploymentDataSchema, `Railway deployment ${vendorId}`);
    return { state: railwayState(deployment.status), message: `Railway deployment ${deployment.status}`, url: deploymentPage(deployment) };
  },

  async verify(call) {
    const { environmentId, serviceId } = call.settings;
    try {
      const data = await graphql(call, SERVICE, { environmentId, serviceId }, serviceDataSchema, 'Railway service');
      return { ok: true, shapeOnly: false, message: `The token can read the Railway service "${data.service.name}" in this environment.` };
    } catch (error) {
      if (error instanceof HttpRejected) return { ok: false, shapeOnly: false, message: error.message };
      throw error;
    }
  },
};
