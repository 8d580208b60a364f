// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import path from 'node:path';
import { editExample, EXAMPLES_DIR, PEER_TIMEOUT_MS, replayPush, prismFor } from './processes';

/**
 * DigitalOcean App Platform against Prism serving DigitalOcean's own spec (digitalocean-apps.openapi3.yaml):
 * the app's real requests, through the local platform's route for api.digitalocean.com, must all be
 * ones the spec accepts. Prism answers every call with the spec's one example deployment (id
 * b6bdf840-…, phase PENDING_BUILD); there is no other named example to ask for with `Prefer: example=`,
 * and `--dynamic` would make up a random phase, so the deploy never leaves PENDING_BUILD here.
 */
const APP_ID = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
const SPEC_DEPLOYMENT_ID = 'b6bdf840-2854-4f87-a36c-5f231c617c84';
const TOKEN = 'dop_v1_contract-test-token';
const EXAMPLE = 'targets.digitalocean.json';

jest.setTimeout(PEER_TIMEOUT_MS);

const prism = prismFor('digitalocean-apps.openapi3.yaml');

describe('the DigitalOcean provider on the local platform, against DigitalOcean’s spec', () => {
  let relay: RelayOnPeers;
  beforeAll(async () => {
    relay = startRelay({ routes: { 'api.digitalocean.com': prism().url } });
    await relay.configure([
      { target: targetFor('digitalocean', 'do-cached', { appId: APP_ID }), secrets: { token: TOKEN } },
      { target: targetFor('digitalocean', 'do-fresh', { appId: APP_ID, forceBuild: true }), secrets: { token: TOKEN } },
    ]);
  });
  afterAll(async () => {
    await relay.close();
  });

  it('creates deployments with force_build false and true in requests the spec accepts, and follows the spec’s example, forever PENDING_BUILD, to an unknown outcome', async () => {
    const records = await relay.push();
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const creates = relay.platform.egressLog.filter(
      (r) => r.method === 'POST' && r.url === `https://api.digitalocean.com/v2/apps/${APP_ID}/deployments`,
    );
    expect(creates.map((r) => [r.status, JSON.parse(r.body ?? '')]).sort()).toEqual([
      [200, { force_build: false }],
      [200, { force_build: true }],
    ]);
    expect(records.map((r) => [r.target.id, r.vendorId]).sort()).toEqual([
      ['do-cached', SPEC_DEPLOYMENT_ID],
      ['do-fresh', SPEC_DEPLOYMENT_ID],
    ]);
    // PENDING_BUILD is all Prism answers, so the status poller follows each deploy as long as it
    // follows any, then records that the outcome is unknown.
    for (const record of records) {
      expect([record.state, record.message]).toEqual([
        'unknown',
        expect.stringMatching(/^Outcome unknown: after \d+ minutes it is still in progress/),
      ]);
    }
    expect(new Set(relay.platform.egressLog.filter((r) => r.method === 'GET').map((r) => r.url))).toEqual(
      new Set([`https://api.digitalocean.com/v2/apps/${APP_ID}/deployments/${SPEC_DEPLOYMENT_ID}`]),
    );
  });

  it('reads a deployment’s phase with a request the spec accepts: PENDING_BUILD is still in progress', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const status = await relay.follow(record);
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `GET https://api.digitalocean.com/v2/apps/${APP_ID}/deployments/${SPEC_DEPLOYMENT_ID} -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(status).toMatchObject({ state: 'in_progress', message: 'DigitalOcean deployment PENDING_BUILD, 0 of 6 steps done' });
  });

  it('verifies the token by reading the app with a request the spec accepts, deploying nothing', async () => {
    relay.platform.egressLog.length = 0;
    const view = await relay.verify('do-cached');
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `GET https://api.digitalocean.com/v2/apps/${APP_ID} -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(view).toMatchObject({ ok: true, shapeOnly: false });
    expect(view.message).toMatch(/^The token can read the app sample-golang/);
  });

  it('looks for a deploy whose answer was lost by listing the app’s deployments, with a request the spec accepts', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    // Prism answers the list with the spec's example; the lost request left before it, so it is found.
    const found = await relay.findDeploy({ ...record, sentAt: 0 });
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `GET https://api.digitalocean.com/v2/apps/${APP_ID}/deployments?page=1&per_page=20 -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(found).toMatchObject({ state: 'in_progress', vendorId: expect.any(String) });
  });

  it('rolls back to a deployment that succeeded with the spec’s rollback request, unpinned, and follows the deployment it makes', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const redeployed = await relay.redeploy(record);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const rollbacks = relay.platform.egressLog.filter((r) => r.method === 'POST');
    expect(rollbacks.map((r) => [r.url, r.status, JSON.parse(r.body ?? '')])).toEqual([
      [`https://api.digitalocean.com/v2/apps/${APP_ID}/rollback`, 200, { deployment_id: SPEC_DEPLOYMENT_ID, skip_pin: true }],
    ]);
    expect(redeployed).toMatchObject({ trigger: 'redeploy', redeployOf: record.id, vendorId: SPEC_DEPLOYMENT_ID });
    expect(relay.platform.egressLog.some((r) => r.method === 'GET' && r.url.endsWith(`/deployments/${SPEC_DEPLOYMENT_ID}`))).toBe(true);
  });

  it('cancels a running deployment with the spec’s cancel request', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const answer = await relay.cancel(record, SPEC_DEPLOYMENT_ID);
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `POST https://api.digitalocean.com/v2/apps/${APP_ID}/deployments/${SPEC_DEPLOYMENT_ID}/cancel -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(answer).toMatchObject({ ok: true, data: { message: expect.stringMatching(/^DigitalOcean is canceling deployment /) } });
  });

  // The provider's settings only let a boolean through; sent by hand, the spec's refusal is reported.
  it('reports a request the spec refuses with Prism’s reason: force_build as a string', async () => {
    relay.platform.egressLog.length = 0;
    await relay.platform.run(() =>
      fetch(`https://api.digitalocean.com/v2/apps/${APP_ID}/deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ force_build: 'yes' }),
      }),
    );
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([
      `POST ${prism().url}/v2/apps/${APP_ID}/deployments -> 422: Request body property force_build must be boolean`,
    ]);
  });
});

