/**
 * The settings page as an admin uses it, in Chromium: first load, adding a target with a secret,
 * deploying by hand and by push, the history's paging, and a reader refused. Elements are found
 * by role and label, as a person (or a screen reader) finds them.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ADMIN, ROOT, closeBrowser, launchBrowser, READER, type Session, waitForCount, waitForText, withSession } from './browser';

jest.setTimeout(90_000);

beforeAll(launchBrowser);
afterAll(closeBrowser);

const table = (page: Page, name: string) => page.getByRole('region', { name: 'Deploy Relay' }).getByRole('table').filter({ hasText: name });
/** A table's rows of data: a header row holds column headers, not cells. */
const dataRows = (page: Page, name: string) =>
  table(page, name)
    .getByRole('row')
    .filter({ has: page.getByRole('cell') });

/** Adds a signed-webhook target pointing at the app's demo receiver, through the form. */
async function addReceiverTarget({ app, page }: Session, name = 'Demo receiver'): Promise<void> {
  await page.getByRole('button', { name: 'Add target' }).click();
  const form = page.getByRole('dialog');
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Environment', { exact: true }).fill('staging');
  await form.getByLabel('Receiver URL', { exact: true }).fill(app.receiver.url);
  await form.getByLabel('Signing secret', { exact: true }).fill(app.receiverSecret);
  await form.getByLabel('Branches', { exact: true }).fill('main');
  await form.getByRole('button', { name: 'Save target' }).click();
  await form.waitFor({ state: 'detached' });
  await table(page, name).getByRole('cell', { name, exact: true }).waitFor();
}

/** A push from the developer bar, as a person simulates one. */
async function pushFromBar(page: Page, message: string): Promise<void> {
  const bar = page.getByRole('banner', { name: 'Developer bar' });
  await bar.getByLabel('Branch').fill('main');
  await bar.getByLabel('Commit message').fill(message);
  await bar.getByRole('button', { name: 'Simulate push' }).click();
  await waitForText(bar.getByLabel('Push result'), /^Pushed [0-9a-f]{7} to main$/);
}

