// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import { PEER_TIMEOUT_MS, prismFor } from './processes';

/**
 * Netlify's API form against Prism serving Netlify's own spec (netlify-swagger.yml, basePath /api/v1),
 * api.netlify.com routed to it. Build hooks (`/build_hooks/{id}`) are outside the spec. The spec has no
 * examples here: Prism makes a build up from the schema, with "string" in every string field, error
 * included, so the app reads that build as failed.
 */
const SITE = 'my-site.netlify.app';
const TOKEN = 'nfp_contract-test-token';

jest.setTimeout(PEER_TIMEOUT_MS);

const prism = prismFor('netlify-swagger.yml');
let relay: RelayOnPeers;
beforeAll(async () => {
  relay = startRelay({ routes: { 'api.netlify.com': prism().url } });
  await relay.configure([{ target: targetFor('netlify', 'netlify-api', { mode: 'api', siteId: SITE }), secrets: { token: TOKEN } }]);
});
afterAll(async () => {
  await relay?.close();
});

describe('the Netlify provider (API) on the local platform, against Netlify’s spec', () => {
  it('starts a build of the pushed branch, titled after the commit, with a request the spec accepts, and records the made-up build’s error as the failure', async () => {
    const [record] = await relay.push();
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const start = relay.platform.egressLog.find((r) => r.method === 'POST');
    expect(start).toMatchObject({
      url: `https://api.netlify.com/api/v1/sites/${SITE}/builds?branch=main&title=Deploy+Relay%3A+Contract+test+push+1`,
      status: 200,
    });
    expect(start?.body).toBeUndefined();
    expect(record?.vendorId).toBe('string');
    // The status poller then reads Prism's made-up build, whose error is "string".
    expect([record?.state, record?.message]).toEqual(['failed', 'Netlify build string failed: string']);
  });

  it('reads the build with a request the spec accepts, and reports the error the build carries', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const status = await relay.follow(record);
    // A build with an error is the outcome: the deploy it would make (GET /deploys/{id}) is not read.
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      'GET https://api.netlify.com/api/v1/builds/string -> 200',
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(status).toMatchObject({ state: 'failed', message: 'Netlify build string failed: string' });
  });

  it('cancels a running build’s deploy with the spec’s requests: the build names its deploy, which is canceled', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const answer = await relay.cancel(record, 'string');
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      'GET https://api.netlify.com/api/v1/builds/string -> 200',
      'POST https://api.netlify.com/api/v1/deploys/string/cancel -> 201',
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(answer).toMatchObject({
      ok: true,
      data: { message: 'Netlify canceled deploy string. The history shows how the deploy ended at its next status read.' },
    });
  });

  it('verifies the token by reading the site with a request the spec accepts', async () => {
    relay.platform.egressLog.length = 0;
    const view = await relay.verify('netlify-api');
    expect(relay.platform.egressLog.map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `GET https://api.netlify.com/api/v1/sites/${SITE} -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(view).toMatchObject({ ok: true, shapeOnly: false });
  });

  it('builds a pull request’s source branch as its preview with a request the spec accepts, and keeps it on decline', async () => {
    await relay.configure([
      {
        target: { ...targetFor('netlify', 'netlify-previews', { mode: 'api', siteId: SITE }), preview: { allowForks: false } },
        secrets: { token: TOKEN },
      },
    ]);
    relay.platform.egressLog.length = 0;
    const opened = await relay.pullRequest({ open: 'feature/netlify-preview' });
    expect(
      relay.platform.egressLog
        .filter((r) => r.method === 'POST' && r.url.startsWith('https://api.netlify.com/'))
        .map((r) => `${r.url} -> ${r.status}`),
    ).toEqual([
      `https://api.netlify.com/api/v1/sites/${SITE}/builds?branch=feature%2Fnetlify-preview&title=Deploy+Relay%3A+Work+on+feature%2Fnetlify-preview -> 200`,
    ]);
    expect(opened.records.map((r) => [r.preview?.action, r.vendorId])).toEqual([['deploy', 'string']]);

    relay.platform.egressLog.length = 0;
    const declined = await relay.pullRequest({ decline: opened.id });
    expect(relay.platform.egressLog.filter((r) => r.url.startsWith('https://api.netlify.com/'))).toEqual([]);
    expect(declined.records[0]).toMatchObject({ state: 'succeeded', preview: { action: 'teardown' } });
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
  });
});
