/**
 * Relay overhead: how long a push takes from entering the trigger to its deploy request arriving at a
 * signed-webhook receiver, against a bare `fetch` of the very same request to the same receiver.
 * The two are measured alternately in one run (after a warm-up), so a busy spell on the machine falls on
 * both rather than on one; the ratio of their medians is the figure to compare, the milliseconds depend
 * on the machine (and the relay, being CPU work, suffers more from a busy one than a loopback fetch).
 * The same is measured for the floor (bench/floor), the least app that deploys a push on this platform,
 * and for the floor making the relay's platform calls, so the relay's own code is told apart from what
 * its calls, the platform and the SDK cost.
 */
// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { hookTarget, startApp } from '../test/platform/app';
import { drainCleanly, pushTo, startFloor, type Subject } from './pipeline';
import { type BenchResult, percentile, round } from './report';

/** Every block starts on a fresh platform, so each one times the same empty store. */
const BLOCKS = 6;
const PAIRS_PER_BLOCK = 50;
/** Per block, not counted: a fresh platform's first deploy also creates the target's state. */
const WARM_UP_PAIRS = 5;
/** Rounds (a block of each app) before the counted ones, while V8 compiles the hot code (bench/throughput.ts says how long that takes). */
const WARM_UP_ROUNDS = 10;

interface Samples {
  /** Push to arrival at the receiver. */
  arrival: number[];
  idle: number[];
  bare: number[];
}

type StartSubject = (respond: (index: number) => number) => Promise<Subject>;

/** The relay itself, with one signed-webhook target on the pushed branch. */
const startRelay: StartSubject = async (respond) => {
  const app = await startApp({ respond });
  await app.configure([hookTarget(app.receiver)]);
  return app;
};

async function measureBlock(start: StartSubject, into: Samples): Promise<void> {
  // The receiver's answer callback runs once the body is in and both signatures are checked: the
  // same moment for either sender, read on the same clock as the start.
  const arrivals: number[] = [];
  const app = await start((index) => {
    arrivals[index] = performance.now();
    return 200;
  });
  try {
    let pushes = 0;

    /** One push, emitted and drained: time to arrival, and time until the pipeline is idle again. */
    const pushOnce = async (): Promise<{ toArrival: number; untilIdle: number }> => {
      const index = app.receiver.deliveries.length;
      const event = pushTo('main', ++pushes);
      const start = performance.now();
      await app.platform.emit(event);
      await drainCleanly(app.platform);
      const idle = performance.now();
      const arrived = arrivals[index];
      if (arrived === undefined || app.receiver.deliveries.length !== index + 1 || app.receiver.deliveries[index]?.status !== 200)
        throw new Error(`push ${pushes} did not deliver exactly one request the receiver accepted`);
      return { toArrival: arrived - start, untilIdle: idle - start };
    };

    /** The app's latest request, replayed as is: same URL, headers (signatures included) and body. */
    const bareOnce = async (): Promise<number> => {
      const sent = app.platform.egressLog.at(-1);
      if (!sent) throw new Error('the app has not sent a request to replay');
      const index = app.receiver.deliveries.length;
      const start = performance.now();
      // Outside any invocation the platform's egress guard hands the call straight to Node's fetch.
      const response = await fetch(sent.url, { method: sent.method, headers: sent.headers, body: sent.body });
      await response.arrayBuffer();
      const arrived = arrivals[index];
      if (response.status !== 200 || arrived === undefined)
        throw new Error(`the receiver answered the replayed request ${response.status}`);
      return arrived - start;
    };

    for (let pair = 0; pair < WARM_UP_PAIRS + PAIRS_PER_BLOCK; pair++) {
      // Alternate which goes first (the push on the first pair: the bare fetch replays its request),
      // so neither always runs right after the other's garbage.
      const pushFirst = pair % 2 === 0;
      const bareBefore = pushFirst ? undefined : await bareOnce();
      const r = await pushOnce();
      const b = bareBefore ?? (await bareOnce());
      if (pair < WARM_UP_PAIRS) continue;
      into.arrival.push(r.toArrival);
      into.idle.push(r.untilIdle);
      into.bare.push(b);
    }
  } finally {
    await app.close();
  }
}