describe('the settings page in Chromium', () => {
  test('first load: the empty state, and the way to add a target', async () => {
    await withSession('first load', async (session) => {
      await session.open(ADMIN);
      const app = session.page.getByRole('region', { name: 'Deploy Relay' });
      await app.getByRole('heading', { name: 'No deploy targets yet' }).waitFor();
      expect(await app.getByRole('button', { name: 'Add target' }).isVisible()).toBe(true);
      expect(await app.getByRole('tab').allTextContents()).toEqual(['Targets', 'History', 'Audit log', 'Previews']);
    });
  });

  test('a target saved with a secret shows the secret only as set, never its value', async () => {
    await withSession('secret only as set', async (session) => {
      await session.open(ADMIN);
      await addReceiverTarget(session);
      const row = table(session.page, 'Demo receiver').getByRole('row').filter({ hasText: 'Demo receiver' });
      await waitForText(row, 'Signing secret: Set');
      // Neither the app's area (the developer bar shows the demo receiver's secret, by design) nor an
      // input of the reopened form carries the value.
      const area = session.page.getByRole('region', { name: 'Deploy Relay' });
      expect(await area.innerHTML()).not.toContain(session.app.receiverSecret);
      await row.getByRole('button', { name: 'Edit' }).click();
      const form = session.page.getByRole('dialog');
      expect(await form.getByLabel('Signing secret', { exact: true }).inputValue()).toBe('');
      expect(await form.innerHTML()).not.toContain(session.app.receiverSecret);
    });
  });

  test('deploy now: the request reaches the receiver, signed, and the row shows it was requested', async () => {
    await withSession('deploy now', async (session) => {
      await session.open(ADMIN);
      await addReceiverTarget(session);
      const row = table(session.page, 'Demo receiver').getByRole('row').filter({ hasText: 'Demo receiver' });
      await row.getByRole('button', { name: 'Deploy now' }).click();
      const modal = session.page.getByRole('dialog');
      await modal.getByLabel('Branch', { exact: true }).fill('main');
      await modal.getByRole('button', { name: 'Deploy main' }).click();
      await waitForText(row, 'Requested', 20_000);
      expect(session.app.receiver.deliveries.map((d) => [d.hubSignatureValid, d.standardWebhooksValid])).toEqual([[true, true]]);
    });
  });

  test('a push simulated from the developer bar shows in the history with its outcome', async () => {
    await withSession('push from the bar', async (session) => {
      await session.open(ADMIN);
      await addReceiverTarget(session);
      await pushFromBar(session.page, 'Ship the checkout page');
      await waitForText(session.page.getByRole('status', { name: 'Queue' }), /^Queue: 0 waiting, [1-9]/, 20_000);
      // The page does not hear of pushes by itself (nor does it in Bitbucket): a person refreshes.
      await session.page.getByRole('button', { name: 'Refresh' }).click();
      await session.page.getByRole('tab', { name: 'History' }).click();
      const history = table(session.page, 'Started');
      const row = history.getByRole('row').filter({ hasText: 'Ship the checkout page' });
      await waitForText(row, 'Requested', 20_000);
      await waitForText(row, 'Demo receiver (staging)');
      await waitForText(session.page.getByRole('status', { name: 'Queue' }), /^Queue: 0 waiting/);
      // The README's picture of the page is this moment: `UPDATE_README_SCREENSHOT=1 npm run test:browser`.
      if (process.env.UPDATE_README_SCREENSHOT) {
        await session.page.getByRole('tab', { name: 'Targets' }).click();
        await session.page.screenshot({ path: path.join(ROOT, 'docs', 'settings-page.png') });
      }
    });
  });

  test('the history filters by target, says who triggered each deploy, and links the commit in Bitbucket', async () => {
    await withSession('history filters', async (session) => {
      await session.open(ADMIN);
      await addReceiverTarget(session, 'Staging hook');
      await addReceiverTarget(session, 'Audit hook');
      await pushFromBar(session.page, 'Tidy the footer');
      await waitForText(session.page.getByRole('status', { name: 'Queue' }), /^Queue: 0 waiting, 2 delivered/, 20_000);
      await session.page.getByRole('button', { name: 'Refresh' }).click();
      await session.page.getByRole('tab', { name: 'History' }).click();
      const rows = dataRows(session.page, 'Started');
      await waitForCount(rows, 2);

      await session.page.getByLabel('Target', { exact: true }).click();
      await session.page.getByRole('option', { name: 'Audit hook' }).click();
      await session.page.getByRole('button', { name: 'Apply filters' }).click();
      await waitForCount(rows, 1);
      await waitForText(rows.first(), 'Audit hook (staging)');
      await waitForText(rows.first(), 'Ada Admin');
      const commit = rows.first().getByRole('link', { name: /^[0-9a-f]{7}/ });
      expect(await commit.getAttribute('href')).toMatch(/^https:\/\/bitbucket\.org\/acme\/web\/commits\/[0-9a-f]{40}$/);

      await session.page.getByRole('button', { name: 'Clear filters' }).click();
      await waitForCount(rows, 2);
    });
  });

  test('the history pages: 20 deployments, then the older ones on request', async () => {
    await withSession('history paging', async (session) => {
      await session.open(ADMIN);
      await addReceiverTarget(session);
      // One push at a time, each deployed before the next, so that newest-first is a fact to check.
      for (let n = 1; n <= 23; n += 1) {
        const pushed = await session.page.request.post(`${session.app.url}dev/push`, { data: { branch: 'main', message: `Change ${n}` } });
        expect(pushed.ok()).toBe(true);
        await waitForText(session.page.getByRole('status', { name: 'Queue' }), new RegExp(`^Queue: 0 waiting, ${n} delivered`));
      }
      await session.page.getByRole('button', { name: 'Refresh' }).click();
      await session.page.getByRole('tab', { name: 'History' }).click();
      const rows = dataRows(session.page, 'Started');
      await waitForCount(rows, 20);
      // Newest first: the last push heads the first page.
      await waitForText(rows.first(), 'Change 23');
      await session.page.getByRole('button', { name: 'Older deployments' }).click();
      await waitForCount(rows, 23);
      const messages = (await rows.allTextContents()).map((row) => /Change \d+/.exec(row)?.[0]);
      expect(messages).toEqual(Array.from({ length: 23 }, (_, i) => `Change ${23 - i}`));
    });
  });

  test('the form: every toggle has a visible label, and a provider picked from the menu over the modal shows its fields', async () => {
    await withSession('form labels and select', async (session) => {
      await session.open(ADMIN);
      await session.page.getByRole('button', { name: 'Add target' }).click();
      const form = session.page.getByRole('dialog');
      const toggles = form.getByRole('checkbox');
      await waitForCount(toggles, 6);
      // Switched on, approval shows one more option (from the keyboard: the switch's knob covers its input).
      await form.getByRole('checkbox', { name: 'Each deploy waits for a repository admin to approve it' }).press('Space');
      await waitForCount(toggles, 7);
      // So does a preview target: whether forks' pull requests are previewed too.
      await form
        .getByRole('checkbox', { name: 'Deploy a preview of each pull request into these branches, instead of pushes' })
        .press('Space');
      await waitForCount(toggles, 8);
      // What a sighted person reads beside each switch: the text of its labels that is shown, not an aria-label.
      const shown = await toggles.evaluateAll((inputs) =>
        inputs.map((input) => ({
          id: input.id,
          text: Array.from((input as HTMLInputElement).labels ?? [])
            .map((label) => label.innerText.trim())
            .filter(Boolean)
            .join(' / '),
        })),
      );
      expect(shown.filter((toggle) => toggle.text === '')).toEqual([]);
      expect(shown.find((toggle) => toggle.id.endsWith('approverNotPusher'))?.text).toBe(
        'The approver must be someone other than who pushed',
      );
      expect(shown.find((toggle) => toggle.id.endsWith('allowForks'))?.text).toBe(
        "Preview pull requests from forks too (their code is not this repository's)",
      );

      // The menu opens above the modal and takes the click (a menu under the modal's blanket would not).
      await form.getByLabel('Provider', { exact: true }).click();
      await session.page.getByRole('option', { name: 'Render' }).click();
      await form.getByLabel('How to deploy', { exact: true }).click();
      await session.page.getByRole('option', { name: /^Deploy hook/ }).click();
      await form.getByText('Deploy hook URL', { exact: true }).waitFor();
      // Only the chosen mode's fields: a hook target has no service ID or API key to fill in.
      expect(await form.getByLabel('Service ID', { exact: true }).count()).toBe(0);
    });
  });

  test('a receiver on a host of the workspace: saved once a workspace admin allows it in Bitbucket’s dialog, not before', async () => {
    await withSession('egress approval', async (session) => {
      await session.open(ADMIN);
      await session.page.getByRole('button', { name: 'Add target' }).click();
      const form = session.page.getByRole('dialog', { name: 'Add a deploy target' });
      await form.getByLabel('Name', { exact: true }).fill('Acme receiver');
      await form.getByLabel('Receiver URL', { exact: true }).fill('https://deploy.acme.test/hook');
      await form.getByLabel('Signing secret', { exact: true }).fill('a-signing-secret-of-some-length');
      await form.getByRole('button', { name: 'Save target' }).click();
      const approve = form.getByRole('button', { name: 'Approve deploy.acme.test and save' });

      // Denied in Bitbucket's dialog: the form says so and nothing is saved.
      await approve.click();
      const confirm = session.page.getByRole('dialog', { name: 'Allow Deploy Relay to connect to these domains?' });
      await waitForText(confirm, 'https://deploy.acme.test');
      await confirm.getByRole('button', { name: 'Deny' }).click();
      await waitForText(form, 'deploy.acme.test was not approved, so nothing was saved');
      expect(session.app.platform.customerEgress.backendDomains()).toEqual([]);

      // Allowed: the target is saved, and Forge holds the approval for the backend's fetches.
      await form.getByRole('button', { name: 'Save target' }).click();
      await approve.click();
      await confirm.getByRole('button', { name: 'Allow' }).click();
      await form.waitFor({ state: 'detached' });
      await table(session.page, 'Acme receiver').getByRole('cell', { name: 'Acme receiver', exact: true }).waitFor();
      expect(session.app.platform.customerEgress.backendDomains()).toEqual(['https://deploy.acme.test']);
    });
  });

  test('a reader is refused, and sees no way to change anything', async () => {
    await withSession('reader refused', async (session) => {
      await session.open(READER);
      const app = session.page.getByRole('region', { name: 'Deploy Relay' });
      await waitForText(app, 'Only administrators of this repository can manage its deploy targets');
      expect(await app.getByRole('button', { name: 'Add target' }).count()).toBe(0);
    });
  });
});
