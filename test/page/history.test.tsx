/**
 * The History tab as an admin reads it: who triggered each deploy, links to the commit in Bitbucket and
 * to the vendor's page, and filters the resolver applies before paging. Real page and resolver on the
 * local platform, with records stored where the worker keeps them.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  ADMIN,
  makeDeployment,
  openSession,
  PAGE_TIMERS,
  pageContext,
  recordTargetOf,
  REPO,
  seedDeployments,
  seedTargets,
  type SettingsSession,
} from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { findAll, type ForgeDocNode, nodeText } from '../../local/ui/forgedoc';
import type { Deployment } from '../../src/core/deployment';
import { putSecrets } from '../../src/forge/store';
import { secretsSavedFor } from '../../src/providers/registry';
import { makeTarget } from '../fixtures/targets';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const TARGETS = [makeTarget({ id: 'web', name: 'Web' }), makeTarget({ id: 'api', name: 'API', environment: 'production' })];
const targetOf = (id: string): Deployment['target'] => recordTargetOf(TARGETS.find((t) => t.id === id) ?? TARGETS[0]!);

let session: SettingsSession;
let page: PageHarness | undefined;

beforeEach(async () => {
  session = openSession();
  await seedTargets(session, TARGETS);
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await session.platform.close();
});

async function openHistory(): Promise<PageHarness> {
  page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
  await page.selectTab('History');
  return page;
}

const historyRows = (ui: PageHarness) => ui.findAll('Row').filter((row) => /^\d{13}-/.test(String(row.props.rowKey)));
const cell = (row: ForgeDocNode, key: string) => row.children.find((c) => c.props.cellKey === key) as ForgeDocNode;

describe('a history row', () => {
  it('says who triggered it, links the commit in Bitbucket, and links the vendor’s page where there is one', async () => {
    const now = Date.now();
    const pushed = makeDeployment(now - 2000, {
      target: targetOf('web'),
      actor: ADMIN,
      commit: { hash: 'a1b2c3d'.padEnd(40, '9'), message: 'Ship the thing', author: null },
      url: 'https://dashboard.render.com/web/srv-abc/deploys/dep-1',
    });
    const manual = makeDeployment(now - 1000, {
      target: targetOf('api'),
      trigger: 'manual',
      actor: null,
      url: null,
      message: 'Accepted (202)',
    });
    await seedDeployments(session, [pushed, manual]);
    const ui = await openHistory();
    const [first, second] = historyRows(ui);

    expect(nodeText(cell(first!, 'trigger'))).toBe('Manual');
    expect(findAll(cell(first!, 'link'), 'Link')).toEqual([]);
    expect(nodeText(cell(first!, 'link'))).toBe('Accepted (202)');

    expect(nodeText(cell(second!, 'trigger'))).toBe('Push by');
    expect(findAll(cell(second!, 'trigger'), 'User').map((u) => u.props.accountId)).toEqual([ADMIN]);
    const [commit] = findAll(cell(second!, 'commit'), 'Link');
    expect(commit?.props).toMatchObject({ href: `https://bitbucket.org/acme/web/commits/${pushed.commit.hash}`, openNewTab: true });
    expect(nodeText(commit!)).toBe('a1b2c3d Ship the thing');
    const [vendor] = findAll(cell(second!, 'link'), 'Link');
    expect(vendor?.props.href).toBe(pushed.url);
    expect(nodeText(vendor!)).toBe('Open deployment');
  });
});

describe('history filters', () => {
  /** 60 records a minute apart, newest first: Web and API in turn, every third failed, every fourth on release/1.2. */
  const seed = () => {
    const now = Date.now();
    const records = Array.from({ length: 60 }, (_, i) =>
      makeDeployment(now - (i + 1) * 60_000, {
        target: targetOf(i % 2 === 0 ? 'web' : 'api'),
        state: i % 3 === 0 ? 'failed' : 'succeeded',
        ref: { name: i % 4 === 0 ? 'release/1.2' : 'main', type: 'branch' },
      }),
    );
    return seedDeployments(session, records).then(() => records);
  };
  const shownIds = (ui: PageHarness) => historyRows(ui).map((row) => String(row.props.rowKey));

  it('by target, status and branch: the resolver filters before paging, and Older deployments goes on with the filter', async () => {
    const records = await seed();
    const ui = await openHistory();
    await ui.select('filterTarget', 'api');
    await ui.select('filterStatus', 'Failed');
    expect(ui.invocations.at(-1)?.functionKey).toBe('getStats');
    await ui.press('Apply filters');
    expect(ui.invocations.at(-1)).toEqual({ functionKey: 'getHistory', payload: { filter: { targetId: 'api', states: ['failed'] } } });
    const wanted = records.filter((d) => d.target.id === 'api' && d.state === 'failed').map((d) => d.id);
    expect(shownIds(ui)).toEqual(wanted);

    await ui.fill('filterRef', 'release/1.2');
    await ui.select('filterStatus', 'Any status');
    await ui.press('Apply filters');
    const onRelease = records.filter((d) => d.target.id === 'api' && d.ref.name === 'release/1.2').map((d) => d.id);
    // API is every odd record and release/1.2 every fourth (even) one: nothing matches both.
    expect(onRelease).toEqual([]);
    expect(ui.text()).toContain('No deployment matches these filters.');

    await ui.select('filterTarget', 'Any target');
    await ui.press('Apply filters');
    expect(shownIds(ui)).toEqual(records.filter((d) => d.ref.name === 'release/1.2').map((d) => d.id));

    await ui.press('Clear filters');
    expect(ui.invocations.at(-1)).toEqual({ functionKey: 'getHistory', payload: {} });
    expect(shownIds(ui)).toEqual(records.slice(0, 20).map((d) => d.id));
  });

  it('pages a filter through every match once', async () => {
    const records = await seed();
    const ui = await openHistory();
    await ui.select('filterStatus', 'Succeeded');
    await ui.press('Apply filters');
    expect(shownIds(ui).length).toBeGreaterThanOrEqual(20);
    for (let i = 0; i < 5 && ui.text().includes('Older deployments'); i++) await ui.press('Older deployments');
    expect(
      ui.invocations
        .filter((i) => i.functionKey === 'getHistory')
        .every((i) => JSON.stringify(i.payload).includes('"states":["succeeded"]')),
    ).toBe(true);
    expect(shownIds(ui)).toEqual(records.filter((d) => d.state === 'succeeded').map((d) => d.id));
  });

  it('while something runs, the page refreshes the filtered list and, unfiltered, the targets', async () => {
    jest.useFakeTimers(PAGE_TIMERS);
    try {
      const records = await seed();
      const running = makeDeployment(Date.now(), { target: targetOf('web'), state: 'in_progress', finishedAt: null });
      await seedDeployments(session, [running]);
      const ui = await openHistory();
      await ui.select('filterTarget', 'api');
      await ui.press('Apply filters');
      const before = ui.invocations.length;
      jest.advanceTimersByTime(3000);
      await ui.idle();
      expect(ui.invocations.slice(before)).toEqual([
        { functionKey: 'getHistory', payload: {} },
        { functionKey: 'getHistory', payload: { filter: { targetId: 'api' } } },
      ]);
      expect(shownIds(ui)).toEqual(
        records
          .filter((d) => d.target.id === 'api')
          .map((d) => d.id)
          .slice(0, shownIds(ui).length),
      );
      expect(shownIds(ui)).not.toContain(running.id);
      // The Web target's row still shows its running deploy, from the unfiltered page.
      expect(JSON.stringify(ui.findAll('Row').find((row) => row.props.rowKey === 'web'))).toContain('Deploying');
    } finally {
      jest.useRealTimers();
    }
  });

  it('a refused filter says why and leaves the list as it was', async () => {
    await seed();
    const ui = await openHistory();
    const before = shownIds(ui);
    await ui.fill('filterRef', 'x'.repeat(1001));
    await ui.press('Apply filters');
    expect(ui.text()).toMatch(/The request was not understood: filter\.ref/);
    expect(shownIds(ui)).toEqual(before);
    expect(ui.findAll('Button').filter((b) => nodeText(b) === 'Clear filters')).toEqual([]);
  });
});

