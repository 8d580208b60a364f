/**
 * Every button that calls the resolver shows that it is busy until the answer comes, and a second press
 * meanwhile sends nothing: the real page and resolver on the local platform, with the answers held back.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, holdingInvoke, openSession, pageContext, type SettingsSession } from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { nodeText } from '../../local/ui/forgedoc';
import { startReceiver, type Receiver } from '../../local/receiver';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const SECRET = 'busy-signing-secret-2e9b6d1f';

let session: SettingsSession;
let receiver: Receiver;
let calls: ReturnType<typeof holdingInvoke>;
let page: PageHarness | undefined;

beforeEach(async () => {
  session = openSession();
  receiver = await startReceiver({ secret: SECRET, now: session.platform.now });
  calls = holdingInvoke(session.invokeAs(ADMIN));
});
afterEach(async () => {
  calls.release();
  await page?.unmount();
  page = undefined;
  await receiver.close();
  await session.platform.close();
});

async function open(): Promise<PageHarness> {
  // A held call keeps the page from settling: an action returns after 300 ms instead of waiting for it.
  page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: calls.invoke, settleTimeoutMs: 300 });
  // So the first load is not cut short too: on a busy machine it can take longer than that.
  const loaded = page;
  await loaded.waitFor(() => loaded.text().includes('Add target'), { timeoutMs: 15_000 });
  return page;
}

async function fillHookForm(ui: PageHarness): Promise<void> {
  await ui.press('Add target');
  await ui.fill('name', 'Staging hook');
  await ui.fill('settings.url', receiver.url);
  await ui.fill('secrets.signingSecret', SECRET);
}

async function withHookTarget(): Promise<PageHarness> {
  const ui = await open();
  await fillHookForm(ui);
  await ui.press('Save target');
  return ui;
}

const button = (ui: PageHarness, text: string) => {
  const found = ui.findAll('LoadingButton').filter((b) => nodeText(b) === text);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const invoked = (ui: PageHarness, key: string) => ui.invocations.filter((i) => i.functionKey === key).length;

/** Presses `text` with `key` held: the button loads, a second press is refused, and one call goes out once released. */
async function pressWhileHeld(ui: PageHarness, text: string, key: string): Promise<void> {
  const before = invoked(ui, key);
  calls.hold(key);
  await ui.press(text);
  expect(button(ui, text).props.isLoading).toBe(true);
  await expect(ui.press(text)).rejects.toThrow(/is disabled/);
  calls.release();
  await ui.idle();
  expect(invoked(ui, key)).toBe(before + 1);
}

describe('busy states', () => {
  it('Save target loads until the save answers, and two presses before it re-renders save once', async () => {
    const ui = await open();
    await fillHookForm(ui);
    calls.hold('saveTarget');
    // Both clicks reach the page before it re-renders the button as loading.
    const onClick = button(ui, 'Save target').props.onClick as () => void;
    onClick();
    onClick();
    await ui.idle();
    expect(button(ui, 'Save target').props.isLoading).toBe(true);
    await expect(ui.press('Save target')).rejects.toThrow(/is disabled/);
    calls.release();
    await ui.idle();
    expect(invoked(ui, 'saveTarget')).toBe(1);
    expect(ui.text()).toContain('Staging hook was saved');
  });

  it('Verify loads until the provider answered', async () => {
    const ui = await withHookTarget();
    await pressWhileHeld(ui, 'Verify', 'verifyTarget');
    expect(button(ui, 'Verify').props.isLoading).toBe(false);
    expect(ui.text()).toContain("Staging hook: only the URL's shape was checked");
  });

  it('Deploy main loads until the deploy is queued', async () => {
    const ui = await withHookTarget();
    await ui.press('Deploy now');
    await pressWhileHeld(ui, 'Deploy main', 'deployNow');
    expect(ui.text()).toContain('Deploy of main queued');
    expect(session.platform.pendingEvents()).toBe(1);
  });

  it('Delete loads until the target is deleted', async () => {
    const ui = await withHookTarget();
    await ui.press('Delete');
    await pressWhileHeld(ui, 'Delete Staging hook', 'deleteTarget');
    expect(ui.text()).toContain('Staging hook was deleted');
  });

  it('the Enabled toggle is disabled until the change is saved', async () => {
    const ui = await withHookTarget();
    calls.hold('setEnabled');
    const name = String(ui.findAll('Toggle')[0]?.props.name);
    await ui.toggle(name, false);
    expect(ui.findAll('Toggle', { name })[0]?.props.isDisabled).toBe(true);
    await expect(ui.toggle(name, true)).rejects.toThrow(/is disabled/);
    calls.release();
    await ui.idle();
    expect(invoked(ui, 'setEnabled')).toBe(1);
    expect(ui.findAll('Toggle', { name })[0]?.props).toMatchObject({ isDisabled: false, isChecked: false });
  });

  it('Refresh, Search, Show matching branches and Test connection load while their calls are out', async () => {
    const ui = await withHookTarget();
    await pressWhileHeld(ui, 'Refresh', 'getPage');
    await ui.press('Edit');
    await pressWhileHeld(ui, 'Show matching branches', 'searchBranches');
    await pressWhileHeld(ui, 'Test connection', 'testTarget');
    await ui.press('Cancel');
    await ui.press('Deploy now');
    calls.hold('searchBranches');
    await ui.press('Search');
    expect(button(ui, 'Search').props.isLoading).toBe(true);
    calls.release();
    await ui.idle();
    expect(button(ui, 'Search').props.isLoading).toBe(false);
  });
});
