/**
 * The add/edit target form of the settings page, rendered by the real @forge/react reconciler with its
 * invokes reaching the real resolver on the local platform.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, openSession, pageContext, type SettingsSession, webhookTargetInput } from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import type { SaveTargetInput } from '../../src/core/settings-api';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const RENDER_KEY = 'rnd_page4f1c9a7e2b5d8c3a6f0e';

let session: SettingsSession;
let page: PageHarness | undefined;

beforeEach(() => {
  session = openSession();
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await session.platform.close();
});

async function open(): Promise<PageHarness> {
  page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
  return page;
}

/** The provider's own inputs the form shows, by name. */
const providerInputs = (ui: PageHarness): string[] =>
  ui
    .findAll('Textfield')
    .map((field) => String(field.props.name))
    .filter((name) => /^(settings|secrets)\./.test(name));

describe('a provider with a hook mode and an API mode', () => {
  it.each([
    ['render', ['secrets.hookUrl'], ['settings.serviceId', 'secrets.apiKey']],
    ['vercel', ['secrets.hookUrl'], ['settings.project', 'settings.teamId', 'secrets.token']],
    ['netlify', ['secrets.hookUrl'], ['settings.siteId', 'secrets.token']],
  ])('%s shows only the chosen mode’s fields, and switching mode shows the other set', async (provider, hook, api) => {
    const ui = await open();
    await ui.press('Add target');
    await ui.select('provider', provider);
    // Until a mode is chosen, neither set.
    expect(providerInputs(ui)).toEqual([]);
    await ui.select('settings.mode', 'hook');
    expect(providerInputs(ui)).toEqual(hook);
    await ui.select('settings.mode', 'api');
    expect(providerInputs(ui)).toEqual(api);
    await ui.select('settings.mode', 'hook');
    expect(providerInputs(ui)).toEqual(hook);
  });

  it('saves only what the chosen mode shows: a hook URL typed before switching to API mode is not sent', async () => {
    const ui = await open();
    await ui.press('Add target');
    await ui.fill('name', 'Render API');
    await ui.select('provider', 'render');
    await ui.select('settings.mode', 'hook');
    await ui.fill('secrets.hookUrl', 'https://api.render.com/deploy/srv-abc123?key=typed-by-mistake');
    await ui.select('settings.mode', 'api');
    await ui.fill('settings.serviceId', 'srv-abc123');
    await ui.fill('secrets.apiKey', RENDER_KEY);
    await ui.press('Save target');
    const sent = ui.invocations.find((i) => i.functionKey === 'saveTarget')?.payload as SaveTargetInput;
    expect(sent).toMatchObject({ settings: { mode: 'api', serviceId: 'srv-abc123' }, secrets: { apiKey: RENDER_KEY } });
    expect(Object.keys(sent.secrets)).toEqual(['apiKey']);
    expect(ui.text()).toContain('Render API was saved');

    // Opened again, the form shows the API mode's fields, the key only as set.
    await ui.press('Edit');
    expect(providerInputs(ui)).toEqual(['settings.serviceId', 'secrets.apiKey']);
    expect(ui.text()).toContain(`Set (…${RENDER_KEY.slice(-4)})`);
  });
});

/** The add form with a valid signed-webhook target typed in. */
async function webhookForm(): Promise<PageHarness> {
  const ui = await open();
  await ui.press('Add target');
  await ui.fill('name', 'Gated');
  await ui.select('provider', 'webhook');
  await ui.fill('settings.url', 'http://127.0.0.1:9/hooks/deploy');
  await ui.fill('secrets.signingSecret', 'relay-form-signing-secret-0001');
  return ui;
}

