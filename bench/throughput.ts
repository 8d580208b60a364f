/**
 * Throughput: pushes per second through the local platform, with one target and with ten, each push
 * ending as one signed request per target at the receiver.
 */
// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { startApp } from '../test/platform/app';
import { deployingEveryPush, hookTargets, pushBursts, startFloor, type Subject } from './pipeline';
import { type BenchResult, round } from './report';

/** Per block, not counted: a fresh platform's first deploy also creates the target's state. */
const WARM_UP_PUSHES = 5;
/** Consumers running at once; the app's concurrency key still keeps each target's jobs one at a time. */
const CONCURRENCY = 10;
/** Every block starts on a fresh platform, so each one times the same empty store. */
const BLOCKS = 4;
/**
 * Rounds (one block of every run each) before the counted ones. V8 compiles hot code, the app's, the
 * SDK's, the platform's and SQLite's WebAssembly, over the first thousand pushes or so: measured on a
 * cold process, the relay's rate rose from about 360 to 720 pushes a second over its first ten blocks,
 * and the floors' likewise, so a rate counted earlier times the compiler, and favours whichever runs later.
 */
const WARM_UP_ROUNDS = 10;
const RUNS = [
  { app: 'relay', targets: 1, pushesPerBlock: 150 },
  { app: 'relay', targets: 10, pushesPerBlock: 30 },
  { app: 'floor', targets: 1, pushesPerBlock: 150 },
  { app: 'floor with the relay’s calls', targets: 1, pushesPerBlock: 150 },
] as const;
type AppName = (typeof RUNS)[number]['app'];

interface Measured {
  app: AppName;
  targets: number;
  pushes: number;
  deploys: number;
  seconds: number;
}

/** The relay with `targets` targets deploying every push, or the floor (bench/floor) with its one. */
async function startSubject(app: AppName, targets: number): Promise<Subject> {
  if (app === 'floor') return startFloor();
  if (app === 'floor with the relay’s calls') return startFloor(undefined, 'deploying every push');
  const relay = await startApp();
  // Coalescing off: pushes queued together would otherwise deploy only the newest; each one must deploy.
  await relay.configure(hookTargets(relay.receiver, targets, ['bench/*']).map(deployingEveryPush));
  return relay;
}

async function measureBlock(name: AppName, targets: number, pushes: number): Promise<Measured> {
  const app = await startSubject(name, targets);
  try {
    const burst = pushBursts(app.platform, CONCURRENCY);
    await burst(WARM_UP_PUSHES);
    const before = app.receiver.deliveries.length;
    const start = performance.now();
    await burst(pushes);
    const seconds = (performance.now() - start) / 1000;
    const deploys = app.receiver.deliveries.length - before;
    if (deploys !== pushes * targets) throw new Error(`${pushes} push(es) × ${targets} target(s) delivered ${deploys} request(s)`);
    if (app.receiver.deliveries.some((delivery) => delivery.status !== 200)) throw new Error('the receiver refused a request');
    return { app: name, targets, pushes, deploys, seconds };
  } finally {
    await app.close();
  }
}

export async function throughput(): Promise<BenchResult> {
  const warmUpBlocks: Measured[] = [];
  const measured: Measured[] = RUNS.map(({ app, targets }) => ({ app, targets, pushes: 0, deploys: 0, seconds: 0 }));
  // The runs take turns, block by block, so each is as warm as the others and a busy spell falls on
  // all; each round starts with the next, so none always runs right after another's garbage.
  for (let lap = 0; lap < WARM_UP_ROUNDS + BLOCKS; lap++) {
    for (let turn = 0; turn < RUNS.length; turn++) {
      const index = (lap + turn) % RUNS.length;
      const run = RUNS[index] as (typeof RUNS)[number];
      const block = await measureBlock(run.app, run.targets, run.pushesPerBlock);
      if (lap < WARM_UP_ROUNDS) {
        warmUpBlocks.push(block);
        continue;
      }
      const total = measured[index] as Measured;
      total.pushes += block.pushes;
      total.deploys += block.deploys;
      total.seconds += block.seconds;
    }
  }
  const perSecond = (count: number, m: Measured) => round(count / m.seconds, 1);
  const [one, ten, floor, floorWithCalls] = measured as [Measured, Measured, Measured, Measured];
  // The first of all: the first lap starts with the first run, the relay with 1 target.
  const [firstBlock] = warmUpBlocks as [Measured];
  return {
    name: 'throughput',
    title: 'Throughput: pushes through the local platform, each deployed to every target',
    columns: ['app', 'targets', 'pushes', 'deploys', 'seconds', 'pushes/s', 'deploys/s'],
    rows: measured.map((m) => [m.app, m.targets, m.pushes, m.deploys, round(m.seconds), perSecond(m.pushes, m), perSecond(m.deploys, m)]),
    notes: [
      `${BLOCKS} blocks per row, each on a fresh platform after ${WARM_UP_PUSHES} uncounted pushes: the pushes are emitted one after another (each push trigger runs to the end), then the queue is drained with up to ${CONCURRENCY} consumers at once. The rows take turns block by block, after ${WARM_UP_ROUNDS} uncounted rounds that let V8 compile the hot code.`,
      `The relay’s first warm-up block (1 target, the first block of all) ran at ${perSecond(firstBlock.pushes, firstBlock)} pushes/s: how warm it was depends on the benchmarks run before it in the process.`,
      'Everything shares one Node process: the trigger, the worker, the store, the Bitbucket stand-in and the receiver checking every signature.',
      'One target’s jobs run one at a time (the queue’s concurrency key, limit 1, which keeps its deploys in order), so its rate is one over a push’s trigger plus its job’s whole run, from the queue to the commit status and the recorded answer; the targets of the 10-target row run side by side.',
      'The floor (bench/floor) is the least app that deploys each push on the same platform and SDK: one read and a queue push, then the secret and the signed request. Its jobs also go one at a time; it keeps none of the relay’s promises, so its rate is what the platform, the SDK and the receiver allow on their own.',
      'The floor with the relay’s calls also makes every platform call a relay webhook deploy makes (as the calls table counts them for a target deploying every push: the mark, the batch read, the query of the marks still planned, the two transactions, the commit status), with small values and none of the relay’s code, so its rate is what such calls allow.',
    ],
    figures: {
      pushes_per_second_1_target: perSecond(one.pushes, one),
      pushes_per_second_10_targets: perSecond(ten.pushes, ten),
      deploys_per_second_10_targets: perSecond(ten.deploys, ten),
      floor_pushes_per_second: perSecond(floor.pushes, floor),
      floor_with_relay_calls_pushes_per_second: perSecond(floorWithCalls.pushes, floorWithCalls),
    },
  };
}
