/**
 * Every control of the settings page carries a Label an admin can read, tied to it by `labelFor`: in the
 * product a Toggle's `label` prop is only an accessible name, so without a Label beside it the admin
 * sees a bare switch (found in a real browser). Real page, real resolver, on the local platform.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, openSession, pageContext, type SettingsSession, unlabelledControls } from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { findAll, nodeText } from '../../local/ui/forgedoc';
import { startReceiver, type Receiver } from '../../local/receiver';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const SECRET = 'labels-signing-secret-8c1d4e7a';

let session: SettingsSession;
let receiver: Receiver;
let page: PageHarness | undefined;

beforeEach(async () => {
  session = openSession();
  receiver = await startReceiver({ secret: SECRET, now: session.platform.now });
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await receiver.close();
  await session.platform.close();
});

async function withHookTarget(): Promise<PageHarness> {
  const ui = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
  await ui.press('Add target');
  await ui.fill('name', 'Staging hook');
  await ui.fill('settings.url', receiver.url);
  await ui.fill('secrets.signingSecret', SECRET);
  await ui.press('Save target');
  return ui;
}

/** The visible Label of the Toggle named `name`, '' when it has none (the reconciler prefixes ids, so they are read from the tree). */
const toggleLabel = (ui: PageHarness, name: string): string => {
  const [toggle] = ui.findAll('Toggle', { name });
  return findAll(ui.tree(), 'Label')
    .filter((label) => toggle !== undefined && label.props.labelFor === toggle.props.id)
    .map(nodeText)
    .join(' ');
};

describe('visible labels', () => {
  it('the Enabled toggle of each target row has a visible Label, and keeps the target in its accessible name', async () => {
    page = await withHookTarget();
    const [toggle] = page.findAll('Toggle');
    expect(toggle?.props).toMatchObject({ label: 'Enabled: Staging hook' });
    expect(toggleLabel(page, String(toggle?.props.name))).toBe('Enabled');
    expect(unlabelledControls(page.tree())).toEqual([]);
  });

  it('the form labels its three option toggles and every field of every provider', async () => {
    page = await withHookTarget();
    await page.press('Add target');
    expect(['skipMarkers', 'coalesce', 'reportOnCommit'].map((id) => toggleLabel(page as PageHarness, id))).toEqual([
      'Honour [skip deploy] and [skip ci] in commit messages',
      'When pushes queue up, deploy only the newest commit',
      'Report progress on the commit in Bitbucket',
    ]);
    const providers = (page.findAll('Select', { name: 'provider' })[0]?.props.options as { value: string }[]).map((o) => o.value);
    expect(providers.length).toBeGreaterThan(5);
    const unlabelled: string[] = [];
    for (const provider of providers) {
      await page.select('provider', provider);
      unlabelled.push(...unlabelledControls(page.tree()).map((control) => `${provider}: ${control}`));
      // A provider with two modes shows each mode's own fields.
      const [mode] = page.findAll('Select', { name: 'settings.mode' });
      for (const { value } of (mode?.props.options ?? []) as { value: string }[]) {
        await page.select('settings.mode', value);
        unlabelled.push(...unlabelledControls(page.tree()).map((control) => `${provider} (${value}): ${control}`));
      }
    }
    expect(unlabelled).toEqual([]);
  });

  it('the edit form and the deploy dialog, with branches found, label every control', async () => {
    page = await withHookTarget();
    await page.press('Edit');
    expect(unlabelledControls(page.tree())).toEqual([]);
    await page.press('Cancel');
    await page.press('Deploy now');
    await page.fill('branchSearch', 'release');
    await page.press('Search');
    expect(page.findAll('Select', { name: 'branchPick' })).toHaveLength(1);
    expect(unlabelledControls(page.tree())).toEqual([]);
  });
});
