/**
 * The targets table shows, per target, what it serves now (its last deploy that succeeded, or that a
 * hook's receiver accepted) beside its latest attempt. Real page and resolver on the local platform.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  ADMIN,
  makeDeployment,
  openSession,
  PAGE_TIMERS,
  pageContext,
  recordTargetOf,
  seedDeployments,
  seedTargets,
  type SettingsSession,
} from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { findAll, type ForgeDocNode, nodeText } from '../../local/ui/forgedoc';
import { makeTarget } from '../fixtures/targets';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const WEB = makeTarget({ id: 'web', name: 'Web' });
const API = makeTarget({ id: 'api', name: 'API', environment: 'production' });
const DOCS = makeTarget({ id: 'docs', name: 'Docs' });
const hash = (n: number) => `${n}`.repeat(7).slice(0, 7).padEnd(40, 'a');

let session: SettingsSession;
let page: PageHarness | undefined;

beforeEach(async () => {
  session = openSession();
  await seedTargets(session, [WEB, API, DOCS]);
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await session.platform.close();
});

const open = async () => {
  page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
  return page;
};

/** The live and latest cells of a target's row, as text and as their lozenges. */
function cells(ui: PageHarness, targetId: string) {
  const row = ui.findAll('Row').find((r) => r.props.rowKey === targetId) as ForgeDocNode;
  const cell = (key: string) => row.children.find((c) => c.props.cellKey === key) as ForgeDocNode;
  const read = (key: string) => ({ text: nodeText(cell(key)), lozenges: findAll(cell(key), 'Lozenge').map(nodeText) });
  return { live: read('live'), latest: read('latest') };
}

describe('live now beside the latest attempt', () => {
  it('shows the last success as Live beside a newer failure, a hook’s request as Requested, and a target never deployed', async () => {
    const now = Date.now();
    await seedDeployments(session, [
      makeDeployment(now - 3 * 60_000, {
        target: recordTargetOf(WEB),
        state: 'succeeded',
        commit: { hash: hash(1), message: 'one', author: null },
      }),
      makeDeployment(now - 2 * 60_000, {
        target: recordTargetOf(WEB),
        state: 'failed',
        commit: { hash: hash(2), message: 'two', author: null },
      }),
      makeDeployment(now - 60_000, {
        target: recordTargetOf(API),
        state: 'requested',
        commit: { hash: hash(3), message: 'three', author: null },
      }),
    ]);
    const ui = await open();
    expect(cells(ui, 'web')).toEqual({
      live: { text: 'Live main 1111111 3m ago', lozenges: ['Live'] },
      latest: { text: 'Failed main 2222222 2m ago', lozenges: ['Failed'] },
    });
    expect(cells(ui, 'api')).toEqual({
      live: { text: 'Requested main 3333333 1m ago', lozenges: ['Requested'] },
      latest: { text: 'Same as live', lozenges: [] },
    });
    expect(cells(ui, 'docs')).toEqual({
      live: { text: 'Nothing yet', lozenges: [] },
      latest: { text: 'Not deployed', lozenges: ['Not deployed'] },
    });
  });

  it('finds the live deploy behind a full first page of newer failures, and says when none was found', async () => {
    const now = Date.now();
    await seedDeployments(session, [
      makeDeployment(now - 60 * 60_000, {
        target: recordTargetOf(WEB),
        state: 'succeeded',
        commit: { hash: hash(4), message: 'good', author: null },
      }),
      ...Array.from({ length: 25 }, (_, i) => makeDeployment(now - (i + 1) * 60_000, { target: recordTargetOf(WEB), state: 'failed' })),
      makeDeployment(now - 30 * 60_000, { target: recordTargetOf(API), state: 'canceled' }),
    ]);
    const ui = await open();
    expect(cells(ui, 'web').live.text).toBe('Live main 4444444 1h ago');
    expect(cells(ui, 'web').latest.lozenges).toEqual(['Failed']);
    expect(cells(ui, 'api')).toMatchObject({ live: { text: 'No successful deploy found' }, latest: { lozenges: ['Canceled'] } });
  });

  it('moves Live to a deploy that succeeds while the page watches', async () => {
    jest.useFakeTimers(PAGE_TIMERS);
    try {
      const now = Date.now();
      const old = makeDeployment(now - 10 * 60_000, {
        target: recordTargetOf(WEB),
        commit: { hash: hash(5), message: 'old', author: null },
      });
      const running = makeDeployment(now - 60_000, {
        target: recordTargetOf(WEB),
        state: 'in_progress',
        finishedAt: null,
        commit: { hash: hash(6), message: 'new', author: null },
      });
      await seedDeployments(session, [old, running]);
      const ui = await open();
      expect(cells(ui, 'web')).toMatchObject({ live: { text: 'Live main 5555555 10m ago' }, latest: { lozenges: ['Deploying'] } });

      await seedDeployments(session, [{ ...running, state: 'succeeded', finishedAt: now }]);
      jest.advanceTimersByTime(3000);
      await ui.idle();
      expect(cells(ui, 'web')).toEqual({
        live: { text: 'Live main 6666666 1m ago', lozenges: ['Live'] },
        latest: { text: 'Same as live', lozenges: [] },
      });
    } finally {
      jest.useRealTimers();
    }
  });
});
