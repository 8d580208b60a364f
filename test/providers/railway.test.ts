import { HttpFault, HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import { describeIssues } from '../../src/core/zod-messages';
import { railwayProvider, type RailwaySettings } from '../../src/providers/railway';
import { RAILWAY_DEPLOYMENT_STATES, railwayState } from '../../src/providers/railway/states';
import type { DeployCall } from '../../src/core/provider';
import { makeDeployJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, type Reply, type Seen } from './loopback-vendor';

interface GraphqlRequest {
  query: string;
  variables: Record<string, string>;
}

const TOKEN = 'rw-SECRET-11112222-3333';
const ENV = '0ba9983a-9c02-49ff-a601-9d17291ce872';
const SERVICE = '78557a88-7f97-4788-a7de-f8ae484c67b9';
const PROJECT = '76d81044-83db-483b-a759-9cb132b36906';
const DEPLOYMENT = '2199bf94-d110-4808-b8f4-0643f5d1e7b4';

const job = makeDeployJob({
  deliveryId: 'dlv-railway-1',
  jobKey: 'job-1',
  repository: { uuid: '{repo}', workspaceUuid: '{ws}' },
  targetId: 'railway-prod',
  commit: { hash: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', message: 'Ship it', author: 'Ada', date: null },
  actor: { accountId: null, uuid: null },
  pushedAt: null,
  createdAt: 0,
});

describe('the Railway provider', () => {
  let reply: (seen: Seen) => Reply = () => ({ status: 200 });
  const vendor = loopbackVendor((request) => reply(request));
  const { http, seen, lines, outbound } = vendor;

  const callWith = (secrets: Record<string, string> = { token: TOKEN }): DeployCall<RailwaySettings> => ({
    job,
    target: makeTarget({ id: 'railway-prod', provider: 'railway' }),
    settings: railwayProvider.settingsSchema.parse({ environmentId: ENV, serviceId: SERVICE }),
    secrets,
    repository: { uuid: '{repo}', workspaceUuid: '{ws}', fullName: 'acme/web' },
    http,
    log: createLogger(() => undefined),
    now: () => 1_763_633_800_000,
  });
  const graphqlOf = (s: Seen | undefined): GraphqlRequest => JSON.parse(s?.body ?? '') as GraphqlRequest;

  it('deploys the service instance with serviceInstanceDeployV2 and follows the deployment id it returns', async () => {
    reply = () => ({ status: 200, body: { data: { serviceInstanceDeployV2: DEPLOYMENT } } });
    const result = await railwayProvider.start(callWith());
    expect(result).toEqual({ state: 'in_progress', message: `Railway started deployment ${DEPLOYMENT}`, vendorId: DEPLOYMENT, url: null });
    expect(outbound).toEqual(['https://backboard.railway.com/graphql/v2']);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.target).toBe('/graphql/v2');
    expect(seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    const request = graphqlOf(seen[0]);
    expect(request.variables).toEqual({ environmentId: ENV, serviceId: SERVICE });
    expect(request.query.replace(/\s+/g, ' ')).toBe(
      'mutation DeployRelayDeploy($environmentId: String!, $serviceId: String!) { serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId) }',
    );
  });

  it('reads deployment(id) { status } and links the deployment in the dashboard', async () => {
    reply = () => ({
      status: 200,
      body: { data: { deployment: { id: DEPLOYMENT, status: 'CRASHED', projectId: PROJECT, serviceId: SERVICE, environmentId: ENV } } },
    });
    const result = await railwayProvider.status?.(callWith(), DEPLOYMENT);
    expect(result).toEqual({
      state: 'failed',
      message: 'Railway deployment CRASHED',
      url: `https://railway.com/project/${PROJECT}/service/${SERVICE}?environmentId=${ENV}&id=${DEPLOYMENT}`,
    });
    const request = graphqlOf(seen[0]);
    expect(request.variables).toEqual({ id: DEPLOYMENT });
    expect(request.query).toContain('deployment(id: $id) { id status projectId serviceId environmentId }');
  });

  it('maps every deployment status, and an unknown one to in progress', () => {
    expect(Object.fromEntries(RAILWAY_DEPLOYMENT_STATES)).toEqual({
      QUEUED: 'in_progress',
      WAITING: 'in_progress',
      INITIALIZING: 'in_progress',
      BUILDING: 'in_progress',
      DEPLOYING: 'in_progress',
      NEEDS_APPROVAL: 'in_progress',
      SUCCESS: 'succeeded',
      SLEEPING: 'succeeded',
      FAILED: 'failed',
      CRASHED: 'failed',
      REMOVING: 'superseded',
      REMOVED: 'superseded',
      SKIPPED: 'canceled',
    });
    expect(railwayState('HIBERNATING')).toBe('in_progress');
    expect(railwayState('valueOf')).toBe('in_progress');
  });

  it('turns GraphQL errors in a 200 answer into a clear refusal carrying the first message, without the token', async () => {
    reply = () => ({
      status: 200,
      body: { data: null, errors: [{ message: `Not Authorized (${TOKEN})`, path: ['serviceInstanceDeployV2'] }, { message: 'second' }] },
    });
    const error = await railwayProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect(error).toMatchObject({ status: 200, message: 'Railway deploy: Railway answered: Not Authorized ([redacted])' });
  });

  it("surfaces Railway's message on a 4xx", async () => {
    reply = () => ({ status: 400, body: { errors: [{ message: 'Problem processing request' }] } });
    const error = await railwayProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRejected);
    expect((error as Error).message).toBe('POST https://backboard.railway.com/graphql/v2 answered 400: Problem processing request');
  });

  it('turns a 429 into a retryable fault', async () => {
    reply = () => ({ status: 429, body: { message: 'Rate limit exceeded' } });
    const error = await railwayProvider.start(callWith()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpFault);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('verifies with a read-only query of the service and its instance in the environment', async () => {
    reply = () => ({
      status: 200,
      body: { data: { service: { id: SERVICE, name: 'api' }, serviceInstance: { id: 'si-1', environmentId: ENV } } },
    });
    expect(await railwayProvider.verify(callWith())).toEqual({
      ok: true,
      shapeOnly: false,
      message: 'The token can read the Railway service "api" in this environment.',
    });
    const request = graphqlOf(seen[0]);
    expect(request.query.trimStart().startsWith('query ')).toBe(true);
    expect(request.variables).toEqual({ environmentId: ENV, serviceId: SERVICE });
    reply = () => ({ status: 200, body: { data: null, errors: [{ message: 'ServiceInstance not found' }] } });
    expect(await railwayProvider.verify(callWith())).toEqual({
      ok: false,
      shapeOnly: false,
      message: 'Railway service: Railway answered: ServiceInstance not found',
    });
  });

  it('refuses a missing token before sending anything', async () => {
    await expect(railwayProvider.start(callWith({}))).rejects.toThrow("The Railway API token is not set: add it to the target's secrets.");
    expect(seen).toHaveLength(0);
  });

  it.each([
    [
      { environmentId: 'production' },
      'environmentId: must be the environment id, a UUID (Railway shows it in the environment settings and in the address as environmentId=…)',
    ],
    [{ serviceId: '' }, 'serviceId: the service id is required'],
  ])('refuses bad settings %j clearly', (override, message) => {
    const result = railwayProvider.settingsSchema.safeParse({ environmentId: ENV, serviceId: SERVICE, ...override });
    expect(result.success).toBe(false);
    if (!result.success) expect(describeIssues(result.error)).toEqual([message]);
  });

  it('calls only backboard.railway.com and lists every setting and secret as a field', () => {
    expect(railwayProvider.hosts(callWith().settings)).toEqual(['backboard.railway.com']);
    expect(railwayProvider.fields.map((f) => [f.key, f.secret, f.required])).toEqual([
      ['environmentId', false, true],
      ['serviceId', false, true],
      ['token', true, true],
    ]);
  });
});
