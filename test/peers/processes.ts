import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { EgressRecord } from '../../local/platform';
import { type CliRun, runCli } from '../fixtures/cli';

const ROOT = path.resolve(__dirname, '../..');

/** The vendors' specs: CI sets SPECS_DIR; a relative one is read from the project root, as CI runs. */
export const SPECS_DIR = path.resolve(ROOT, process.env.SPECS_DIR ?? '../shared/specs');
export const EXAMPLES_DIR = path.join(ROOT, 'examples');

/**
 * Per test and hook: starting Prism on a large spec, or the CLI in its own process, takes seconds to
 * tens of seconds on a shared machine. A limit against hanging, not a timed assertion.
 */
export const PEER_TIMEOUT_MS = 180_000;

/** A free loopback port: bind to 0, read it, release it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls a URL until it answers at all, for at most `timeoutMs` (a bounded loop, never forever). */
export async function waitUntilUp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

export interface Peer {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** What ends a test run besides a normal exit: Ctrl-C, a closed terminal, jest stopping a worker. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Starts a peer server process; stop() kills it by its own pid, and so do process exit and the signals
 * that end a run (after which the signal does what it would have done), so no peer outlives its test.
 */
export function startPeer(command: string, args: string[]): Peer {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killNow = () => child.kill('SIGKILL');
  const onSignal = (signal: NodeJS.Signals) => {
    release();
    killNow();
    process.kill(process.pid, signal);
  };
  const release = () => {
    process.removeListener('exit', killNow);
    for (const signal of ENDING_SIGNALS) process.removeListener(signal, onSignal);
  };
  process.once('exit', killNow);
  for (const signal of ENDING_SIGNALS) process.on(signal, onSignal);
  return {
    child,
    output: () => output,
    stop: async () => {
      release();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls until the peer answers, failing at once (with its output) if it exits first. */
async function waitForPeer(peer: Peer, url: string, timeoutMs: number): Promise<void> {
  let onExit: (code: number | null) => void = () => undefined;
  const exited = new Promise<never>((_resolve, reject) => {
    onExit = (code) => reject(new Error(`${url} exited (${code ?? 'signal'}) before answering:\n${peer.output().slice(-2000)}`));
    peer.child.once('exit', onExit);
  });
  try {
    await Promise.race([waitUntilUp(url, timeoutMs), exited]);
  } finally {
    peer.child.removeListener('exit', onExit);
  }
}

// ---- Stoplight Prism ----

interface SpecDocument {
  swagger?: string;
  basePath?: string;
  servers?: { url: string; variables?: Record<string, { default: string }> }[];
  paths: Record<string, unknown>;
}

function readSpec(file: string): SpecDocument {
  const text = readFileSync(file, 'utf8');
  return (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as SpecDocument;
}

/** The path every real URL of the API starts with: Swagger's basePath, or the first server's path. */
function basePathOf(spec: SpecDocument): string {
  if (spec.swagger) return (spec.basePath ?? '').replace(/\/$/, '');
  const server = spec.servers?.[0];
  if (!server) return '';
  const url = server.url.replace(/\{(\w+)\}/g, (_m, name: string) => server.variables?.[name]?.default ?? name);
  return new URL(url, 'http://server.invalid').pathname.replace(/\/$/, '');
}

/**
 * `prism mock` matches paths as written and ignores the servers' base path, while the app calls the
 * real URLs (`/api/v1/deploy` for Coolify's `/deploy`). So a spec whose paths lack its base path is
 * served from a temporary copy with the base path put in front of every path, as the specs README did
 * for Bitbucket's. The copy lives outside the project and goes when Prism stops.
 */
function servableSpec(file: string): { file: string; cleanUp: () => void } {
  const spec = readSpec(file);
  const basePath = basePathOf(spec);
  const paths = Object.keys(spec.paths);
  if (!basePath || paths.every((p) => p.startsWith(`${basePath}/`))) return { file, cleanUp: () => undefined };
  const dir = mkdtempSync(path.join(tmpdir(), 'prism-spec-'));
  const copy = path.join(dir, `${path.basename(file).replace(/\.(ya?ml|json)$/, '')}.json`);
  writeFileSync(
    copy,
    JSON.stringify({ ...spec, paths: Object.fromEntries(Object.entries(spec.paths).map(([p, item]) => [`${basePath}${p}`, item])) }),
  );
  return { file: copy, cleanUp: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Prism {
  /** http://127.0.0.1:<port>, to route a vendor host to or to use as a self-hosted instance's address. */
  url: string;
  stop(): Promise<void>;
  /**
   * Each request of the log that reached this Prism and that it refused (4xx), with Prism's reasons:
   * an empty list means the spec accepted every one. Prism is stateless, so sending a logged request
   * again gets the same verdict, this time with its `sl-violations` header to read.
   */
  refusals(log: readonly EgressRecord[]): Promise<string[]>;
}

const PRISM_BIN = path.join(ROOT, 'node_modules/@stoplight/prism-cli/dist/index.js');
/** Prism takes 2 to 7 s on an idle machine to load a large spec; a shared CI runner can be much slower. */
const PRISM_START_MS = 120_000;

/** `prism mock SPEC` on a free loopback port (node runs Prism itself, so its pid is Prism's). */
async function startPrism(specFile: string): Promise<Prism> {
  const spec = servableSpec(path.join(SPECS_DIR, specFile));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const peer = startPeer(process.execPath, [PRISM_BIN, 'mock', spec.file, '-h', '127.0.0.1', '-p', String(port)]);
  const stop = async () => {
    await peer.stop();
    spec.cleanUp();
  };
  try {
    await waitForPeer(peer, url, PRISM_START_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    stop,
    refusals: async (log) => {
      const mine = log.filter((r) => r.routedUrl?.startsWith(`${url}/`) && (r.status === undefined || r.status >= 400));
      return Promise.all(mine.map((record) => explainRefusal(record)));
    },
  };
}

/**
 * Prism serving `specFile` for the tests of the file (or describe block) that calls this: started
 * before them, stopped after them (and on process exit, whatever happens in between).
 */
export function prismFor(specFile: string): () => Prism {
  let prism: Prism | undefined;
  beforeAll(async () => {
    prism = await startPrism(specFile);
  }, PEER_TIMEOUT_MS);
  afterAll(async () => {
    await prism?.stop();
  });
  return () => {
    if (!prism) throw new Error(`Prism for ${specFile} has not started`);
    return prism;
  };
}

/**
 * `POST http://…/path -> 422: Request body property force_build must be boolean`. Prism lists the
 * violations in its `sl-violations` header when the spec has an error answer of its own, and in a
 * problem+json body (`validation`) when it does not; other refusals (401, 404) say why in the body.
 */
async function explainRefusal(record: EgressRecord): Promise<string> {
  const line = `${record.method} ${record.routedUrl ?? record.url} -> ${record.status ?? record.error ?? 'no answer'}`;
  if (record.status === undefined || !record.routedUrl) return line;
  const again = await fetch(record.routedUrl, { method: record.method, headers: record.headers, body: record.body });
  const text = await again.text();
  const listed = (json: string | null): string[] => {
    try {
      const parsed = JSON.parse(json ?? '') as { message?: string }[] | { validation?: { message?: string }[] };
      return (Array.isArray(parsed) ? parsed : (parsed.validation ?? [])).map((v) => v.message ?? '').filter(Boolean);
    } catch {
      return [];
    }
  };
  const reasons = [...listed(again.headers.get('sl-violations')), ...listed(text)];
  return `${line}: ${reasons.length > 0 ? reasons.join('; ') : text.slice(0, 500)}`;
}

// ---- the replay CLI in its own process ----

const PUSH_EVENT = path.join(ROOT, 'test/fixtures/events/branch-push.json');

/**
 * `npm start -- --event <branch push to main> --targets FILE --route HOST=URL…` as a user runs it (tsx
 * on local/cli.ts), in its own process, from the project root.
 */
export function replayPush(targetsFile: string, routes: Record<string, string> = {}): Promise<CliRun> {
  return runCli([
    '--event',
    PUSH_EVENT,
    '--targets',
    targetsFile,
    ...Object.entries(routes).flatMap(([host, url]) => ['--route', `${host}=${url}`]),
  ]);
}

type TargetJson = Record<string, unknown> & { settings?: Record<string, unknown>; secrets?: Record<string, string> };

let targetsDir: string | undefined;

/** A targets file from examples/ with each target passed through `edit`, written to a temporary file (gone at exit). */
export function editExample(example: string, edit: (target: TargetJson) => TargetJson): string {
  const file = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, example), 'utf8')) as { targets: TargetJson[] };
  if (!targetsDir) {
    const dir = mkdtempSync(path.join(tmpdir(), 'relay-targets-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    targetsDir = dir;
  }
  const copy = mkdtempSync(path.join(targetsDir, 'edit-'));
  writeFileSync(path.join(copy, example), JSON.stringify({ ...file, targets: file.targets.map(edit) }));
  return path.join(copy, example);
}
