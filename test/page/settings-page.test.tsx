/**
 * The settings page as an admin uses it: rendered by the real @forge/react reconciler with the real
 * @forge/bridge (local/ui/harness.ts), its invokes reaching the REAL resolver on the local platform.
 * No jest.mock of any @forge module.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, leakedSecrets, openSession, pageContext, READER, type SettingsSession } from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { startReceiver, type Receiver } from '../../local/receiver';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const SECRET = 'page-signing-secret-3b7e91c4';
const allResponses: unknown[] = [];

let session: SettingsSession;
let receiver: Receiver;
let ui: PageHarness | undefined;

beforeEach(async () => {
  session = openSession();
  receiver = await startReceiver({ secret: SECRET });
});

afterEach(async () => {
  await ui?.unmount();
  ui = undefined;
  allResponses.push(...session.responses);
  await receiver.close();
  await session.platform.close();
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
});

describe('a reader', () => {
  it('is refused with a clear message and nothing is loaded', async () => {
    const page = await open(READER);
    expect(page.text()).toContain('Only administrators of this repository can manage its deploy targets.');
    expect(page.invocations).toHaveLength(1);
  });
});
