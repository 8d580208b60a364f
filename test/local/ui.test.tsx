/**
 * The page harness against the REAL @forge/react reconciler and @forge/bridge (no jest.mock
 * of any @forge module): the fixture page is loaded afresh for every test, and what it
 * commits and invokes is asserted with real values.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ForgeDocNode, type PageHarness, type PageHarnessOptions, renderPage } from '../../local/ui/harness';

const PAGE = join(__dirname, 'fixture-page', 'index.tsx');
const REPO = '{5b0c1a52-0000-4000-8000-00000000abcd}';

interface Target {
  name: string;
  provider: string;
  notify: boolean;
}

/** A resolver stand-in with real state, so the page shows what its own invokes changed. */
function fakeResolver(targets: Target[] = [{ name: 'production', provider: 'heroku', notify: false }]) {
  let revision = 6;
  return async (functionKey: string, payload: unknown): Promise<unknown> => {
    const body = payload as Record<string, unknown>;
    switch (functionKey) {
      case 'load':
        return { targets, autoDeploy: true };
      case 'addTarget':
        targets = [...targets, { name: String(body.name), provider: String(body.provider), notify: body.notify === true }];
        return targets;
      case 'save':
        revision += 1;
        return { revision };
      case 'removeAll':
        targets = [];
        return targets;
      default:
        throw new Error(`no resolver function ${functionKey}`);
    }
  };
}

