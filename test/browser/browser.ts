/**
 * The settings page in a real browser: `npm start`'s server (local/browser/server.ts) in this
 * process with storage in memory, and Debian's Chromium driven by playwright-core (Playwright's own
 * browser download cannot work here). Each test gets a fresh app and page; a console error or an
 * uncaught page error fails it, and a failing test leaves a screenshot in test/browser/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { type LocalApp, type LocalAppOptions, startLocalApp } from '../../local/browser/server';

export const ROOT = path.resolve(__dirname, '../..');
export const SCREENSHOTS = path.join(__dirname, 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The fixture's repository admin and reader (local/fixtures/workspace.json). */
export const ADMIN = '557058:admin-0001';
export const READER = '557058:reader-0002';

/**
 * Without the background-networking flags Chromium keeps trying Google's hosts, which this
 * machine's closed network refuses; no sandbox, since CI runs as root.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser | undefined;

export async function launchBrowser(): Promise<void> {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export async function closeBrowser(): Promise<void> {
  await browser?.close();
  browser = undefined;
}

export interface Session {
  app: LocalApp;
  page: Page;
  /** Console errors and uncaught errors seen so far, from the host page and the app's frame. */
  errors: string[];
  /** Opens the settings page as `accountId` and waits until the app has painted. */
  open(accountId: string): Promise<void>;
}

/**
 * Runs `body` against a fresh app and page. A failure saves a screenshot named after the test; a
 * console error fails the test even when every step passed.
 */
export async function withSession(
  name: string,
  body: (session: Session) => Promise<void>,
  options: Omit<LocalAppOptions, 'root'> = {},
): Promise<void> {
  if (!browser) throw new Error('launchBrowser() first, in beforeAll');
  const app = await startLocalApp({ root: ROOT, ...options });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  const session: Session = {
    app,
    page,
    errors,
    async open(accountId) {
      await page.goto(`${app.url}?as=${encodeURIComponent(accountId)}`);
      await page.getByRole('region', { name: 'Deploy Relay' }).getByText(/\S/).first().waitFor();
      await page.getByText('Loading Deploy Relay…').waitFor({ state: 'detached' });
    },
  };
  try {
    await body(session);
    if (errors.length > 0) throw new Error(`the page logged errors:\n${errors.join('\n')}`);
  } catch (error) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name.replace(/[^\w-]+/g, '-')}.png`), fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
    await app.close();
  }
}

/**
 * Waits until `locator` holds `text` (a substring or a pattern), as a person waits for the page to
 * show it; fails with what it holds instead.
 */
export async function waitForText(locator: Locator, text: string | RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen =
      (await locator
        .first()
        .textContent({ timeout: 1000 })
        .catch(() => null)) ?? '';
    if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`waited ${timeoutMs} ms for ${String(text)}; the element holds: ${seen.slice(0, 500) || '(nothing)'}`);
}

/** Waits until `locator` matches exactly `count` elements. */
export async function waitForCount(locator: Locator, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = await locator.count();
    if (seen === count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`waited ${timeoutMs} ms for ${count} element(s); found ${seen}`);
}
