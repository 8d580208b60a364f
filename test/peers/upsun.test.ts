// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { startRelay, targetFor, type RelayOnPeers } from './relay';
import { loopbackVendor } from '../providers/loopback-vendor';
import { PEER_TIMEOUT_MS, prismFor } from './processes';

/**
 * Upsun against Prism serving Upsun's own spec (upsun-openapispec-upsun.json), api.upsun.com routed to
 * it. The token exchange at auth.upsun.com is not in the spec's paths, only in its introduction
 * (`curl -u platform-api-user: -d 'grant_type=api_token&api_token=…'` answering `{access_token,
 * expires_in, token_type}`), so a loopback server answers it as the introduction says, and the test
 * checks the exchange against those lines.
 */
const PROJECT = 'abcdefgh1234567';
const API_TOKEN = 'upsun-contract-test-api-token';
const BEARER = 'upsun-contract-test-bearer';

jest.setTimeout(PEER_TIMEOUT_MS);

const auth = loopbackVendor(() => ({ status: 200, body: { access_token: BEARER, expires_in: 900, token_type: 'bearer' } }));

const prism = prismFor('upsun-openapispec-upsun.json');
let relay: RelayOnPeers;
const upsun = (id: string, settings: Record<string, unknown>) => ({
  target: targetFor('upsun', id, { projectId: PROJECT, environment: 'main', ...settings }),
  secrets: { apiToken: API_TOKEN },
});

beforeAll(async () => {
  relay = startRelay({ routes: { 'api.upsun.com': prism().url, 'auth.upsun.com': auth.base } });
  await relay.configure([
    upsun('upsun-redeploy', { action: 'redeploy' }),
    upsun('upsun-rolling', { action: 'deploy', strategy: 'rolling' }),
    upsun('upsun-default', { action: 'deploy' }),
    upsun('upsun-operation', { action: 'source-operation', sourceOperation: 'update-deps' }),
  ]);
});
afterAll(async () => {
  await relay?.close();
});

const onPrism = () => relay.platform.egressLog.filter((r) => r.url.startsWith('https://api.upsun.com/'));

describe('the Upsun provider on the local platform, against Upsun’s spec', () => {
  it('redeploys, deploys staged changes (rolling or default) and runs a source operation with requests the spec accepts, on one token exchange', async () => {
    const records = await relay.push();
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const environment = `https://api.upsun.com/projects/${PROJECT}/environments/main`;
    expect(
      onPrism()
        .map((r) => [r.method, r.url, r.status, r.body, r.headers.authorization])
        .sort(),
    ).toEqual([
      ['POST', `${environment}/deploy`, 200, '{"strategy":"rolling"}', `Bearer ${BEARER}`],
      ['POST', `${environment}/deploy`, 200, '{}', `Bearer ${BEARER}`],
      ['POST', `${environment}/redeploy`, 200, undefined, `Bearer ${BEARER}`],
      ['POST', `${environment}/source-operation`, 200, '{"operation":"update-deps"}', `Bearer ${BEARER}`],
    ]);
    // The spec's AcceptedResponse is {status, code} with additionalProperties false: no
    // `_embedded.activities` to follow, so each action ends as requested.
    expect(records.map((r) => [r.target.id, r.state, r.vendorId]).sort()).toEqual([
      ['upsun-default', 'requested', null],
      ['upsun-operation', 'requested', null],
      ['upsun-redeploy', 'requested', null],
      ['upsun-rolling', 'requested', null],
    ]);
    const exchanges = relay.platform.egressLog.filter((r) => r.url.startsWith('https://auth.upsun.com/'));
    expect(
      exchanges.map((r) => [
        r.method,
        r.url,
        r.status,
        r.headers.authorization,
        r.headers['content-type'],
        Object.fromEntries(new URLSearchParams(r.body)),
      ]),
    ).toEqual([
      [
        'POST',
        'https://auth.upsun.com/oauth2/token',
        200,
        `Basic ${Buffer.from('platform-api-user:').toString('base64')}`,
        'application/x-www-form-urlencoded',
        { grant_type: 'api_token', api_token: API_TOKEN },
      ],
    ]);
  });

  it('reads an activity with a request the spec accepts, and maps the spec’s example (cancelled, failure) to canceled', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const status = await relay.follow({ ...record, vendorId: 'act-42' });
    expect(onPrism().map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `GET https://api.upsun.com/projects/${PROJECT}/activities/act-42 -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(status).toMatchObject({ state: 'canceled', message: 'Upsun activity cancelled (failure)' });
  });

  it('cancels a running activity with the spec’s cancel request', async () => {
    const [record] = await relay.push();
    if (!record) throw new Error('the push deployed nothing');
    relay.platform.egressLog.length = 0;
    const answer = await relay.cancel(record, 'act-42');
    expect(onPrism().map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `POST https://api.upsun.com/projects/${PROJECT}/activities/act-42/cancel -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(answer).toMatchObject({ ok: true, data: { message: expect.stringMatching(/^Upsun is canceling activity act-42\. /) } });
  });

  it('verifies the token by reading the environment with a request the spec accepts', async () => {
    relay.platform.egressLog.length = 0;
    const view = await relay.verify('upsun-redeploy');
    expect(onPrism().map((r) => `${r.method} ${r.url} -> ${r.status}`)).toEqual([
      `GET https://api.upsun.com/projects/${PROJECT}/environments/main -> 200`,
    ]);
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(view).toMatchObject({ ok: true, shapeOnly: false });
  });

  it('makes a pull request’s preview from its branch’s environment and deactivates it on decline, in requests the spec accepts', async () => {
    await relay.configure([
      {
        ...upsun('upsun-previews', { action: 'redeploy' }),
        target: { ...upsun('upsun-previews', { action: 'redeploy' }).target, preview: { allowForks: false } },
      },
    ]);
    relay.platform.egressLog.length = 0;
    const opened = await relay.pullRequest({ open: 'feature/upsun-preview' });
    const environment = `https://api.upsun.com/projects/${PROJECT}/environments/${encodeURIComponent('feature/upsun-preview')}`;
    const calls = () => onPrism().map((r) => `${r.method} ${r.url} -> ${r.status}`);
    // Prism answers the read with the spec's first status, active: the environment is redeployed.
    expect(calls()).toEqual([`GET ${environment} -> 200`, `POST ${environment}/redeploy -> 200`]);
    expect(opened.records.map((r) => [r.preview?.action, r.state])).toEqual([['deploy', 'requested']]);

    relay.platform.egressLog.length = 0;
    const declined = await relay.pullRequest({ decline: opened.id });
    expect(calls()).toEqual([`GET ${environment} -> 200`, `POST ${environment}/deactivate -> 200`]);
    expect(declined.records[0]).toMatchObject({ preview: { action: 'teardown' } });
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
  });
});
