/**
 * `npm start`: the app on the local Forge platform, served to a browser at http://127.0.0.1:PORT.
 * The host page (host/) paints the settings page that runs, unchanged, in its frame (frame.ts);
 * every bridge call reaches the platform at POST /bridge, as the product would carry it: `invoke`
 * to the page's resolver, `getContext`, and the customer-managed egress calls. The developer bar
 * reads GET /dev/state and simulates pushes with POST /dev/push; a pump delivers the queue in real
 * time, so a deploy moves from queued to its outcome while the page watches.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isBranchName } from '../../src/core/rules';
import { loadDefaultFixture } from '../bitbucket';
import { createLocalPlatform, type LocalPlatform } from '../platform';
import { type Receiver, startReceiver } from '../receiver';
import { repoSettingsContext } from '../ui/context';
import { buildAssets } from './bundle';
import { BRIDGE_CALLS, type BridgeAnswer, type BridgeRequest } from './protocol';

export interface LocalAppOptions {
  root: string;
  /** Where the app's storage is kept between runs; none: in memory, gone when the app stops. */
  storeFile?: string;
  /** 0 (the default) takes any free port. */
  port?: number;
  /** The demo receiver's port and signing secret are kept here, so targets saved against it still reach it. */
  receiverFile?: string;
  /** The page to serve instead of manifest.yml's settings page resource (the browser tests' probe page). */
  pageEntry?: string;
  /** Requests for a host go to this URL instead (a vendor's Prism mock, a loopback stand-in); they allow nothing by themselves. */
  routes?: Record<string, string>;
  log?: (line: string) => void;
}

export interface LocalApp {
  url: string;
  platform: LocalPlatform;
  receiver: Receiver;
  receiverSecret: string;
  close(): Promise<void>;
}

/** How often the pump looks for queue events that are due. */
const PUMP_MS = 100;
const REPOSITORY = 'acme/web';

/**
 * The app's frame as Forge serves a UI Kit resource: scripts of its own origin only, and no fetch of
 * its own (the bridge is the way out). The iframe is sandboxed too, so it cannot reach the host page.
 */
const FRAME_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'none'";

