// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import { editExample, PEER_TIMEOUT_MS, replayPush, prismFor } from './processes';

/**
 * Coolify against Prism serving Coolify's own spec (coolify-openapi.json, server `https://<instance>/api/v1`):
 * a self-hosted instance, so the target's address is Prism's loopback URL (allowed in local mode). The
 * spec has no examples for these calls: Prism makes its answers up from the schemas, with "string" for
 * every string (a deployment uuid "string" whose status "string" is no state Coolify documents).
 */
const TOKEN = 'coolify-contract-test-token';
const RESOURCE = 'vgsco4o';
const EXAMPLE = 'targets.coolify.json';

jest.setTimeout(PEER_TIMEOUT_MS);

const prism = prismFor('coolify-openapi.json');

describe('the Coolify provider on the local platform, against Coolify’s spec', () => {
  let relay: RelayOnPeers;
  beforeAll(async () => {
    relay = startRelay({});
    await relay.configure([
      { target: targetFor('coolify', 'coolify-cached', { baseUrl: prism().url, resourceUuid: RESOURCE }), secrets: { token: TOKEN } },
      {
        target: targetFor('coolify', 'coolify-forced', { baseUrl: prism().url, resourceUuid: RESOURCE, force: true }),
        secrets: { token: TOKEN },
      },
    ]);
  });
  afterAll(async () => {
    await relay.close();
  });

  it('starts deployments by uuid with force false and true in requests the spec accepts, and follows the uuid Coolify names to an unknown outcome', async () => {
    const records = await relay.push();
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const deploys = relay.platform.egressLog.filter((r) => r.method === 'POST');
    expect(deploys.map((r) => `${r.url.slice(prism().url.length)} -> ${r.status}`).sort()).toEqual([
      `/api/v1/deploy?uuid=${RESOURCE}&force=false -> 200`,
      `/api/v1/deploy?uuid=${RESOURCE}&force=true -> 200`,
    ]);
    for (const record of records) {
      expect(record.vendorId).toBe('string');
      // A status "string" is no state Coolify documents: followed until the poller stops following.
      expect([record.state, record.message]).toEqual([
        'unknown',
        expect.stringMatching(/^Outcome unknown: after \d+ minutes it is still in progress/),
      ]);
    }
  });

  it('reads a deployment with a request the spec accepts, and keeps following a status it does not know', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const status = await relay.follow(record);
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url.slice(prism().url.length)} -> ${r.status}`)).toEqual([
      'GET /api/v1/deployments/string -> 200',
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(status).toMatchObject({ state: 'in_progress', message: 'Coolify deployment string' });
  });

  it('verifies the token by reading the application with a request the spec accepts', async () => {
    relay.platform.egressLog.length = 0;
    const view = await relay.verify('coolify-cached');
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url.slice(prism().url.length)} -> ${r.status}`)).toEqual([
      `GET /api/v1/applications/${RESOURCE} -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(view).toEqual({ ok: true, shapeOnly: false, message: 'The token can read the Coolify application "string".' });
  });

  it('rolls back to a commit with the spec’s rollback request and follows the deployment Coolify queues', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const redeployed = await relay.redeploy(record);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const rollbacks = relay.platform.egressLog.filter((r) => r.method === 'POST');
    expect(rollbacks.map((r) => [r.url.slice(prism().url.length), r.status, JSON.parse(r.body ?? '')])).toEqual([
      [`/api/v1/applications/${RESOURCE}/rollback`, 200, { commit: record.commit.hash }],
    ]);
    expect(redeployed).toMatchObject({ trigger: 'redeploy', redeployOf: record.id, vendorId: 'string' });
  });

  it('cancels a running deployment by its uuid with the spec’s cancel request', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const answer = await relay.cancel(record, 'cm37r6cqj000008jm0veg5tkm');
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url.slice(prism().url.length)} -> ${r.status}`)).toEqual([
      'POST /api/v1/deployments/cm37r6cqj000008jm0veg5tkm/cancel -> 200',
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(answer).toMatchObject({
      ok: true,
      data: { message: expect.stringMatching(/^Coolify canceled deployment cm37r6cqj000008jm0veg5tkm\. /) },
    });
  });

  it('deploys a pull request’s preview with the spec’s pr parameter and removes it on decline with the spec’s preview delete', async () => {
    await relay.configure([
      {
        target: {
          ...targetFor('coolify', 'coolify-previews', { baseUrl: prism().url, resourceUuid: RESOURCE }),
          preview: { allowForks: false },
        },
        secrets: { token: TOKEN },
      },
    ]);
    const vendorCalls = () =>
      relay.platform.egressLog
        .filter((r) => r.url.startsWith(prism().url))
        .map((r) => `${r.method} ${r.url.slice(prism().url.length)} -> ${r.status}`);
    relay.platform.egressLog.length = 0;
    const opened = await relay.pullRequest({ open: 'feature/coolify-preview' });
    expect(vendorCalls().filter((call) => call.startsWith('POST'))).toEqual([
      `POST /api/v1/deploy?uuid=${RESOURCE}&force=false&pr=${opened.id} -> 200`,
    ]);
    expect(opened.records.map((r) => [r.preview?.action, r.vendorId])).toEqual([['deploy', 'string']]);

    relay.platform.egressLog.length = 0;
    const declined = await relay.pullRequest({ decline: opened.id });
    expect(vendorCalls()).toEqual([`DELETE /api/v1/applications/${RESOURCE}/previews/${opened.id} -> 200`]);
    expect(declined.records[0]).toMatchObject({ state: 'succeeded', preview: { action: 'teardown' } });
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
  });
});

describe('npm start with a Coolify target whose address is Prism', () => {
  const withBaseUrl = (baseUrl: string) =>
    editExample(EXAMPLE, (target) => ({
      ...target,
      settings: { ...target.settings, baseUrl, resourceUuid: RESOURCE },
      secrets: { token: TOKEN },
    }));

  it('exits 0 for examples/targets.coolify.json pointed at the instance: the spec accepts the deploy request', async () => {
    const run = await replayPush(withBaseUrl(prism().url));
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`request   POST ${prism().url}/api/v1/deploy?uuid=${RESOURCE}&force=false -> 200`);
    expect(run.stdout).toContain("result    exit 0: 1 deploy(s), none failed; outcome not known for 1 (unknown): see the vendor's page");
    expect(run.code).toBe(0);
  });

  it('exits 1 when the instance address has a path the spec has no route under (Prism answers 404)', async () => {
    const run = await replayPush(withBaseUrl(`${prism().url}/coolify`));
    expect(run.stdout).toContain(`request   POST ${prism().url}/coolify/api/v1/deploy?uuid=${RESOURCE}&force=false -> 404`);
    expect(run.stdout).toMatch(/history\s+failed\s+Coolify staging <- branch main .*answered 404/);
    expect(run.stdout).toContain('result    exit 1: 1 of 1 deploy(s) Coolify staging failed');
    expect(run.code).toBe(1);
  });
});
