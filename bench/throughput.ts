/**
 * Throughput: pushes per second through the local platform, with one target and with ten, each push
 * ending as one signed request per target at the receiver.
 */
// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { startApp } from '../test/platform/app';
import { deployingEveryPush, hookTargets, pushBursts } from './pipeline';
import { type BenchResult, round } from './report';

/** Per block, not counted: the first block also pays for loading the app's modules. */
const WARM_UP_PUSHES = 5;
/** Consumers running at once; the app's concurrency key still keeps each target's jobs one at a time. */
const CONCURRENCY = 10;
/**
 * Every block starts on a fresh platform: the local store sweeps expired keys with a full table scan
 * on every request, so one long run would time the store's growth rather than the relay.
 */
const BLOCKS = 4;
const RUNS = [
  { targets: 1, pushesPerBlock: 150 },
  { targets: 10, pushesPerBlock: 30 },
] as const;

interface Measured {
  targets: number;
  pushes: number;
  deploys: number;
  seconds: number;
}

async function measureBlock(targets: number, pushes: number): Promise<Measured> {
  const app = await startApp();
  try {
    // Coalescing off: pushes queued together would otherwise deploy only the newest; each one must deploy.
    await app.configure(hookTargets(app.receiver, targets, ['bench/*']).map(deployingEveryPush));
    const burst = pushBursts(app.platform, CONCURRENCY);
    await burst(WARM_UP_PUSHES);
    const before = app.receiver.deliveries.length;
    const start = performance.now();
    await burst(pushes);
    const seconds = (performance.now() - start) / 1000;
    const deploys = app.receiver.deliveries.length - before;
    if (deploys !== pushes * targets) throw new Error(`${pushes} push(es) × ${targets} target(s) delivered ${deploys} request(s)`);
    return { targets, pushes, deploys, seconds };
  } finally {
    await app.close();
  }
}

/** The blocks of one run added up: pushes, deploys and seconds. */
async function measureRun(targets: number, pushesPerBlock: number): Promise<Measured> {
  const total: Measured = { targets, pushes: 0, deploys: 0, seconds: 0 };
  for (let block = 0; block < BLOCKS; block++) {
    const m = await measureBlock(targets, pushesPerBlock);
    total.pushes += m.pushes;
    total.deploys += m.deploys;
    total.seconds += m.seconds;
  }
  return total;
}

export async function throughput(): Promise<BenchResult> {
  const measured: Measured[] = [];
  for (const run of RUNS) measured.push(await measureRun(run.targets, run.pushesPerBlock));
  const perSecond = (count: number, m: Measured) => round(count / m.seconds, 1);
  const [one, ten] = measured as [Measured, Measured];
  return {
    name: 'throughput',
    title: 'Throughput: pushes through the local platform, each deployed to every target',
    columns: ['targets', 'pushes', 'deploys', 'seconds', 'pushes/s', 'deploys/s'],
    rows: measured.map((m) => [m.targets, m.pushes, m.deploys, round(m.seconds), perSecond(m.pushes, m), perSecond(m.deploys, m)]),
    notes: [
      `${BLOCKS} blocks per row, each on a fresh platform after ${WARM_UP_PUSHES} uncounted pushes: the pushes are emitted one after another (each push trigger runs to the end), then the queue is drained with up to ${CONCURRENCY} consumers at once.`,
      'Everything shares one Node process: the trigger, the worker, the store, the Bitbucket stand-in and the receiver checking every signature.',
    ],
    figures: {
      pushes_per_second_1_target: perSecond(one.pushes, one),
      pushes_per_second_10_targets: perSecond(ten.pushes, ten),
      deploys_per_second_10_targets: perSecond(ten.deploys, ten),
    },
  };
}