const PAGE = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}</style></head><body>${body}</body></html>`;

async function startDemoReceiver(file: string | undefined, now: () => number): Promise<{ receiver: Receiver; secret: string }> {
  const kept = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { port: number; secret: string }) : undefined;
  const secret = kept?.secret ?? `whsec_${randomBytes(24).toString('base64')}`;
  let receiver: Receiver;
  try {
    receiver = await startReceiver({ secret, now, port: kept?.port });
  } catch {
    receiver = await startReceiver({ secret, now }); // The kept port is taken: saved targets need the new URL.
  }
  if (file) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ port: Number(new URL(receiver.url).port), secret }));
  }
  return { receiver, secret };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers }).end(body);
}
const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json', JSON.stringify(value));

export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const log = options.log ?? (() => undefined);
  const fixture = loadDefaultFixture();
  const platform = createLocalPlatform({ root: options.root, storeFile: options.storeFile, routes: options.routes, log });
  const page = platform.manifest.uiModules.find((module) => module.type === 'bitbucket:repoSettingsMenuPage');
  const resource = platform.manifest.resources.find((r) => r.key === page?.resource);
  if (!page?.resolverFunctionKey || !resource) throw new Error('manifest.yml has no repository settings page with a resolver and resource');
  const resolverKey = page.resolverFunctionKey;
  const [assets, demo] = await Promise.all([
    buildAssets(options.pageEntry ?? path.join(options.root, resource.path)),
    startDemoReceiver(options.receiverFile, platform.now),
  ]);
  const repository = fixture.repositories[0]!;
  const context = (accountId: string) => repoSettingsContext(fixture, accountId, page.key);
  // The fixture's repository admin also administers the workspace here, so that approving a host of
  // one's own (customer-managed egress, which only workspace admins may) can be tried.
  const workspaceAdmin = fixture.users.find((user) => repository.permissions?.[user.accountId] === 'admin');
  if (workspaceAdmin) platform.bitbucket.setWorkspaceRole(fixture.workspace.slug, workspaceAdmin.accountId, 'owner');
  const users = fixture.users.map((user) => ({
    accountId: user.accountId,
    displayName: user.displayName,
    role:
      user === workspaceAdmin ? 'workspace admin' : repository.permissions?.[user.accountId] === 'admin' ? 'repository admin' : 'reader',
  }));
  const queue = { delivered: 0, retried: 0, dead: 0 };
  const pushes: { ref: string; hash: string; message: string }[] = [];

  // The app's clock (a virtual one, which tests may move on) is never behind the wall clock here.
  const catchUp = () => {
    const behind = Date.now() - platform.now();
    if (behind > 0) platform.advanceClock(behind);
  };

  async function bridge(request: BridgeRequest): Promise<unknown> {
    if (typeof request !== 'object' || request === null || typeof request.cmd !== 'string' || typeof request.accountId !== 'string')
      throw new Error('a bridge call needs a cmd and the accountId of the person whose page it is');
    if (!BRIDGE_CALLS.has(request.cmd)) throw new Error(`the local platform does not model the bridge call "${request.cmd}"`);
    catchUp();
    if (request.cmd === 'invoke') {
      const call = request.payload as { functionKey: string; payload?: unknown };
      return platform.invokeResolver(
        resolverKey,
        { functionKey: call.functionKey, payload: call.payload },
        context(request.accountId),
        request.accountId,
      );
    }
    if (request.cmd === 'getContext') return context(request.accountId);
    // Bitbucket's confirmation: only a workspace admin's "Allow" approves.
    if (request.cmd === '__permission__egressSet')
      platform.customerEgress.decideWith(({ accountId }) => request.approved === true && accountId === workspaceAdmin?.accountId);
    return platform.customerEgress.handle(request.cmd, request.payload, request.accountId);
  }

  async function simulatePush(body: { branch?: unknown; message?: unknown }): Promise<{ hash: string }> {
    const branch = typeof body.branch === 'string' ? body.branch.trim() : '';
    if (!isBranchName(branch)) throw new Error(branch ? `"${branch.slice(0, 100)}" is not a branch name` : 'a push needs a branch');
    const message = typeof body.message === 'string' && body.message.trim() ? body.message.trim() : 'A change';
    const admin = fixture.users[0]!;
    const event = platform.bitbucket.push(REPOSITORY, {
      ref: branch,
      messages: [message],
      actor: { accountId: admin.accountId, uuid: admin.uuid ?? '' },
      timestamp: new Date(platform.now()).toISOString(),
    });
    const hash = String((event.push as { after?: unknown }).after);
    pushes.unshift({ ref: branch, hash, message });
    const outcomes = await platform.emit(event);
    const failed = outcomes.find((outcome) => !outcome.ok);
    if (failed) throw new Error(`the push trigger failed: ${failed.error?.message ?? 'unknown error'}`);
    return { hash };
  }

  // The queue in real time: events are delivered when due on the wall clock, retries after their real back-off.
  let pumping = false;
  const pump = setInterval(() => {
    catchUp();
    if (pumping) return;
    pumping = true;
    platform
      .drain({ advanceClock: false })
      .then((result) => {
        queue.delivered += result.delivered;
        queue.retried += result.retried;
        queue.dead += result.dead;
      })
      .catch((error: Error) => log(`queue: ${error.message}`))
      .finally(() => {
        pumping = false;
      });
  }, PUMP_MS);

  let hosts = new Set<string>();
  const server = createServer((req, res) => {
    // A page of another site that a DNS name pointed here (DNS rebinding) arrives with its own Host.
    if (!hosts.has(req.headers.host ?? '')) return send(res, 421, 'text/plain', 'this server answers only to 127.0.0.1 and localhost');
    const route = `${req.method} ${new URL(req.url ?? '/', 'http://local').pathname}`;
    // Only the host page (or a script, which sends no Origin) may post: a JSON body, which a page of
    // another origin cannot send without a preflight this server never grants, and no foreign Origin
    // (the sandboxed frame's is 'null').
    const foreign = req.headers.origin !== undefined && req.headers.origin !== `http://${req.headers.host}`;
    if (req.method === 'POST' && (req.headers['content-type'] !== 'application/json' || foreign))
      return sendJson(res, 403, { ok: false, message: 'only the host page may call the local platform' });
    const asset = assets.get(new URL(req.url ?? '/', 'http://local').pathname);
    if (req.method === 'GET' && asset) return send(res, 200, asset.type, asset.contents);
    switch (route) {
      case 'GET /':
        return send(
          res,
          200,
          'text/html',
          PAGE('Deploy Relay (local)', '<link rel="stylesheet" href="/host.css"><div id="root"></div><script src="/host.js"></script>'),
        );
      case 'GET /frame.html':
        return send(
          res,
          200,
          'text/html',
          PAGE(
            'Deploy Relay app frame',
            `${assets.has('/frame.css') ? '<link rel="stylesheet" href="/frame.css">' : ''}<script src="/frame.js"></script>`,
          ),
          { 'content-security-policy': FRAME_POLICY },
        );
      case 'GET /favicon.ico':
        return send(res, 204, 'image/x-icon', '');
      case 'GET /dev/state':
        return sendJson(res, 200, {
          users,
          queue: { pending: platform.pendingEvents(), ...queue },
          receiver: {
            url: demo.receiver.url,
            signingSecret: demo.secret,
            deliveries: demo.receiver.deliveries.length,
            verified: demo.receiver.deliveries.filter((d) => d.hubSignatureValid && d.standardWebhooksValid).length,
          },
          pushes: pushes.slice(0, 10),
        });
      case 'POST /dev/push':
        return void readJson(req)
          .then((body) => simulatePush(body as { branch?: unknown; message?: unknown }))
          .then(
            (pushed) => sendJson(res, 200, { ok: true, ...pushed }),
            (error: Error) => sendJson(res, 400, { ok: false, error: error.message }),
          );
      case 'POST /bridge':
        return void readJson(req)
          .then((body) => bridge(body as BridgeRequest))
          .then(
            (value): BridgeAnswer => ({ ok: true, value }),
            (error: Error): BridgeAnswer => ({ ok: false, message: error.message }),
          )
          .then((answer) => sendJson(res, 200, answer));
      default:
        return send(res, 404, 'text/plain', `not found: ${route}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  return {
    url: `http://127.0.0.1:${port}/`,
    platform,
    receiver: demo.receiver,
    receiverSecret: demo.secret,
    async close() {
      clearInterval(pump);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      while (pumping) await new Promise((resolve) => setTimeout(resolve, 10));
      await demo.receiver.close();
      await platform.close();
    },
  };
}
