/**
 * Test connection in the target form: the provider's verify with the form's values before they are
 * saved, under the save's own rules (egress, secrets kept only where they were saved for); nothing is
 * stored and no secret comes back. Real page and resolver on the local platform; DigitalOcean's API is
 * a server on 127.0.0.1 that the platform routes api.digitalocean.com to.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, dataWrites, leakedSecrets, openSession, pageContext, type SettingsSession } from './settings-harness';
import path from 'node:path';
import { kvs } from '@forge/kvs';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { startReceiver, type Receiver } from '../../local/receiver';
import { loopbackVendor, type Reply, type Seen } from '../providers/loopback-vendor';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const APP_ID = '0b7d1c5e-3a2f-4e8b-9c6d-1f2e3a4b5c6d';
const TOKEN = 'dop_v1_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b';
const WRONG = 'dop_v1_0000000000000000000000000000000000000000000000000000000000000000';
const SECRET = 'test-connection-secret-6f2a9d4c';
const vendor = loopbackVendor((request: Seen): Reply => {
  if (request.headers.authorization !== `Bearer ${TOKEN}`)
    return { status: 401, body: { id: 'unauthorized', message: 'Unable to authenticate you.' } };
  if (request.method === 'GET' && request.path === `/v2/apps/${APP_ID}`)
    return { status: 200, body: { app: { id: APP_ID, spec: { name: 'web-app' } } } };
  return { status: 404, body: { id: 'not_found', message: 'The resource you requested could not be found.' } };
});

let session: SettingsSession;
let receiver: Receiver;
let page: PageHarness | undefined;

beforeEach(async () => {
  session = openSession({ routes: { 'api.digitalocean.com': vendor.base, 'dokploy.customer.example': vendor.base } });
  receiver = await startReceiver({ secret: SECRET, now: session.platform.now });
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await receiver.close();
  await session.platform.close();
});

async function digitalOceanForm(token: string): Promise<PageHarness> {
  page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
  await page.press('Add target');
  await page.fill('name', 'Production');
  await page.select('provider', 'digitalocean');
  await page.fill('settings.appId', APP_ID);
  await page.fill('secrets.token', token);
  return page;
}

/** The form's test result: the SectionMessage's title and text. */
const result = (ui: PageHarness) => {
  const [message] = ui.findAll('SectionMessage').filter((m) => /ready|verify|checked|not tested/.test(String(m.props.title)));
  return message && { title: message.props.title, text: JSON.stringify(message) };
};
const storedKeys = () =>
  session.platform.run(async () => (await kvs.query().getMany()).results.map((r) => r.key).filter((key) => !key.startsWith('admin:')));

describe('Test connection', () => {
  it('asks the provider with the unsaved values, says it works, and stores nothing', async () => {
    const ui = await digitalOceanForm(TOKEN);
    session.platform.resetCalls();
    await ui.press('Test connection');
    expect(ui.invocations.at(-1)?.functionKey).toBe('testTarget');
    expect(result(ui)).toEqual({ title: 'Production is ready', text: expect.stringContaining('The token can read the app web-app.') });
    expect(vendor.seen.map((s) => `${s.method} ${s.path} ${s.headers.authorization === `Bearer ${TOKEN}`}`)).toEqual([
      `GET /v2/apps/${APP_ID} true`,
    ]);
    expect(dataWrites(session.platform.calls)).toEqual([]);
    expect(await storedKeys()).toEqual([]);
    // Still the open form: the admin saves when they choose to.
    expect(ui.findAll('ModalTitle')).toHaveLength(1);
    expect(leakedSecrets(session.responses, [TOKEN])).toEqual([]);
  });

  it('stops showing a result once the values it was tested with change, and shows it again when they are back', async () => {
    const ui = await digitalOceanForm(TOKEN);
    await ui.press('Test connection');
    expect(result(ui)?.title).toBe('Production is ready');
    await ui.fill('secrets.token', WRONG);
    expect(result(ui)).toBeUndefined();
    await ui.fill('secrets.token', TOKEN);
    expect(result(ui)?.title).toBe('Production is ready');
  });

  it('says so when the provider refuses the values', async () => {
    const ui = await digitalOceanForm(WRONG);
    await ui.press('Test connection');
    expect(result(ui)?.title).toBe('Production did not verify');
    expect(leakedSecrets(session.responses, [WRONG])).toEqual([]);
  });

  it('refuses values a save would refuse, inline, without calling the provider', async () => {
    const ui = await digitalOceanForm(TOKEN);
    await ui.fill('settings.appId', 'not an app id');
    await ui.press('Test connection');
    expect(result(ui)?.title).toBe('The connection was not tested');
    expect(ui.findAll('ErrorMessage')).toHaveLength(1);
    expect(vendor.seen).toEqual([]);
  });

  it('on an edit, uses the stored secret the form leaves empty', async () => {
    const ui = await digitalOceanForm(TOKEN);
    await ui.press('Save target');
    vendor.seen.length = 0;
    session.platform.resetCalls();
    await ui.press('Edit');
    await ui.press('Test connection');
    expect(result(ui)?.title).toBe('Production is ready');
    expect(vendor.seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${TOKEN}`]);
    expect(dataWrites(session.platform.calls)).toEqual([]);
    expect(leakedSecrets(session.responses, [TOKEN])).toEqual([]);
  });

  it('does not send a stored secret to an address it was not saved for', async () => {
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    await page.press('Add target');
    await page.fill('name', 'Hook');
    await page.fill('settings.url', receiver.url);
    await page.fill('secrets.signingSecret', SECRET);
    await page.press('Save target');
    await page.press('Edit');
    await page.fill('settings.url', `${receiver.url}elsewhere`);
    await page.press('Test connection');
    expect(result(page)?.title).toBe('The connection was not tested');
    expect(page.text()).toContain('Signing secret is required');
    expect(receiver.deliveries).toEqual([]);
  });

  it('on a host no workspace admin approved, sends nothing and says to save to ask for the approval', async () => {
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    await page.press('Add target');
    await page.fill('name', 'Self-hosted');
    await page.select('provider', 'dokploy');
    await page.fill('settings.baseUrl', 'https://dokploy.customer.example');
    await page.select('settings.kind', 'application');
    await page.fill('settings.resourceId', 'app-relay-1');
    await page.fill('secrets.apiKey', 'dokploy-api-key-7c3e9a1b5d2f8e4a6c0b');
    await page.press('Test connection');
    expect(result(page)).toEqual({
      title: 'The connection was not tested',
      text: expect.stringContaining(
        'Deploy Relay may not call dokploy.customer.example yet. Save the target to ask a workspace admin to approve it, then test it.',
      ),
    });
    expect(vendor.seen).toEqual([]);
    expect(session.platform.egressLog).toEqual([]);
  });
});