describe('Redeploy this commit', () => {
  it('is offered on finished rows, disabled with the vendor’s reason where it cannot run, and asks before it queues the exact commit', async () => {
    const renderHook = makeTarget({ id: 'render', name: 'Render', provider: 'render', settings: { mode: 'hook' }, secretHints: {} });
    await seedTargets(session, [...TARGETS, renderHook]);
    const now = Date.now();
    const done = makeDeployment(now - 3000, {
      target: targetOf('web'),
      commit: { hash: 'a1b2c3d'.padEnd(40, '1'), message: 'Ship it', author: null },
    });
    const hooked = makeDeployment(now - 2000, {
      target: recordTargetOf(renderHook),
      state: 'requested',
      commit: { hash: 'b2c3d4e'.padEnd(40, '2'), message: 'Hooked', author: null },
    });
    const running = makeDeployment(now - 1000, { target: targetOf('api'), state: 'in_progress', finishedAt: null });
    await seedDeployments(session, [done, hooked, running]);
    const ui = await openHistory();
    const [runningRow, hookedRow, doneRow] = historyRows(ui);
    // A running row offers Cancel instead (core/cancel.ts), never Redeploy.
    expect(findAll(cell(runningRow!, 'redeploy'), 'Button').map(nodeText)).toEqual([`Cancel ${running.commit.hash.slice(0, 7)}`]);
    const [disabled] = findAll(cell(hookedRow!, 'redeploy'), 'Button');
    expect([nodeText(disabled!), disabled?.props.isDisabled]).toEqual(['Redeploy b2c3d4e', true]);
    expect(findAll(cell(hookedRow!, 'redeploy'), 'Tooltip')[0]?.props.content).toBe(
      'A Render deploy hook deploys the branch’s newest commit; switch the target to an API key to redeploy a given commit',
    );
    expect(findAll(cell(doneRow!, 'redeploy'), 'Button')[0]?.props.isDisabled).toBeFalsy();

    await ui.press('Redeploy a1b2c3d');
    expect(ui.text()).toContain('a1b2c3d Ship it of main, to Web (staging).');
    expect(ui.text()).toContain('Deploys this exact commit again. It goes through the same queue as a push');
    expect(ui.invocations.some((i) => i.functionKey === 'redeploy')).toBe(false);
    await ui.press('Redeploy');
    expect(ui.invocations.filter((i) => i.functionKey === 'redeploy')).toEqual([
      { functionKey: 'redeploy', payload: { deploymentId: done.id } },
    ]);
    expect(ui.text()).toContain('Deploy of main queued');
    expect(session.platform.pendingEvents()).toBe(1);
  });
});