describe('waiting for builds', () => {
  it('asks which builds and how long only once the option is on, and saves them on the target', async () => {
    const ui = await webhookForm();
    expect(ui.findAll('Textfield').map((f) => f.props.name)).not.toContain('options.buildKeys');
    await ui.toggle('waitForBuilds', true);
    await ui.fill('options.buildKeys', 'unit, e2e-*');
    await ui.fill('options.buildWaitMinutes', '45');
    await ui.press('Save target');
    const sent = ui.invocations.find((i) => i.functionKey === 'saveTarget')?.payload as SaveTargetInput;
    expect(sent.options).toMatchObject({ waitForBuilds: true, buildKeys: ['unit', 'e2e-*'], buildWaitMinutes: 45 });
    const page = (await session.invokeAs(ADMIN)('getPage')) as { ok: true; data: { targets: { options: object }[] } };
    expect(page.data.targets[0]?.options).toMatchObject({ waitForBuilds: true, buildKeys: ['unit', 'e2e-*'], buildWaitMinutes: 45 });
  });

  it('refuses a wait that is no whole number of minutes, on its field, and saves nothing', async () => {
    const ui = await webhookForm();
    await ui.toggle('waitForBuilds', true);
    await ui.fill('options.buildWaitMinutes', 'an hour');
    await ui.press('Save target');
    expect(ui.text()).toContain('must be a whole number of minutes');
    const page = (await session.invokeAs(ADMIN)('getPage')) as { ok: true; data: { targets: unknown[] } };
    expect(page.data.targets).toEqual([]);
  });
});

describe('freeze windows', () => {
  const fieldNames = (ui: PageHarness): string[] => [...ui.findAll('Textfield'), ...ui.findAll('Select')].map((f) => String(f.props.name));

  it('asks for the zone and what a push does only once a window is typed, and saves the windows on the target', async () => {
    const ui = await webhookForm();
    expect(fieldNames(ui)).not.toContain('options.freeze.timeZone');
    expect(fieldNames(ui)).not.toContain('options.freeze.during');
    await ui.fill('options.freeze.weekly', 'Fri 16:00 - Mon 08:00\nWed 12:00 – Wed 13:00');
    await ui.fill('options.freeze.once', '2026-12-24 00:00 - 2026-12-27 08:00 Christmas');
    expect(fieldNames(ui)).toEqual(expect.arrayContaining(['options.freeze.timeZone', 'options.freeze.during']));
    await ui.fill('options.freeze.timeZone', 'Europe/Berlin');
    await ui.select('options.freeze.during', 'skip');
    await ui.press('Save target');
    expect(ui.text()).toContain('Gated was saved');
    const page = (await session.invokeAs(ADMIN)('getPage')) as { ok: true; data: { targets: { options: { freeze: unknown } }[] } };
    expect(page.data.targets[0]?.options.freeze).toEqual({
      timeZone: 'Europe/Berlin',
      weekly: [
        { from: 'Fri 16:00', to: 'Mon 08:00' },
        { from: 'Wed 12:00', to: 'Wed 13:00' },
      ],
      once: [{ from: '2026-12-24T00:00', to: '2026-12-27T08:00', reason: 'Christmas' }],
      during: 'skip',
    });

    // Opened again, the form shows the windows as they were typed, one a line.
    await ui.press('Edit');
    const weekly = ui.findAll('TextArea').find((f) => f.props.name === 'options.freeze.weekly');
    expect(weekly?.props.value).toBe('Fri 16:00 - Mon 08:00\nWed 12:00 - Wed 13:00');
  });

  it.each([
    ['options.freeze.weekly', 'Friday afternoon', 'line 1: write a window as Fri 16:00 - Mon 08:00'],
    ['options.freeze.once', '2026-12-27 08:00 - 2026-12-24 00:00 Backwards', 'line 1: write a window as 2026-12-24 00:00'],
    ['options.freeze.timeZone', 'Mars/Olympus', 'is not a time zone'],
  ])('refuses %s that does not read, on its field, and saves nothing', async (field, typed, error) => {
    const ui = await webhookForm();
    await ui.fill('options.freeze.weekly', 'Fri 16:00 - Mon 08:00');
    await ui.fill(field, typed);
    await ui.press('Save target');
    const input = [...ui.findAll('Textfield'), ...ui.findAll('TextArea')].find((f) => f.props.name === field);
    expect(input?.props.isInvalid).toBe(true);
    expect(ui.text()).toContain(error);
    const page = (await session.invokeAs(ADMIN)('getPage')) as { ok: true; data: { targets: unknown[] } };
    expect(page.data.targets).toEqual([]);
  });
});

