/**
 * Where a push's time goes: the throughput benchmark's 1-target run once more, under V8's sampling
 * profiler (node:inspector), with every sample's own time put down to who ran it: the app, the Forge
 * SDK, the local platform standing in for Forge, Node's fetch machinery, the receiver, or the GC.
 */
// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { startApp } from '../test/platform/app';
import { Session } from 'node:inspector/promises';
import { deployingEveryPush, hookTargets, pushBursts } from './pipeline';
import { type BenchResult, round } from './report';

const WARM_UP_PUSHES = 20;
const PUSHES = 300;
const CONCURRENCY = 10;

/** Who ran a sample, by its function's script; the first that matches wins. */
const OWNERS: [string, RegExp][] = [
  ['app: src/ (the relay itself)', /\/src\//],
  ['app: zod (its schemas)', /node_modules\/zod\//],
  ['app: picomatch', /node_modules\/picomatch\//],
  ['Forge SDK (@forge/*)', /node_modules\/@forge\//],
  ['receiver (the vendor side, checking signatures)', /\/local\/receiver\.ts|node_modules\/(standardwebhooks|@stablelib|fast-sha256)\//],
  ['local platform: the SQLite store (sql.js)', /node_modules\/sql\.js\/|^wasm:/],
  ['local platform: store, queue, Bitbucket stand-in, egress', /\/local\//],
  ["Node's fetch, Request and Response (undici, web streams)", /node:internal\/(deps\/undici|webstreams|worker\/js_transferable)/],
  ['Node: HTTP server and sockets', /node:(_http|net|internal\/(http|net|stream_base|streams))/],
  ['garbage collector', /^\(garbage collector\)$/],
  ['async context (AsyncLocalStorage, promise hooks)', /node:(async_hooks|internal\/async_hooks)/],
  ['other Node internals', /^node:/],
];
const OTHER = 'built-ins (JSON, strings, regular expressions)';

interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function ownerOf(node: ProfileNode): string {
  const script = node.callFrame.url || `(${node.callFrame.functionName})`;
  return OWNERS.find(([, pattern]) => pattern.test(script))?.[0] ?? OTHER;
}

/** Self time (µs) per owner; idle time (nothing ran) is left out. */
function selfTimes(profile: Profile): Map<string, number> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const times = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    const owner = ownerOf(node);
    times.set(owner, (times.get(owner) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return times;
}

export async function profile(): Promise<BenchResult> {
  const app = await startApp();
  const session = new Session();
  try {
    // As the throughput run: coalescing off, so every push deploys.
    await app.configure(hookTargets(app.receiver, 1, ['bench/*']).map(deployingEveryPush));
    const burst = pushBursts(app.platform, CONCURRENCY);
    await burst(WARM_UP_PUSHES);
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const started = performance.now();
    await burst(PUSHES);
    const wallMs = performance.now() - started;
    const { profile: taken } = await session.post('Profiler.stop');
    const times = selfTimes(taken as Profile);
    const busy = [...times.values()].reduce((a, b) => a + b, 0);
    const rows = [...times].sort((a, b) => b[1] - a[1]);
    const share = (owner: (name: string) => boolean) =>
      round((100 * rows.filter(([name]) => owner(name)).reduce((sum, [, us]) => sum + us, 0)) / busy, 1);
    return {
      name: 'profile',
      title: `Where a push's time goes: ${PUSHES} pushes to 1 target (coalescing off), sampled by V8's profiler`,
      columns: ['who ran', 'share of busy time %', 'ms per push'],
      rows: rows.map(([name, us]) => [name, round((100 * us) / busy, 1), round(us / 1000 / PUSHES, 3)]),
      notes: [
        `${round(busy / 1000)} ms sampled over ${round(wallMs)} ms of wall clock; the profiler slows the run, so the shares are what it tells, not the times.`,
        "Each sample counts for the function running at that moment (self time): the SDK's calls into the platform count for the platform, the app's fetch of the receiver for Node's fetch.",
      ],
      figures: {
        profile_app_percent: share((name) => name.startsWith('app')),
        profile_sdk_percent: share((name) => name.startsWith('Forge SDK')),
        profile_platform_percent: share((name) => name.startsWith('local platform')),
        profile_node_fetch_percent: share((name) => name.startsWith("Node's fetch")),
      },
    };
  } finally {
    session.disconnect();
    await app.close();
  }
}
