/**
 * The targets table's provider cell names the secrets a target needs, set or not, and no optional
 * one that was never set: a missing signing secret or deploy hook shows, an unused receiver query
 * or the other mode's API key does not.
 */
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { type ForgeDocNode, nodeText } from '../../local/ui/forgedoc';
import { makeTarget } from '../fixtures/targets';
import { ADMIN, openSession, pageContext, seedTargets, type SettingsSession } from './settings-harness';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');

let session: SettingsSession;
let page: PageHarness | undefined;

afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await session.platform.close();
});

const providerCell = (ui: PageHarness, targetId: string): string => {
  const row = ui.findAll('Row').find((r) => r.props.rowKey === targetId) as ForgeDocNode;
  return nodeText(row.children.find((c) => c.props.cellKey === 'provider') as ForgeDocNode);
};

it('lists each needed secret as set or not, and leaves out optional ones never set', async () => {
  session = openSession();
  await seedTargets(session, [
    makeTarget({ id: 'signed', name: 'Signed' }),
    makeTarget({ id: 'unsigned', name: 'Unsigned', secretHints: {} }),
    makeTarget({ id: 'render-hook', name: 'Render hook', provider: 'render', settings: { mode: 'hook' }, secretHints: {} }),
  ]);
  page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
  expect([providerCell(page, 'signed'), providerCell(page, 'unsigned'), providerCell(page, 'render-hook')]).toEqual([
    'Signed webhook Signing secret: Set (…cret)',
    'Signed webhook Signing secret: Not set',
    'Render Deploy hook URL: Not set',
  ]);
});
