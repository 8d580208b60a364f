/**
 * `npm start` with no arguments, as a user runs it: its own process serves the settings page and
 * the bridge, a push from the developer bar's endpoint deploys to the demo receiver, and Ctrl-C
 * (SIGINT) stops it with exit code 0. A second start on the same store still has the target, and
 * its demo receiver keeps the port and secret that target was saved with. A push of a name git refuses,
 * and a request under another host name (DNS rebinding), are refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN = '557058:admin-0001';
const JSON_BODY = { 'content-type': 'application/json' };

jest.setTimeout(60_000);

interface Served {
  url: string;
  child: ChildProcess;
  output: () => string;
}

/** Starts `npm start -- --port 0 --store STORE` and waits for the URL it prints. */
function serve(store: string): Promise<Served> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'local/cli.ts', '--port', '0', '--store', store],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed within 45 s:\n${text}`)), 45_000);
    const read = (chunk: Buffer) => {
      text += chunk.toString();
      const url = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({ url, child, output: () => text });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before serving:\n${text}`)));
  });
}

function statusWithHost(url: string, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode);
    })
      .once('error', reject)
      .end();
  });
}

function stop({ child }: Served): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

async function bridge(url: string, cmd: string, payload: unknown): Promise<{ ok: boolean; value?: unknown; message?: string }> {
  const response = await fetch(`${url}bridge`, {
    method: 'POST',
    headers: JSON_BODY,
    body: JSON.stringify({ cmd, payload, accountId: ADMIN }),
  });
  return (await response.json()) as { ok: boolean; value?: unknown; message?: string };
}

async function waitForDelivered(url: string, count: number): Promise<{ receiver: { deliveries: number } }> {
  for (let tries = 0; tries < 100; tries += 1) {
    const state = (await (await fetch(`${url}dev/state`)).json()) as {
      queue: { pending: number; delivered: number };
      receiver: { deliveries: number };
    };
    if (state.queue.pending === 0 && state.queue.delivered >= count) return state;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the queue did not deliver ${count} event(s) in 10 s`);
}

describe('npm start (no arguments)', () => {
  it('serves the page and the bridge, deploys a simulated push, stops on SIGINT, and keeps its store', async () => {
    const store = path.join(mkdtempSync(path.join(tmpdir(), 'relay-serve-')), 'relay.sqlite');
    const first = await serve(store);
    try {
      const page = await fetch(first.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script src="/host.js"></script>');
      expect((await fetch(`${first.url}frame.js`)).status).toBe(200);

      const state = (await (await fetch(`${first.url}dev/state`)).json()) as { receiver: { url: string; signingSecret: string } };
      const saved = await bridge(first.url, 'invoke', {
        functionKey: 'saveTarget',
        payload: {
          name: 'Demo receiver',
          environment: 'staging',
          provider: 'webhook',
          settings: { url: state.receiver.url },
          secrets: { signingSecret: state.receiver.signingSecret },
          rules: { branches: ['main'], tags: [], paths: { include: [], exclude: [] } },
          options: { skipMarkers: true, coalesce: true, reportOnCommit: true },
          enabled: true,
        },
      });
      expect(saved).toMatchObject({ ok: true, value: { ok: true } });

      const pushed = await fetch(`${first.url}dev/push`, {
        method: 'POST',
        headers: JSON_BODY,
        body: JSON.stringify({ branch: 'main', message: 'Ship it' }),
      });
      expect(await pushed.json()).toMatchObject({ ok: true, hash: expect.stringMatching(/^[0-9a-f]{40}$/) });
      expect((await waitForDelivered(first.url, 1)).receiver).toMatchObject({ deliveries: 1, verified: 1 });
    } finally {
      expect(await stop(first)).toBe(0);
    }

    const second = await serve(store);
    try {
      const loaded = (await bridge(second.url, 'invoke', { functionKey: 'getPage', payload: {} })) as {
        value: { ok: boolean; data: { targets: { name: string }[] } };
      };
      expect(loaded.value.data.targets.map((t) => t.name)).toEqual(['Demo receiver']);
      const again = await fetch(`${second.url}dev/push`, {
        method: 'POST',
        headers: JSON_BODY,
        body: JSON.stringify({ branch: 'main', message: 'Again' }),
      });
      expect(await again.json()).toMatchObject({ ok: true });
      const badBranch = await fetch(`${second.url}dev/push`, {
        method: 'POST',
        headers: JSON_BODY,
        body: JSON.stringify({ branch: 'main..next', message: 'Not a ref' }),
      });
      expect([badBranch.status, await badBranch.json()]).toEqual([400, { ok: false, error: '"main..next" is not a branch name' }]);
      // A name of another site pointed at 127.0.0.1 (DNS rebinding) brings its own Host: refused.
      expect(await statusWithHost(`${second.url}dev/state`, 'rebind.example:80')).toBe(421);
      expect(await statusWithHost(`${second.url}dev/state`, `localhost:${new URL(second.url).port}`)).toBe(200);
      // The kept receiver took this deploy too: same port, and both signatures valid with the secret the target was saved with.
      expect((await waitForDelivered(second.url, 1)).receiver).toMatchObject({ deliveries: 1, verified: 1 });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
