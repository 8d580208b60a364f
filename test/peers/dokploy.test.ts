// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import { editExample, PEER_TIMEOUT_MS, replayPush, prismFor } from './processes';

/**
 * Dokploy against Prism serving Dokploy's own spec (dokploy-openapi.json, server `https://<instance>/api`):
 * a self-hosted instance, so the target's address is Prism's loopback URL (allowed in local mode). The
 * spec declares every 200 body as `{}`: Prism answers exactly that, which the app cannot read as a
 * deployment list or a resource, as the tests below say.
 */
const API_KEY = 'dokploy-contract-test-key';
const EXAMPLE = 'targets.dokploy.json';

jest.setTimeout(PEER_TIMEOUT_MS);

const prism = prismFor('dokploy-openapi.json');

describe('the Dokploy provider on the local platform, against Dokploy’s spec', () => {
  let relay: RelayOnPeers;
  const application = () => targetFor('dokploy', 'dokploy-app', { baseUrl: prism().url, kind: 'application', resourceId: 'app-Xy12_ab' });
  const compose = () => targetFor('dokploy', 'dokploy-compose', { baseUrl: prism().url, kind: 'compose', resourceId: 'compose-Zq34' });

  beforeAll(async () => {
    relay = startRelay({});
    await relay.configure([
      { target: application(), secrets: { apiKey: API_KEY } },
      { target: compose(), secrets: { apiKey: API_KEY } },
    ]);
  });
  afterAll(async () => {
    await relay.close();
  });

  it('queues an application and a compose deploy with requests the spec accepts; the `{}` deployment lists leave their outcome unknown', async () => {
    const records = await relay.push();
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const deploys = relay.platform.egressLog.filter((r) => r.method === 'POST');
    expect(deploys.map((r) => [r.url.slice(prism().url.length), r.status, Object.keys(JSON.parse(r.body ?? '{}')).sort()]).sort()).toEqual([
      ['/api/application.deploy', 200, ['applicationId', 'description', 'title']],
      ['/api/compose.deploy', 200, ['composeId', 'description', 'title']],
    ]);
    // Prism cannot check the key: the spec's operations name a scheme "Authorization" that its
    // components do not define. The scheme it does define is the x-api-key header, checked here.
    expect(deploys.map((r) => r.headers['x-api-key'])).toEqual([API_KEY, API_KEY]);
    for (const record of records) {
      expect(record.vendorId).toMatch(/^[0-9a-f]{7}@\d{4}-/);
      // The status poller cannot read the `{}` Prism gives for the deployment list.
      expect([record.state, record.message]).toEqual(['unknown', expect.stringContaining("Dokploy's answer had an unexpected shape")]);
    }
  });

  it('reads the deployment lists with requests the spec accepts, and says it cannot read the `{}` the spec declares', async () => {
    const records = await relay.push();
    relay.platform.egressLog.length = 0;
    for (const record of records) {
      await expect(relay.follow(record)).rejects.toThrow("Dokploy deployments: Dokploy's answer had an unexpected shape");
    }
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url.slice(prism().url.length)} -> ${r.status}`).sort()).toEqual([
      'GET /api/deployment.all?applicationId=app-Xy12_ab -> 200',
      'GET /api/deployment.allByCompose?composeId=compose-Zq34 -> 200',
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
  });

  it('verifies with a request the spec accepts, and reports that the `{}` answer names no application', async () => {
    relay.platform.egressLog.length = 0;
    const view = await relay.verify('dokploy-app');
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url.slice(prism().url.length)} -> ${r.status}`)).toEqual([
      'GET /api/application.one?applicationId=app-Xy12_ab -> 200',
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(view).toMatchObject({ ok: false, shapeOnly: false });
    expect(view.message).toContain("Dokploy application: Dokploy's answer had an unexpected shape");
  });
});

describe('npm start with a Dokploy target whose address is Prism', () => {
  const withBaseUrl = (baseUrl: string) =>
    editExample(EXAMPLE, (target) => ({ ...target, settings: { ...target.settings, baseUrl }, secrets: { apiKey: API_KEY } }));

  it('exits 0 for examples/targets.dokploy.json pointed at the instance: the spec accepts the deploy request', async () => {
    const run = await replayPush(withBaseUrl(prism().url));
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`request   POST ${prism().url}/api/application.deploy -> 200`);
    expect(run.stdout).toContain("result    exit 0: 1 deploy(s), none failed; outcome not known for 1 (unknown): see the vendor's page");
    expect(run.code).toBe(0);
  });

  it('exits 1 when the instance address has a path the spec has no route under (Prism answers 404)', async () => {
    const run = await replayPush(withBaseUrl(`${prism().url}/dokploy`));
    expect(run.stdout).toContain(`request   POST ${prism().url}/dokploy/api/application.deploy -> 404`);
    expect(run.stdout).toMatch(/history\s+failed\s+Dokploy staging <- branch main .*answered 404/);
    expect(run.stdout).toContain('result    exit 1: 1 of 1 deploy(s) Dokploy staging failed');
    expect(run.code).toBe(1);
  });
});
