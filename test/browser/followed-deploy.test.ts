/**
 * A deploy the app follows, seen in Chromium: a DigitalOcean target (its API routed to a loopback
 * stand-in that answers in the shapes of DigitalOcean's spec, test/fixtures/vendors), its connection
 * tested from the form before it is saved, Deploy now, and
 * the row moving from Deploying to Succeeded by itself as the status poller reads the outcome.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appAnswer, DEPLOYMENT_ID, pendingDeploymentAnswer } from '../fixtures/vendors/digitalocean';
import { ADMIN, closeBrowser, launchBrowser, waitForText, withSession } from './browser';

jest.setTimeout(90_000);

const APP_ID = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
const TOKEN = 'dop_v1_a-token-of-the-acme-team';

/** Deployments created, and status reads answered: the first read says building, every later one ACTIVE. */
interface DigitalOcean {
  url: string;
  /** Reads of the app itself: what Test connection does. */
  appReads: number;
  created: number;
  reads: number;
  server: Server;
}

async function startDigitalOcean(): Promise<DigitalOcean> {
  const vendor = { url: '', appReads: 0, created: 0, reads: 0 } as DigitalOcean;
  vendor.server = createServer((req, res) => {
    const answer = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return answer(401, { id: 'unauthorized', message: 'Unable to authenticate you' });
    if (req.method === 'GET' && req.url === `/v2/apps/${APP_ID}`) {
      vendor.appReads += 1;
      return answer(200, appAnswer);
    }
    const deployments = `/v2/apps/${APP_ID}/deployments`;
    if (req.method === 'POST' && req.url === deployments) {
      vendor.created += 1;
      return answer(200, pendingDeploymentAnswer);
    }
    if (req.method === 'GET' && req.url === `${deployments}/${DEPLOYMENT_ID}`) {
      vendor.reads += 1;
      const phase = vendor.reads === 1 ? 'BUILDING' : 'ACTIVE';
      return answer(200, { deployment: { ...pendingDeploymentAnswer.deployment, phase } });
    }
    return answer(404, { id: 'not_found', message: 'The resource you requested could not be found.' });
  });
  await new Promise<void>((resolve) => vendor.server.listen(0, '127.0.0.1', resolve));
  vendor.url = `http://127.0.0.1:${(vendor.server.address() as AddressInfo).port}`;
  return vendor;
}

let vendor: DigitalOcean;

beforeAll(async () => {
  vendor = await startDigitalOcean();
  await launchBrowser();
});
afterAll(async () => {
  await closeBrowser();
  await new Promise((resolve) => vendor.server.close(resolve));
});

test('Test connection reads the app before saving; a followed DigitalOcean deploy shows Deploying, then Succeeded in the history by itself, with a link to the vendor’s page', async () => {
  await withSession(
    'followed deploy',
    async ({ page, open }) => {
      await open(ADMIN);
      await page.getByRole('button', { name: 'Add target' }).click();
      const form = page.getByRole('dialog', { name: 'Add a deploy target' });
      await form.getByLabel('Name', { exact: true }).fill('Production');
      await form.getByLabel('Provider', { exact: true }).click();
      await page.getByRole('option', { name: 'DigitalOcean App Platform' }).click();
      await form.getByLabel('App ID', { exact: true }).fill(APP_ID);
      await form.getByLabel('API token', { exact: true }).fill(TOKEN);
      // Test connection before saving: one read of the app with the token typed, nothing deployed or stored.
      await form.getByRole('button', { name: 'Test connection' }).click();
      await waitForText(form, 'Production is ready');
      await waitForText(form, 'The token can read the app acme-web');
      expect([vendor.appReads, vendor.created]).toEqual([1, 0]);
      await form.getByRole('button', { name: 'Save target' }).click();
      await form.waitFor({ state: 'detached' });

      const row = page.getByRole('row').filter({ hasText: 'Production' });
      await row.getByRole('button', { name: 'Deploy now' }).click();
      const modal = page.getByRole('dialog');
      await modal.getByLabel('Branch', { exact: true }).fill('main');
      await modal.getByRole('button', { name: 'Deploy main' }).click();
      await waitForText(row, 'Deploying', 20_000);
      await page.getByRole('tab', { name: 'History' }).click();
      const record = page.getByRole('row').filter({ hasText: 'Production (production)' });
      await waitForText(record, 'Deploying');
      // The first status read comes 10 s after the request (core/follow.ts); the page refreshes by itself meanwhile.
      await waitForText(record, 'Succeeded', 45_000);
      expect([vendor.created, vendor.reads]).toEqual([1, 2]);
      const link = record.getByRole('link', { name: 'Open deployment' });
      expect(await link.getAttribute('href')).toBe(`https://cloud.digitalocean.com/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}`);
    },
    { routes: { 'api.digitalocean.com': vendor.url } },
  );
});