export async function overhead(): Promise<BenchResult> {
  const noSamples = (): Samples => ({ arrival: [], idle: [], bare: [] });
  const [relay, floor, floorWithCalls] = [noSamples(), noSamples(), noSamples()];
  const apps: [StartSubject, Samples][] = [
    [startRelay, relay],
    [startFloor, floor],
    [(respond) => startFloor(respond, 'coalescing'), floorWithCalls],
  ];
  // The three take turns, block by block, so each is as warm as the others and a busy spell falls on
  // all; each round starts with the next, so none always runs right after another's garbage.
  for (let lap = 0; lap < WARM_UP_ROUNDS + BLOCKS; lap++) {
    for (let turn = 0; turn < apps.length; turn++) {
      const [start, samples] = apps[(lap + turn) % apps.length] as [StartSubject, Samples];
      await measureBlock(start, lap >= WARM_UP_ROUNDS ? samples : noSamples());
    }
  }
  const p50 = (xs: number[]) => percentile(xs, 50);
  const ratioOf = (samples: Samples) => p50(samples.arrival) / p50(samples.bare);
  const ms = (xs: number[]) => [round(p50(xs)), round(percentile(xs, 99))];
  const floorRows = (name: string, samples: Samples) => [
    [`${name}: push → receiver`, ...ms(samples.arrival)],
    [`${name}: bare fetch of its request`, ...ms(samples.bare)],
    [`${name} until idle`, ...ms(samples.idle)],
    [`${name} ratio of medians (push / bare)`, round(ratioOf(samples)), ''],
  ];
  return {
    name: 'overhead',
    title: `Relay overhead: push → request at the receiver, vs a bare fetch of the same request (${relay.arrival.length} each, alternating)`,
    columns: ['path', 'p50 ms', 'p99 ms'],
    rows: [
      ['relay: trigger → queue → worker → receiver', ...ms(relay.arrival)],
      ['bare fetch of the same request', ...ms(relay.bare)],
      ['relay until idle (commit status and history written)', ...ms(relay.idle)],
      ['relay minus bare (medians)', round(p50(relay.arrival) - p50(relay.bare)), ''],
      ['ratio of medians (relay / bare)', round(ratioOf(relay)), ''],
      ...floorRows('floor (bench/floor)', floor),
      ...floorRows('floor with the relay’s calls', floorWithCalls),
    ],
    notes: [
      `Wall clock (performance.now()) in one process, in ${BLOCKS} blocks of ${PAIRS_PER_BLOCK} pairs, each on a fresh platform after ${WARM_UP_PAIRS} uncounted pairs, after ${WARM_UP_ROUNDS} uncounted rounds of blocks for V8 to compile the hot code; the apps take turns, each round starting with the next. The queue's virtual clock only matters for delays, and the happy path has none.`,
      'All times to the receiver end when it has read the body and checked both signatures, so its own work is in each; the commit status and the recorded answer come after, in "until idle" only.',
      'The floor is what the platform and the SDK cost on their own: a trigger that reads one key and queues the push, a consumer that reads the secret and signs its request the same two ways. It keeps none of the relay’s promises (no record or lease before the request leaves, no order, no commit status, no check of what it reads), so the relay’s time above it is what those cost.',
      'The floor with the relay’s calls makes the platform calls a relay webhook deploy makes, as the calls table counts them, of the same kinds and number but with small values, and none of the relay’s code around them: the trigger also writes the push’s mark and newest push; the consumer reads four keys in one batch and moves the state on in a conditional transaction before it sends, then posts one commit status and records the answer in a second transaction. Its time above the floor is what such calls cost; the relay’s time above it is its own code and its larger values (a state and records of about 1 KB each).',
      'The relay time is the real SDK on the local platform: the trigger, the in-memory SQLite store, the queue broker and the worker. On Forge each storage, queue and Bitbucket call is a network hop that no local run shows.',
    ],
    figures: {
      overhead_ratio: round(ratioOf(relay)),
      overhead_p50_ms: round(p50(relay.arrival)),
      overhead_p99_ms: round(percentile(relay.arrival, 99)),
      bare_fetch_p50_ms: round(p50(relay.bare)),
      bare_fetch_p99_ms: round(percentile(relay.bare, 99)),
      floor_ratio: round(ratioOf(floor)),
      floor_p50_ms: round(p50(floor.arrival)),
      floor_with_relay_calls_ratio: round(ratioOf(floorWithCalls)),
      floor_with_relay_calls_p50_ms: round(p50(floorWithCalls.arrival)),
    },
  };
}