describe('the audit log tab', () => {
  it('lists who changed what, newest first, once opened', async () => {
    const asAdmin = session.invokeAs(ADMIN);
    await asAdmin('setEnabled', { id: 'web', enabled: false });
    session.platform.advanceClock(1000);
    await asAdmin('setEnabled', { id: 'web', enabled: true });
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    expect(page.invocations.some((i) => i.functionKey === 'getAudit')).toBe(false);
    await page.selectTab('Audit log');
    const rows = page.findAll('Row').filter((row) => /^\d{13}-/.test(String(row.props.rowKey)));
    expect(rows.map((row) => [nodeText(cell(row, 'action')), nodeText(cell(row, 'detail'))])).toEqual([
      ['Target enabled', 'Enabled Web'],
      ['Target disabled', 'Disabled Web'],
    ]);
    expect(findAll(cell(rows[0]!, 'who'), 'User').map((u) => u.props.accountId)).toEqual([ADMIN]);
  });
});

describe('a deploy waiting for approval', () => {
  it('is shown above the tabs with who pushed it; Approve records the decision, says so in the audit log and reloads', async () => {
    const approving = makeTarget({
      id: 'prod',
      name: 'Prod',
      environment: 'production',
      options: { ...makeTarget().options, requireApproval: true },
    });
    await seedTargets(session, [...TARGETS, approving]);
    const now = Date.now();
    const waiting = makeDeployment(now - 1000, {
      target: recordTargetOf(approving),
      state: 'waiting',
      message: 'Waiting for approval',
      finishedAt: null,
      actor: ADMIN,
      commit: { hash: 'd4e5f6a'.padEnd(40, '4'), message: 'Go live', author: null },
      approval: { since: now - 1000, decision: null },
    });
    await seedDeployments(session, [waiting, makeDeployment(now - 5000, { target: targetOf('web') })]);
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    const section = page.findAll('SectionMessage').find((s) => s.props.title === 'Waiting for approval');
    expect(nodeText(section!)).toContain('d4e5f6a Go live of main, to Prod (production), pushed by');
    expect(findAll(section!, 'User').map((u) => u.props.accountId)).toEqual([ADMIN]);
    const reads = page.invocations.filter((i) => i.functionKey === 'getPage').length;

    await page.press('Approve d4e5f6a');
    expect(page.invocations.filter((i) => i.functionKey === 'decideDeploy')).toEqual([
      { functionKey: 'decideDeploy', payload: { deploymentId: waiting.id, decision: 'approve' } },
    ]);
    expect(page.invocations.filter((i) => i.functionKey === 'getPage').length).toBe(reads + 1);
    const log = (await session.invokeAs(ADMIN)('getAudit', {})) as { ok: true; data: { entries: { action: string; detail: string }[] } };
    expect(log.data.entries.map((e) => [e.action, e.detail])).toEqual([['deploy.approved', 'Approved the deploy of main at d4e5f6a']]);

    // A second press (the job has not run yet) is told the decision stands, and writes nothing more.
    await page.press('Reject d4e5f6a');
    expect(page.text()).toContain('This deploy was already approved; that decision stands.');
    const after = (await session.invokeAs(ADMIN)('getAudit', {})) as typeof log;
    expect(after.data.entries).toHaveLength(1);
  });
});