describe('npm start -- --route api.digitalocean.com=<Prism>', () => {
  const replay = (targetsFile: string) => replayPush(targetsFile, { 'api.digitalocean.com': prism().url });

  it('exits 0 for examples/targets.digitalocean.json: the spec accepts the deployment request', async () => {
    const run = await replay(path.join(EXAMPLES_DIR, EXAMPLE));
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`request   POST https://api.digitalocean.com/v2/apps/${APP_ID}/deployments -> 200`);
    expect(run.stdout).toMatch(
      /history\s+unknown\s+DigitalOcean production <- branch main .*: Outcome unknown: after \d+ minutes it is still in progress/,
    );
    expect(run.stdout).toContain("result    exit 0: 1 deploy(s), none failed; outcome not known for 1 (unknown): see the vendor's page");
    expect(run.code).toBe(0);
  });

  // The spec requires bearer_auth on every call (Prism answers 401 without it); the provider refuses
  // the deploy before sending rather than let DigitalOcean say so. No target setting gets further and
  // is then refused: the spec types app_id as any string and force_build as a boolean, and the
  // provider's settings are stricter (a UUID, a boolean) than both.
  it('exits 1 when the target has no API token, which the spec’s bearer_auth refuses, sending nothing', async () => {
    const run = await replay(editExample(EXAMPLE, ({ secrets: _secrets, ...target }) => target));
    expect(run.stdout).not.toMatch(/^request /m);
    expect(run.stdout).toMatch(/history\s+failed\s+DigitalOcean production <- branch main .*A DigitalOcean API token is not set/);
    expect(run.stdout).toContain('result    exit 1: 1 of 1 deploy(s) DigitalOcean production failed');
    expect(run.code).toBe(1);
  });
});
