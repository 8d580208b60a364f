/**
 * Issue 4's "Done when", walked as a repository admin would: the real page through the real @forge/react
 * reconciler and @forge/bridge, the real resolver, queue, deploy worker and status poller on the local
 * platform, and DigitalOcean's API played by a real HTTP server on 127.0.0.1 that the platform's egress
 * routes api.digitalocean.com to. No jest.mock of any @forge module.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, leakedSecrets, openSession, PAGE_TIMERS, pageContext, type SettingsSession } from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { loopbackVendor, type Reply, type Seen } from '../providers/loopback-vendor';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const APP_ID = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
const DEPLOYMENT_ID = 'b6bdf840-2854-4f87-a36c-5f231c617c84';
const TOKEN = 'dop_v1_5e1f0c9a77d24b1f8e3c6a0b9d2e4f6a8c0e2a4b6d8f0a2c4e6a8b0d2f4a6c8e';

/** What DigitalOcean says on each read of the deployment, in turn; the last answer then stays. */
let phases: string[] = [];
const deploymentAnswer = (phase: string): Reply => ({
  status: 200,
  body: {
    deployment: { id: DEPLOYMENT_ID, cause: 'manual', phase, progress: { success_steps: phase === 'ACTIVE' ? 6 : 0, total_steps: 6 } },
  },
});
const vendor = loopbackVendor((request: Seen): Reply => {
  if (request.headers.authorization !== `Bearer ${TOKEN}`)
    return { status: 401, body: { id: 'unauthorized', message: 'Unable to authenticate you.' } };
  if (request.method === 'POST' && request.path === `/v2/apps/${APP_ID}/deployments`) return deploymentAnswer('PENDING_BUILD');
  if (request.method === 'GET' && request.path === `/v2/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`) {
    return deploymentAnswer(phases.length > 1 ? (phases.shift() as string) : (phases[0] ?? 'ACTIVE'));
  }
  return { status: 404, body: { id: 'not_found', message: 'The resource you requested could not be found.' } };
});

let session: SettingsSession;
let page: PageHarness | undefined;

beforeEach(() => {
  jest.useFakeTimers(PAGE_TIMERS);
  phases = ['BUILDING', 'ACTIVE'];
  session = openSession({ routes: { 'api.digitalocean.com': vendor.base } });
});

afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await session.platform.close();
  jest.useRealTimers();
});

const targetRow = (ui: PageHarness) => {
  const rows = ui.findAll('Row').filter((row) => String(row.props.rowKey).startsWith('production-'));
  expect(rows).toHaveLength(1);
  return JSON.stringify(rows[0]);
};
const historyRows = (ui: PageHarness) => ui.findAll('Row').filter((row) => /^\d{13}-/.test(String(row.props.rowKey)));
/** The page's own refresh, `afterMs` after the last one (or the deploy), and the page idle again. */
const nextRefresh = async (ui: PageHarness, afterMs: number) => {
  const before = ui.invocations.length;
  jest.advanceTimersByTime(afterMs);
  await ui.idle();
  expect(ui.invocations.slice(before)).toEqual([{ functionKey: 'getHistory', payload: {} }]);
};

describe('an admin sets up DigitalOcean and deploys from the settings page', () => {
  it('adds the target with a token shown only as set, deploys now, and watches it go from queued to succeeded', async () => {
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    expect(page.invocations).toEqual([{ functionKey: 'getPage', payload: undefined }]);
    expect(page.findAll('EmptyState')).toHaveLength(1);

    await page.press('Add target');
    await page.fill('name', 'Production');
    await page.fill('environment', 'production');
    await page.select('provider', 'digitalocean');
    await page.fill('settings.appId', APP_ID);
    await page.fill('secrets.token', TOKEN);
    await page.press('Save target');
    expect(page.findAll('Modal')).toEqual([]);
    expect(targetRow(page)).toContain('DigitalOcean App Platform');
    expect(targetRow(page)).toContain(`API token: Set (…${TOKEN.slice(-4)})`);
    expect(targetRow(page)).toContain('Not deployed');
    expect(page.text()).not.toContain(TOKEN);

    await page.press('Deploy now');
    await page.press('Deploy main');
    expect(page.text()).toContain('Deploy of main queued');
    expect(targetRow(page)).toContain('Queued');

    // The worker runs (what is due now, not the delayed status reads): DigitalOcean accepts the deploy.
    await session.platform.drain({ advanceClock: false });
    expect(vendor.seen.map((s) => `${s.method} ${s.path}`)).toEqual([`POST /v2/apps/${APP_ID}/deployments`]);
    await nextRefresh(page, 3000);
    expect(targetRow(page)).toContain('Deploying');
    expect(historyRows(page).map((row) => JSON.stringify(row))).toEqual([expect.stringContaining('Deploying')]);

    // The status poller reads BUILDING, then ACTIVE, on the queue's delays (virtual time).
    await session.platform.drain();
    expect(vendor.seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      `POST /v2/apps/${APP_ID}/deployments`,
      `GET /v2/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`,
      `GET /v2/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`,
    ]);
    await nextRefresh(page, 4500);
    expect(targetRow(page)).toContain('Live');
    const [row] = historyRows(page);
    expect(historyRows(page)).toHaveLength(1);
    const cell = (key: string) => row?.children.find((c) => c.props.cellKey === key);
    expect(JSON.stringify(cell('state'))).toContain('Succeeded');
    expect(JSON.stringify(cell('duration'))).toMatch(/"text":"(\d+m )?\d+s"/);
    expect(JSON.stringify(cell('link'))).toContain(`https://cloud.digitalocean.com/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`);

    // Everything has an outcome: the page stops refreshing by itself.
    const calls = page.invocations.length;
    jest.advanceTimersByTime(60 * 60_000);
    await page.idle();
    expect(page.invocations).toHaveLength(calls);

    await page.selectTab('History');
    expect(page.invocations.at(-1)?.functionKey).toBe('getStats');
    expect(page.text()).toContain('1 deployment in the last 30 days (UTC): 1 succeeded, 0 requested, 0 failed, 0 other.');
    expect(page.findAll('LineChart')).toHaveLength(1);
    expect(leakedSecrets(session.responses, [TOKEN])).toEqual([]);
  });
});
