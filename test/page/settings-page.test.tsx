/**
 * The settings page as an admin uses it: rendered by the real @forge/react reconciler with the real
 * @forge/bridge (local/ui/harness.ts), its invokes reaching the REAL resolver on the local platform.
 * No jest.mock of any @forge module.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  ADMIN,
  leakedSecrets,
  makeDeployment,
  openSession,
  PAGE_TIMERS,
  pageContext,
  READER,
  seedDeployments,
  type SettingsSession,
} from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { findAll, type ForgeDocNode, nodeText } from '../../local/ui/forgedoc';
import { startReceiver, type Receiver } from '../../local/receiver';
import type { Result, StatsView } from '../../src/core/settings-api';
import { DAY_MS, windowStart } from '../../src/core/stats';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const SECRET = 'page-signing-secret-3b7e91c4';
const allResponses: unknown[] = [];

let session: SettingsSession;
let receiver: Receiver;
let ui: PageHarness | undefined;

beforeEach(async () => {
  jest.useFakeTimers(PAGE_TIMERS);
  session = openSession();
  // The receiver judges a signature's age by the platform's clock, which runs ahead of the real one.
  receiver = await startReceiver({ secret: SECRET, now: session.platform.now });
});

afterEach(async () => {
  await ui?.unmount();
  ui = undefined;
  allResponses.push(...session.responses);
  await receiver.close();
  await session.platform.close();
  jest.useRealTimers();
});

afterAll(() => {
  expect(allResponses.length).toBeGreaterThan(10);
  expect(leakedSecrets(allResponses, [SECRET])).toEqual([]);
});

async function open(accountId = ADMIN): Promise<PageHarness> {
  ui = await renderPage(PAGE, { context: pageContext(accountId), invoke: session.invokeAs(accountId) });
  return ui;
}

async function addHookTarget(page: PageHarness): Promise<void> {
  await page.press('Add target');
  await page.fill('name', 'Staging hook');
  await page.fill('environment', 'staging');
  await page.fill('settings.url', receiver.url);
  await page.fill('secrets.signingSecret', SECRET);
  await page.press('Save target');
}

describe('first load', () => {
  it('shows a spinner, then the empty state, after exactly one invoke', async () => {
    const page = await open();
    expect(page.invocations).toEqual([{ functionKey: 'getPage', payload: undefined }]);
    expect(session.responses).toHaveLength(1);
    expect(page.findAll('Spinner')).toEqual([]);
    const [empty] = page.findAll('EmptyState');
    expect(empty?.props.header).toBe('No deploy targets yet');
    expect(String(empty?.props.description)).toContain('A deploy target is a place this repository deploys to');
    expect(page.text()).toContain('Add target');
  });
});

describe('adding a target', () => {
  it('shows field errors inline for an invalid target, then saves a valid one with the secret shown only as set', async () => {
    const page = await open();
    await page.press('Add target');
    await page.fill('name', 'Staging hook');
    await page.fill('settings.url', 'not a url');
    await page.press('Save target');
    expect(page.invocations.at(-1)?.functionKey).toBe('saveTarget');
    const errors = page.findAll('ErrorMessage').map((node) => JSON.stringify(node));
    expect(errors).toHaveLength(2);
    expect(page.text()).toContain('Signing secret is required');
    expect(page.findAll('ModalTitle')).toHaveLength(1);

    await page.fill('settings.url', receiver.url);
    await page.fill('secrets.signingSecret', SECRET);
    await page.press('Save target');
    expect(page.findAll('Modal')).toEqual([]);
    expect(page.findAll('Row').map((row) => row.props.rowKey)).toEqual([expect.stringMatching(/^staging-hook-/)]);
    expect(page.text()).toContain('Staging hook was saved');
    expect(page.text()).toContain('branch main');
    expect(page.text()).toContain('Not deployed');

    // Editing shows the secret as set with its last four characters, never the value.
    await page.press('Edit');
    expect(page.text()).toContain(`Set (…${SECRET.slice(-4)})`);
    expect(page.findAll('Textfield', { name: 'secrets.signingSecret' })[0]?.props.value).toBe('');
    expect(page.text()).not.toContain(SECRET);
    expect(page.findAll('Textfield').map((field) => field.props.value)).not.toContain(SECRET);
  });
});

describe('acting on a target', () => {
  it('deploy now searches branches with one Bitbucket call, queues the head, and the history shows the result after the worker ran', async () => {
    const page = await open();
    await addHookTarget(page);
    await page.press('Deploy now');
    session.platform.bitbucket.clearCalls();
    await page.fill('branchSearch', 'release');
    await page.press('Search');
    expect(session.platform.bitbucket.calls.filter((c) => c.path.includes('/refs/branches'))).toHaveLength(1);
    await page.select('branchPick', 'release/1.2');
    await page.press('Deploy release/1.2');
    expect(page.text()).toContain('Deploy of release/1.2 queued');
    expect(page.text()).toContain('Queued');
    expect(session.platform.pendingEvents()).toBe(1);

    await session.platform.drain();
    expect(receiver.deliveries).toEqual([expect.objectContaining({ hubSignatureValid: true, standardWebhooksValid: true, status: 200 })]);
    await page.press('Refresh');
    const historyRows = page.findAll('Row').filter((row) => String(row.props.rowKey).includes('-'));
    expect(historyRows.length).toBeGreaterThanOrEqual(2);
    expect(page.text()).toContain('release/1.2');
    expect(page.text()).toContain('Requested');
    expect(page.text()).toContain('77942bb');
  });

  it('verify shows the result in a SectionMessage saying only the URL shape was checked', async () => {
    const page = await open();
    await addHookTarget(page);
    await page.press('Verify');
    const [message] = page.findAll('SectionMessage');
    expect(message?.props.title).toBe("Staging hook: only the URL's shape was checked");
    expect(receiver.deliveries).toEqual([]);
  });

  it('delete asks for confirmation naming the target, then removes it', async () => {
    const page = await open();
    await addHookTarget(page);
    await page.press('Delete');
    expect(page.findAll('ModalTitle').map((t) => JSON.stringify(t))).toEqual([expect.stringContaining('Delete Staging hook?')]);
    await page.press('Cancel');
    expect(page.findAll('Row').length).toBeGreaterThan(0);
    await page.press('Delete');
    await page.press('Delete Staging hook');
    expect(page.text()).toContain('Staging hook was deleted');
    expect(page.findAll('EmptyState')).toHaveLength(1);
  });

  it('the Enabled toggle disables a target', async () => {
    const page = await open();
    await addHookTarget(page);
    const [toggle] = page.findAll('Toggle').filter((t) => String(t.props.name).startsWith('enabled-'));
    await page.toggle(String(toggle?.props.name), false);
    expect(page.invocations.at(-1)).toMatchObject({ functionKey: 'setEnabled', payload: { enabled: false } });
    expect(page.findAll('Button').find((b) => JSON.stringify(b).includes('Deploy now'))?.props.isDisabled).toBe(true);
  });

  it('a preview target offers no Deploy now: it deploys pull requests only', async () => {
    const page = await open();
    await page.press('Add target');
    await page.fill('name', 'Previews');
    await page.fill('environment', 'preview');
    await page.fill('settings.url', receiver.url);
    await page.fill('secrets.signingSecret', SECRET);
    await page.toggle('preview', true);
    await page.press('Save target');
    expect(page.text()).toContain('Previews');
    expect(page.findAll('Button').find((b) => JSON.stringify(b).includes('Deploy now'))?.props.isDisabled).toBe(true);
  });

  it('Pause automatic deploys says so on the row, keeps Deploy now, and turns into Resume', async () => {
    const page = await open();
    await addHookTarget(page);
    expect(page.text()).not.toContain('Automatic deploys paused');
    // Later than the save, so the switch gives the target another updatedAt (stamped by the wall clock).
    // (This file's timers are fake, so the wall clock is waited out: a few milliseconds.)
    const later = performance.now() + 3;
    while (performance.now() < later);
    await page.press('Pause automatic deploys');
    expect(page.invocations.at(-1)).toMatchObject({ functionKey: 'setPaused', payload: { paused: true } });
    expect(page.text()).toContain('Automatic deploys paused: pushes are skipped');
    expect(page.findAll('Button').find((b) => JSON.stringify(b).includes('Deploy now'))?.props.isDisabled).toBe(false);
    await page.press('Resume automatic deploys');
    expect(page.invocations.at(-1)).toMatchObject({ functionKey: 'setPaused', payload: { paused: false } });
    expect(page.text()).not.toContain('Automatic deploys paused');
    const log = (await session.invokeAs(ADMIN)('getAudit', {})) as { ok: true; data: { entries: { action: string }[] } };
    expect(log.data.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['target.paused', 'target.resumed']));
    // The switches changed the target: an edit saved next is not taken for another admin's change.
    await page.press('Edit');
    await page.press('Save target');
    expect(page.text()).not.toContain('This target was changed since you opened it');
    expect(page.findAll('ModalTitle')).toEqual([]);
  });
});

describe('a hook deploy that was only accepted', () => {
  const lozenges = (row: ForgeDocNode | undefined) => (row ? findAll(row, 'Lozenge').map(nodeText) : []);

  it('reads Requested, not Succeeded or Live, in the target row and the history row', async () => {
    const page = await open();
    await addHookTarget(page);
    const targetId = String(page.findAll('Row')[0]?.props.rowKey);
    const requested = makeDeployment(Date.now() - 1000, {
      state: 'requested',
      target: { id: targetId, name: 'Staging hook', environment: 'staging', provider: 'webhook' },
    });
    await seedDeployments(session, [requested]);
    await page.press('Refresh');
    const rows = page.findAll('Row');
    expect(lozenges(rows.find((r) => r.props.rowKey === targetId))).toEqual(['Requested']);
    expect(lozenges(rows.find((r) => r.props.rowKey === requested.id))).toEqual(['Requested']);
  });
});

describe('a reader', () => {
  it('is refused with a clear message and nothing is loaded', async () => {
    const page = await open(READER);
    expect(page.text()).toContain('Only administrators of this repository can manage its deploy targets.');
    expect(page.invocations).toHaveLength(1);
    // The chart's resolver checks the caller like every other one.
    expect(await session.invokeAs(READER)('getStats')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});

describe('the history chart', () => {
  const invoked = (page: PageHarness, key: string) => page.invocations.filter((i) => i.functionKey === key).length;
  const kvsQueries = () => session.platform.calls.filter((c) => c.seam === 'kvs' && c.op === 'query').length;

  it('loads only when the History tab opens, with one getStats call, and charts outcomes per UTC day and the median duration', async () => {
    const now = Date.now();
    // Within today (UTC) whenever the test runs: never before midnight.
    const today = (msAgo: number) => Math.max(windowStart(now, 1), now - msAgo);
    await seedDeployments(session, [
      makeDeployment(today(3000), { state: 'succeeded', finishedAt: today(3000) + 10_000 }),
      makeDeployment(today(2000), { state: 'requested', finishedAt: today(2000) + 30_000 }),
      makeDeployment(today(1000), { state: 'failed', finishedAt: today(1000) + 20_000 }),
      makeDeployment(now - 3 * DAY_MS, { state: 'skipped', finishedAt: now - 3 * DAY_MS }),
      makeDeployment(now - 40 * DAY_MS, { state: 'failed' }),
    ]);
    const page = await open();
    expect(page.invocations.map((i) => i.functionKey)).toEqual(['getPage']);
    expect(page.findAll('StackBarChart')).toEqual([]);

    session.platform.resetCalls();
    await page.selectTab('History');
    expect(page.invocations.map((i) => i.functionKey)).toEqual(['getPage', 'getStats']);
    // Five records end before the window does: one KVS query, all of them read.
    expect(kvsQueries()).toBe(1);
    expect((session.responses.at(-1) as Result<StatsView>).ok && (session.responses.at(-1) as { data: StatsView }).data).toMatchObject({
      scanned: 5,
      truncated: false,
      corruptRecords: 0,
    });

    expect(page.text()).toContain('4 deployments in the last 30 days (UTC): 1 succeeded, 1 requested, 1 failed, 1 other.');
    const [bars] = page.findAll('StackBarChart');
    expect(bars?.props).toMatchObject({ xAccessor: 'day', yAccessor: 'deployments', colorAccessor: 'outcome' });
    const counts = bars?.props.data as { day: string; outcome: string; deployments: number }[];
    expect(counts).toHaveLength(120);
    // A hook's accepted request is its own series, not counted as a success.
    expect(counts.slice(-4)).toEqual([
      { day: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}$/), outcome: 'Succeeded', deployments: 1 },
      { day: counts.at(-1)?.day, outcome: 'Requested (outcome not reported)', deployments: 1 },
      { day: counts.at(-1)?.day, outcome: 'Failed', deployments: 1 },
      { day: counts.at(-1)?.day, outcome: 'Other (skipped, canceled, running)', deployments: 0 },
    ]);
    expect(new Set((bars?.props.colorPalette as { key: string }[]).map((c) => c.key))).toEqual(new Set(counts.map((c) => c.outcome)));
    expect(counts.filter((c) => c.outcome.startsWith('Other') && c.deployments === 1)).toEqual([counts[(29 - 3) * 4 + 3]]);
    // The skipped deploy three days ago was not timed: that day has no point rather than a 0 s one.
    const [line] = page.findAll('LineChart');
    expect(line?.props.data).toEqual([{ day: counts.at(-1)?.day, series: 'Median duration', seconds: 20 }]);

    // Opening the tab again does not reload what has not changed.
    await page.selectTab('Targets');
    await page.selectTab('History');
    expect(invoked(page, 'getStats')).toBe(1);
  });

  it('reads at most 1000 records, and says when that cut the 30 days short', async () => {
    const now = Date.now();
    // 1001 deployments a minute apart: all inside the window, one more than the cap.
    await seedDeployments(
      session,
      Array.from({ length: 1001 }, (_, i) => makeDeployment(now - i * 60_000)),
    );
    const page = await open();
    session.platform.resetCalls();
    await page.selectTab('History');
    // Ten reads of 100 records, each five KVS queries of 20 (Forge's most a query returns).
    expect(kvsQueries()).toBe(50);
    const stats = (session.responses.at(-1) as { data: StatsView }).data;
    expect(stats).toMatchObject({ scanned: 1000, cap: 1000, truncated: true, countedSince: now - 999 * 60_000 });
    const [warning] = page.findAll('SectionMessage').filter((m) => m.props.title === 'Only the newest 1000 deployments are counted');
    expect(JSON.stringify(warning)).toContain(
      `Days before ${new Date(now - 999 * 60_000).toISOString().slice(0, 16).replace('T', ' ')} UTC may be missing deployments.`,
    );
  });

  it('stops reading at the first page that reaches back past the window', async () => {
    const now = Date.now();
    const since = windowStart(now, 30);
    await seedDeployments(session, [
      ...Array.from({ length: 50 }, (_, i) => makeDeployment(now - i * 60_000)),
      ...Array.from({ length: 150 }, (_, i) => makeDeployment(since - (i + 1) * 60_000)),
    ]);
    const page = await open();
    session.platform.resetCalls();
    await page.selectTab('History');
    // One read of 100 records: five KVS queries of 20.
    expect(kvsQueries()).toBe(5);
    expect((session.responses.at(-1) as { data: StatsView }).data).toMatchObject({ scanned: 100, truncated: false, countedSince: since });
    expect(page.text()).toContain('50 deployments in the last 30 days (UTC): 50 succeeded, 0 requested, 0 failed, 0 other.');
    expect(page.text()).not.toContain('Only the newest');
  });
});

describe('auto-refresh while something runs', () => {
  const polls = (page: PageHarness) => page.invocations.filter((i) => i.functionKey === 'getHistory').length;
  const advance = async (page: PageHarness, ms: number) => {
    jest.advanceTimersByTime(ms);
    await page.idle();
  };

  it('shows a deploy queued, refreshes after 3 s then 4.5 s until it has an outcome, then stops', async () => {
    const page = await open();
    await addHookTarget(page);
    await page.press('Deploy now');
    await page.press('Deploy main');
    expect(page.text()).toContain('Queued');

    await advance(page, 2999);
    expect(polls(page)).toBe(0);
    await advance(page, 1);
    expect(page.invocations.at(-1)).toEqual({ functionKey: 'getHistory', payload: {} });
    // The worker has not run yet: still queued.
    expect(
      page
        .findAll('Row')
        .filter((row) => String(row.props.rowKey).startsWith('staging-hook-'))
        .map((row) => JSON.stringify(row)),
    ).toEqual([expect.stringContaining('Queued')]);

    await session.platform.drain();
    await advance(page, 4499);
    expect(polls(page)).toBe(1);
    await advance(page, 1);
    expect(polls(page)).toBe(2);
    const targetRow = JSON.stringify(page.findAll('Row').find((row) => String(row.props.rowKey).startsWith('staging-hook-')));
    expect(targetRow).toContain('Requested');
    expect(targetRow).not.toContain('Queued');
    const historyRows = page.findAll('Row').filter((row) => /^\d{13}-/.test(String(row.props.rowKey)));
    expect(historyRows.map((row) => JSON.stringify(row))).toEqual([expect.stringContaining('Requested')]);

    // Everything has an outcome: no more refreshes, however long the page stays open.
    await advance(page, 60 * 60_000);
    expect(polls(page)).toBe(2);
  });

  it('gives up after ten minutes while a deployment stays unfinished, says so, and Refresh starts again', async () => {
    await seedDeployments(session, [makeDeployment(Date.now() - 60_000, { state: 'in_progress', finishedAt: null })]);
    const page = await open();
    for (let i = 0; i < 100 && !page.text().includes('No longer refreshing by itself'); i++) {
      jest.runOnlyPendingTimers();
      await page.idle();
    }
    // 3 + 4.5 + 6.75 + 10.125 s, then 38 refreshes 15 s apart fit in ten minutes; the 39th would not.
    expect(polls(page)).toBe(42);
    expect(page.text()).toContain('A deployment is still running after 10 minutes of watching. Press Refresh to look again.');
    await advance(page, 60 * 60_000);
    expect(polls(page)).toBe(42);

    await page.press('Refresh');
    expect(page.text()).not.toContain('No longer refreshing by itself');
    await advance(page, 3000);
    expect(polls(page)).toBe(43);
  });

  it('stops refreshing when the page is closed', async () => {
    await seedDeployments(session, [makeDeployment(Date.now() - 60_000, { state: 'retrying', finishedAt: null })]);
    const page = await open();
    await advance(page, 3000);
    expect(polls(page)).toBe(1);
    await page.unmount();
    ui = undefined;
    jest.advanceTimersByTime(60 * 60_000);
    await page.idle();
    expect(polls(page)).toBe(1);
  });
});