describe('overriding the gates', () => {
  it('Deploy now on a frozen target says until when, is refused without the override, and queues with it', async () => {
    const frozen = makeTarget({
      id: 'prod',
      name: 'Prod',
      environment: 'production',
      options: {
        ...makeTarget().options,
        freeze: {
          timeZone: 'Europe/Berlin',
          weekly: [],
          once: [{ from: '2020-01-01T00:00', to: '2099-01-01T00:00', reason: 'Migration' }],
          during: 'wait',
        },
      },
    });
    await seedTargets(session, [frozen]);
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    expect(page.text()).toContain(
      'Frozen until Thu 1 Jan, 00:00 Europe/Berlin: Migration (2020-01-01 00:00 – 2099-01-01 00:00, Europe/Berlin)',
    );

    await page.press('Deploy now');
    const warning = page.findAll('SectionMessage').find((s) => s.props.title === 'Prod is frozen until Thu 1 Jan, 00:00 Europe/Berlin');
    expect(nodeText(warning!)).toContain('A deploy now needs the gates overridden.');
    await page.press('Deploy main');
    expect(page.text()).toContain('Prod is frozen until Thu 1 Jan, 00:00 Europe/Berlin');
    expect(page.text()).toContain('Nothing was deployed; to deploy anyway, choose Override the gates');
    expect(session.platform.pendingEvents()).toBe(0);

    await page.toggle('overrideGates', true);
    await page.press('Deploy main');
    expect(page.invocations.filter((i) => i.functionKey === 'deployNow').map((i) => i.payload)).toEqual([
      { targetId: 'prod', branch: 'main' },
      { targetId: 'prod', branch: 'main', overrideGates: true },
    ]);
    expect(page.text()).toContain('Deploy of main queued');
    expect(session.platform.pendingEvents()).toBe(1);
  });

  it('Redeploy to a target that waits for approval offers the override, and sends it only when chosen', async () => {
    const approving = makeTarget({
      id: 'prod',
      name: 'Prod',
      options: { ...makeTarget().options, requireApproval: true, waitForBuilds: true },
    });
    await seedTargets(session, [approving]);
    const done = makeDeployment(Date.now() - 1000, {
      target: recordTargetOf(approving),
      commit: { hash: 'c3d4e5f'.padEnd(40, '3'), message: 'Known good', author: null },
    });
    await seedDeployments(session, [done]);
    const ui = await openHistory();
    await ui.press('Redeploy c3d4e5f');
    expect(ui.findAll('Toggle').map((t) => t.props.label)).toContain(
      'Override the gates: deploy without waiting for its builds, an approval (recorded in the audit log)',
    );
    await ui.toggle('overrideGates', true);
    await ui.press('Redeploy');
    expect(ui.invocations.filter((i) => i.functionKey === 'redeploy').map((i) => i.payload)).toEqual([
      { deploymentId: done.id, overrideGates: true },
    ]);
    expect(ui.text()).toContain('Deploy of main queued');
  });

  it('a target without gates offers no override', async () => {
    const done = makeDeployment(Date.now() - 1000, {
      target: targetOf('web'),
      commit: { hash: 'e5f6a7b'.padEnd(40, '5'), message: 'Plain', author: null },
    });
    await seedDeployments(session, [done]);
    const ui = await openHistory();
    await ui.press('Redeploy e5f6a7b');
    expect(ui.text()).toContain('Deploys this exact commit again.');
    expect(ui.findAll('Toggle').filter((t) => t.props.id === 'overrideGates')).toEqual([]);
  });
});