describe('preview targets', () => {
  const targetsNow = async () =>
    ((await session.invokeAs(ADMIN)('getPage')) as { ok: true; data: { targets: { preview: unknown; updatedAt: string }[] } }).data.targets;

  it('a signed webhook can preview pull requests (forks only when asked), and an edit keeps it a preview target', async () => {
    const ui = await webhookForm();
    expect(ui.findAll('Toggle').map((t) => t.props.name)).not.toContain('allowForks');
    await ui.toggle('preview', true);
    expect(ui.text()).toContain('A pull request into a matching branch gets a preview');
    await ui.toggle('allowForks', true);
    await ui.press('Save target');
    expect((await targetsNow())[0]?.preview).toEqual({ allowForks: true });

    await ui.press('Edit');
    await ui.fill('name', 'Previews');
    await ui.press('Save target');
    expect((await targetsNow())[0]?.preview).toEqual({ allowForks: true });
    await ui.press('Edit');
    await ui.toggle('preview', false);
    await ui.press('Save target');
    expect((await targetsNow())[0]?.preview).toBeNull();
  });

  it('a save that asks a provider without previews for one is refused on the field, and saves nothing', async () => {
    const input = {
      ...webhookTargetInput('https://api.digitalocean.com', ''),
      provider: 'digitalocean',
      settings: { appId: '6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b' },
      secrets: { token: 'dop_v1_0123456789abcdef0123456789abcdef' },
      preview: { allowForks: false },
    };
    const result = (await session.invokeAs(ADMIN)('saveTarget', input)) as { ok: false; error: { fields: Record<string, string> } };
    expect(result.error.fields).toEqual({
      preview: expect.stringContaining('DigitalOcean App Platform cannot make pull-request previews'),
    });
    expect(await targetsNow()).toEqual([]);
  });

  it('a Vercel deploy hook, bound to one branch, is refused as a preview target on the field; its API mode is not', async () => {
    const input = {
      ...webhookTargetInput('https://api.vercel.com', ''),
      provider: 'vercel',
      settings: { mode: 'hook' },
      secrets: { hookUrl: 'https://api.vercel.com/v1/integrations/deploy/prj_AbC123/Zq8wX2vB7n' },
      preview: { allowForks: false },
    };
    const refused = (await session.invokeAs(ADMIN)('saveTarget', input)) as { ok: false; error: { fields: Record<string, string> } };
    expect(refused.error.fields).toEqual({
      preview: 'A Vercel deploy hook deploys one branch and cannot make previews: switch the target to an access token and a project',
    });
    expect(await targetsNow()).toEqual([]);
    const saved = (await session.invokeAs(ADMIN)('saveTarget', {
      ...input,
      settings: { mode: 'api', project: 'acme-web' },
      secrets: { token: 'vcp_0123456789abcdefGHIJKL' },
    })) as { ok: boolean };
    expect(saved.ok).toBe(true);
    expect((await targetsNow())[0]?.preview).toEqual({ allowForks: false });
  });

  it('a provider that cannot make previews does not offer it, and says why', async () => {
    const ui = await open();
    await ui.press('Add target');
    await ui.select('provider', 'digitalocean');
    const toggle = ui.findAll('Toggle').find((t) => t.props.name === 'preview');
    expect(toggle?.props.isDisabled).toBe(true);
    expect(ui.text()).toContain(
      'DigitalOcean App Platform cannot make pull-request previews in Deploy Relay yet; these can: Signed webhook, Vercel, Netlify, Heroku, Coolify, Upsun (Platform.sh)',
    );
  });
});