function options(overrides: Partial<PageHarnessOptions> = {}): PageHarnessOptions {
  return {
    context: { accountId: 'acc-1', moduleKey: 'settings-page', extension: { repository: { uuid: REPO }, workspace: { slug: 'acme' } } },
    invoke: fakeResolver(),
    ...overrides,
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function texts(node: ForgeDocNode): string[] {
  return node.type === 'String' ? [String(node.props.text)] : node.children.flatMap(texts);
}

let page: PageHarness | undefined;

async function open(overrides?: Partial<PageHarnessOptions>): Promise<PageHarness> {
  page = await renderPage(PAGE, options(overrides));
  return page;
}

afterEach(async () => {
  await page?.unmount();
  page = undefined;
});

describe('first render', () => {
  it('shows a Spinner while load is in flight, then the table, after exactly one invoke', async () => {
    const load = deferred<unknown>();
    const seen: string[] = [];
    const ui = await open({
      settleTimeoutMs: 50,
      invoke: (functionKey) => {
        seen.push(functionKey);
        return load.promise;
      },
    });

    expect(ui.tree().type).toBe('Root');
    expect(ui.tree().children).toHaveLength(1);
    expect(ui.findAll('Spinner')).toEqual([
      expect.objectContaining({ type: 'Spinner', props: { label: 'Loading settings' }, children: [] }),
    ]);
    expect(ui.invocations).toEqual([{ functionKey: 'load', payload: { repositoryUuid: REPO } }]);

    load.resolve({ targets: [{ name: 'staging', provider: 'fly', notify: false }], autoDeploy: false });
    await ui.waitFor(() => ui.findAll('DynamicTable').length === 1);

    expect(ui.findAll('Spinner')).toEqual([]);
    expect(seen).toEqual(['load']);
    expect(ui.invocations).toHaveLength(1);
  });

  it('commits DynamicTable head and rows as ContentWrapper > Row > Cell nodes with String text', async () => {
    const ui = await open();
    const [table] = ui.findAll('DynamicTable');
    expect(table?.children.map((wrapper) => [wrapper.type, wrapper.props.name])).toEqual([
      ['ContentWrapper', 'head'],
      ['ContentWrapper', 'rows'],
    ]);
    expect(ui.findAll('Row')).toHaveLength(1);
    expect(ui.findAll('Row')[0]?.props.rowKey).toBe('production');
    expect(ui.findAll('Cell').map((cell) => [cell.props.cellKey, texts(cell).join('')])).toEqual([
      ['name', 'Name'],
      ['provider', 'Provider'],
      ['name', 'production'],
      ['provider', 'heroku'],
    ]);
    const [cellText] = ui.findAll('String', { text: 'production' });
    expect(cellText).toEqual({ type: 'String', props: { text: 'production' }, children: [], key: expect.any(String) });
  });

  it('hands live handler functions in props and the prefixed ids the reconciler writes', async () => {
    const ui = await open();
    const [save] = ui.findAll('Button').filter((button) => texts(button).join('') === 'Save settings');
    expect(typeof save?.props.onClick).toBe('function');
    const [toggle] = ui.findAll('Toggle');
    expect(toggle?.props).toMatchObject({
      label: 'Deploy on every push',
      isChecked: true,
      id: expect.stringMatching(/^forge-app-.{5}-auto-deploy$/),
    });
    const [form] = ui.findAll('Form');
    expect(typeof form?.props.onSubmit).toBe('function');
  });

  it('renders what getContext returned, without sharing the object with the test', async () => {
    const context = { extension: { repository: { uuid: '{other-repo}' } } };
    const ui = await open({ context });
    expect(ui.invocations).toEqual([{ functionKey: 'load', payload: { repositoryUuid: '{other-repo}' } }]);
    expect(context).toEqual({ extension: { repository: { uuid: '{other-repo}' } } });
  });
});

describe('reading the page', () => {
  it('text() lists the visible text in order, text props included', async () => {
    const ui = await open();
    expect(ui.text().split('\n')).toEqual([
      'Deploy targets',
      'Name',
      'Provider',
      'production',
      'heroku',
      'Target name',
      'Provider',
      'Notify on failure',
      'Add target',
      'Deploy on every push',
      'Save settings',
      'Remove all targets',
    ]);
  });

  it('findByText returns the nearest element, by string or RegExp, and explains a miss', async () => {
    const ui = await open();
    expect(ui.findByText('Deploy targets')).toMatchObject({ type: 'Heading', props: { size: 'medium' } });
    expect(ui.findByText(/^Add/)).toMatchObject({ type: 'Button', props: { type: 'submit', appearance: 'primary' } });
    expect(ui.findByText('Deploy on every push').type).toBe('Toggle');
    expect(() => ui.findByText('Nope')).toThrow(/no element with text Nope\. Page text:\nDeploy targets\nName/);
  });

  it('findAll filters by props', async () => {
    const ui = await open();
    expect(ui.findAll('Button')).toHaveLength(3);
    expect(ui.findAll('Button', { appearance: 'danger' }).map((button) => texts(button).join(''))).toEqual(['Remove all targets']);
    expect(ui.findAll('Select', { name: 'provider' })[0]?.props.options).toEqual([
      { label: 'Heroku', value: 'heroku' },
      { label: 'Fly.io', value: 'fly' },
    ]);
  });

  it('waitFor times out with the page text', async () => {
    const ui = await open();
    await expect(ui.waitFor(() => ui.findByText('never') !== undefined, { timeoutMs: 30 })).rejects.toThrow(
      /timed out after 30 ms \(last error: findByText: no element with text never\. Page text:\)\. Page text:\nDeploy targets/,
    );
  });
});

describe('operating the page', () => {
  it('fill, select, toggle a Checkbox, submit: the useForm data reaches the resolver and the table', async () => {
    const ui = await open();
    await ui.fill('name', 'staging');
    await ui.select('Provider', 'Fly.io');
    await ui.toggle('notify', true);
    await ui.submit();

    expect(ui.invocations.at(-1)).toEqual({
      functionKey: 'addTarget',
      payload: { repositoryUuid: REPO, name: 'staging', provider: 'fly', notify: true },
    });
    expect(ui.findAll('Row').map((row) => texts(row).join(' | '))).toEqual(['production | heroku', 'staging | fly']);
  });

  it('fills by label and submits by pressing the submit button', async () => {
    const ui = await open();
    await ui.fill('Target name', 'eu-west');
    await ui.select('provider', 'heroku');
    await ui.press('Add target');
    expect(ui.invocations.map((call) => call.functionKey)).toEqual(['load', 'addTarget']);
    expect(ui.invocations[1]?.payload).toMatchObject({ name: 'eu-west', provider: 'heroku', notify: false });
  });

  it('an invalid form does not invoke and shows its ErrorMessage', async () => {
    const ui = await open();
    await ui.select('provider', 'fly');
    await ui.submit({});
    expect(ui.invocations).toHaveLength(1);
    expect(ui.findByText('A name is required').type).toBe('ErrorMessage');
  });

  it('toggle flips a controlled Toggle once, then leaves it; press invokes save and shows the SectionMessage', async () => {
    const ui = await open();
    await ui.toggle('Deploy on every push', false);
    expect(ui.findAll('Toggle')[0]?.props.isChecked).toBe(false);
    await ui.toggle('Deploy on every push', false);
    expect(ui.findAll('Toggle')[0]?.props.isChecked).toBe(false);

    await ui.press('Save settings');
    expect(ui.invocations.at(-1)).toEqual({ functionKey: 'save', payload: { repositoryUuid: REPO, autoDeploy: false } });
    const [message] = ui.findAll('SectionMessage');
    expect(message?.props).toMatchObject({ title: 'Settings saved', appearance: 'success' });
    expect(texts(message!)).toEqual(['Saved revision 7']);
    expect(ui.findByText('Settings saved').type).toBe('SectionMessage');
  });

  it('a Modal opened by a button runs its confirm button and closes', async () => {
    const ui = await open();
    expect(ui.findAll('Modal')).toEqual([]);
    await ui.press('Remove all targets');
    expect(ui.findAll('ModalTitle').map((title) => texts(title).join(''))).toEqual(['Remove every target?']);
    expect(typeof ui.findAll('Modal')[0]?.props.onClose).toBe('function');

    await ui.press('Confirm');
    expect(ui.invocations.at(-1)).toEqual({ functionKey: 'removeAll', payload: { repositoryUuid: REPO } });
    expect(ui.findAll('Modal')).toEqual([]);
    expect(ui.findAll('DynamicTable')).toEqual([]);
    expect(ui.findByText('No targets yet').type).toBe('Text');
  });

  it('refuses what a person could not do, saying what is there', async () => {
    const ui = await open();
    await expect(ui.press('Deploy now')).rejects.toThrow(/press Deploy now: nothing matches\. Page text:\nDeploy targets/);
    await expect(ui.fill('url', 'x')).rejects.toThrow(
      /no Textfield\/TextArea named or labelled "url"; on the page: Textfield name="name" label="Target name"/,
    );
    await expect(ui.select('provider', 'aws')).rejects.toThrow(/has no option "aws"; options: heroku \(Heroku\), fly \(Fly\.io\)/);
    await expect(ui.submit({ id: 'missing' })).rejects.toThrow(/submit: Form: nothing matches/);
  });

  it('passes invoke payloads and results as JSON, as the bridge does', async () => {
    const ui = await open({
      invoke: async (functionKey) =>
        functionKey === 'load' ? { targets: [{ name: 'dated', provider: new Date(0), notify: false }], autoDeploy: false } : undefined,
    });
    expect(ui.findAll('Cell').map((cell) => texts(cell).join(''))).toContain('1970-01-01T00:00:00.000Z');
  });
});

describe('page errors', () => {
  it('a rejected submit handler fails the action that triggered it', async () => {
    const resolver = fakeResolver();
    const ui = await open({
      invoke: async (functionKey, payload) => {
        if (functionKey === 'addTarget') throw new Error('name already taken');
        return resolver(functionKey, payload);
      },
    });
    await ui.fill('name', 'production');
    await ui.select('provider', 'heroku');
    await expect(ui.submit()).rejects.toThrow('page error: name already taken');
    expect(ui.findAll('Row')).toHaveLength(1);
  });

  it('a render error rejects renderPage with the error instead of leaving an empty page', async () => {
    // React logs the caught render error itself; the assertion below is what matters.
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await expect(renderPage(PAGE, options({ invoke: async () => ({ targets: null, autoDeploy: false }) }))).rejects.toThrow(
        /^page error: Cannot read properties of null \(reading 'length'\)$/,
      );
    } finally {
      logged.mockRestore();
    }
    expect('__bridge' in globalThis).toBe(false);
  });
});

describe('lifecycle', () => {
  it('unmount empties the tree and puts the globals back', async () => {
    const before = { self: 'self' in globalThis, bridge: '__bridge' in globalThis };
    const ui = await renderPage(PAGE, options());
    expect((globalThis as { __bridge?: unknown }).__bridge).toBeDefined();
    await ui.unmount();
    expect(ui.tree()).toMatchObject({ type: 'Root', children: [] });
    expect({ self: 'self' in globalThis, bridge: '__bridge' in globalThis }).toEqual(before);
  });

  it('keeps two live pages apart: each gets its own context, invokes and tree', async () => {
    const first = await renderPage(PAGE, options({ context: { extension: { repository: { uuid: '{a}' } } } }));
    const second = await renderPage(PAGE, options({ context: { extension: { repository: { uuid: '{b}' } } } }));
    try {
      await first.press('Remove all targets');
      await second.press('Save settings');
      expect(first.findAll('Modal')).toHaveLength(1);
      expect(second.findAll('Modal')).toHaveLength(0);
      expect(second.findByText('Saved revision 7').type).toBe('Text');
      expect(first.invocations).toEqual([{ functionKey: 'load', payload: { repositoryUuid: '{a}' } }]);
      expect(second.invocations.map((call) => call.payload)).toEqual([
        { repositoryUuid: '{b}' },
        { repositoryUuid: '{b}', autoDeploy: true },
      ]);
    } finally {
      await first.unmount();
      await second.unmount();
    }
  });

  it('renders the page in plain Node under tsx, twice in one process', async () => {
    const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
    const { stdout } = await promisify(execFile)(tsx, [join(__dirname, 'fixture-page', 'render-twice.ts')], {
      cwd: join(__dirname, '..', '..'),
    });
    const result = JSON.parse(stdout) as Record<'first' | 'second', { text: string; invocations: unknown[] }> & { bridgeLeft: boolean };
    expect(result.first.text).toContain('Saved revision 1');
    expect(result.second.text).toContain('Saved revision 2');
    expect(result.second.invocations).toEqual([
      { functionKey: 'load', payload: { repositoryUuid: '{repo-tsx}' } },
      { functionKey: 'save', payload: { repositoryUuid: '{repo-tsx}', autoDeploy: true } },
    ]);
    expect(result.bridgeLeft).toBe(false);
  });
});