describe('Cancel a running deploy', () => {
  it('is offered on a running row where the vendor can cancel, disabled with why where it cannot, and shows the vendor’s answer in its dialog', async () => {
    const droplet = makeTarget({
      id: 'do',
      name: 'App',
      provider: 'digitalocean',
      settings: { appId: '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf' },
      secretHints: { token: { last4: 'abcd' } },
    });
    const dyno = makeTarget({
      id: 'heroku',
      name: 'Dyno',
      provider: 'heroku',
      settings: { app: 'acme-web', sourceUrlTemplate: 'https://archive.example.com/{repository}/{commit}.tar.gz' },
      secretHints: { apiKey: { last4: 'abcd' } },
    });
    await seedTargets(session, [droplet, dyno]);
    await session.platform.run(() => putSecrets(REPO, droplet.id, secretsSavedFor(droplet, { token: 'dop_v1_page-test-token' })));
    const now = Date.now();
    const building = makeDeployment(now - 2000, {
      target: recordTargetOf(droplet),
      state: 'in_progress',
      finishedAt: null,
      vendorId: 'dep-1',
      commit: { hash: 'f6a7b8c'.padEnd(40, '6'), message: 'Building', author: null },
    });
    const slug = makeDeployment(now - 1000, {
      target: recordTargetOf(dyno),
      state: 'in_progress',
      finishedAt: null,
      vendorId: 'build-1',
      commit: { hash: 'a7b8c9d'.padEnd(40, '7'), message: 'Slug', author: null },
    });
    await seedDeployments(session, [building, slug]);
    const ui = await openHistory();
    const [slugRow] = historyRows(ui);
    const [disabled] = findAll(cell(slugRow!, 'redeploy'), 'Button');
    expect([nodeText(disabled!), disabled?.props.isDisabled]).toEqual(['Cancel a7b8c9d', true]);
    expect(findAll(cell(slugRow!, 'redeploy'), 'Tooltip')[0]?.props.content).toBe(
      'Heroku has no API call that cancels a deploy; cancel it on the vendor’s page',
    );

    await ui.press('Cancel f6a7b8c');
    expect(ui.text()).toContain('f6a7b8c Building of main, to App (staging).');
    expect(ui.invocations.some((i) => i.functionKey === 'cancelDeploy')).toBe(false);
    // Nothing answers for api.digitalocean.com here: the dialog stays open with the refusal.
    await ui.press('Cancel the deploy');
    expect(ui.invocations.filter((i) => i.functionKey === 'cancelDeploy')).toEqual([
      { functionKey: 'cancelDeploy', payload: { deploymentId: building.id } },
    ]);
    expect(ui.text()).toMatch(/DigitalOcean App Platform did not answer \(.*\); the deploy goes on\. Try again\./);
    expect(ui.findAll('ModalTitle').map(nodeText)).toEqual(['Cancel the deploy to App?']);
  });
});
