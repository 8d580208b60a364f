/**
 * What deploys cost on Forge, computed from what one run measures: each function's invocations and
 * their durations, the bytes every storage call sent and got back, and the bytes the app logged.
 * Forge bills functions by memory × duration (GB-seconds), KVS by the volume read and written, and
 * logs by the volume written, with one free allowance a month per app, shared by all its installations.
 */
// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { startApp } from '../test/platform/app';
import type { LocalPlatform } from '../local/platform';
import { drainCleanly, pushTo } from './pipeline';
import { type BenchResult, round } from './report';
import { digitalOceanVendor, type Scenario, webhooks } from './scenarios';

const DEPLOYS = 50;

/**
 * Forge platform pricing (developer.atlassian.com/platform/forge/forge-platform-pricing), per month and
 * app: the free allowance, and the price of what is used beyond it. ../shared/docs/forge-platform.md
 * says 200,000 GB-s are free since 2026-07; the pricing page says 100,000, and the publisher wins.
 */
export const FORGE_PRICING = {
  functionGbSeconds: { free: 100_000, usdEach: 0.000025 },
  kvsReadGb: { free: 0.1, usdEach: 0.055 },
  kvsWriteGb: { free: 0.1, usdEach: 1.09 },
  logGb: { free: 1, usdEach: 1.005 },
} as const;

/**
 * Forge publishes no latency for its storage, queue and product calls, which are network round trips
 * there and in-process here. The second duration figure adds this much per call, as an assumption.
 */
const ASSUMED_ROUND_TRIP_MS = 20;
/** Forge's pricing counts in GB, read here as 10^9 bytes: the smaller allowance of the two readings (1024^3 bytes would allow 7 % more). */
const GB = 1e9;
const READ_OPS = /(^|\/)(get|query)$/;

interface Usage {
  /** Per deploy. */
  gbSeconds: number;
  gbSecondsWithRoundTrips: number;
  kvsReadBytes: number;
  kvsWriteBytes: number;
  logBytes: number;
  invocations: number;
  platformCalls: number;
}

/** Runs `DEPLOYS` pushes one at a time through the scenario and adds up what Forge would bill. */
async function measure(scenario: Scenario): Promise<Usage> {
  const app = await startApp({ routes: scenario.routes });
  let logBytes = 0;
  const log = console.log;
  try {
    await app.configure(scenario.targets(app), scenario.secretsOf);
    // A first push loads the app's modules: not counted.
    await app.platform.emit(pushTo('main', 0));
    await drainCleanly(app.platform);
    app.platform.resetCalls();
    const deploysBefore = scenario.deploys(app);
    // What the functions print is what Forge stores as logs (the bench's own output is not theirs).
    console.log = (line: unknown) => {
      logBytes += Buffer.byteLength(String(line)) + 1;
    };
    for (let n = 1; n <= DEPLOYS; n++) {
      await app.platform.emit(pushTo('main', n));
      await drainCleanly(app.platform);
    }
    console.log = log;
    const deploys = scenario.deploys(app) - deploysBefore;
    if (deploys !== DEPLOYS) throw new Error(`${DEPLOYS} push(es) made ${deploys} deploy(s)`);
    return usageOf(app.platform, logBytes, deploys);
  } finally {
    console.log = log;
    await app.close();
  }
}

function usageOf(platform: LocalPlatform, logBytes: number, deploys: number): Usage {
  const memoryGb = (functionKey: string) => {
    const fn = platform.manifest.functions.get(functionKey);
    if (!fn) throw new Error(`an invocation of ${functionKey}, which manifest.yml does not name`);
    return fn.memoryMB / 1024;
  };
  // A vendor's request already took its (loopback) time within the invocation; Forge's own calls did not.
  const callsOf = new Map<string, number>();
  for (const call of platform.calls.filter((c) => c.seam !== 'egress'))
    callsOf.set(call.invocationId ?? '', (callsOf.get(call.invocationId ?? '') ?? 0) + 1);
  let gbSeconds = 0;
  let gbSecondsWithRoundTrips = 0;
  for (const run of platform.invocations) {
    const waited = (callsOf.get(run.invocationId) ?? 0) * ASSUMED_ROUND_TRIP_MS;
    gbSeconds += (memoryGb(run.functionKey) * run.ms) / 1000;
    gbSecondsWithRoundTrips += (memoryGb(run.functionKey) * (run.ms + waited)) / 1000;
  }
  const kvs = platform.calls.filter((call) => call.seam === 'kvs');
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    gbSeconds: gbSeconds / deploys,
    gbSecondsWithRoundTrips: gbSecondsWithRoundTrips / deploys,
    kvsReadBytes: sum(kvs.filter((call) => READ_OPS.test(call.op)).map((call) => call.responseBytes ?? 0)) / deploys,
    kvsWriteBytes: sum(kvs.filter((call) => !READ_OPS.test(call.op)).map((call) => call.requestBytes ?? 0)) / deploys,
    logBytes: logBytes / deploys,
    invocations: platform.invocations.length / deploys,
    platformCalls: platform.calls.length / deploys,
  };
}

/** How many deploys a month the free allowance covers: the first allowance they use up decides. */
function freeDeploysPerMonth(usage: Usage, gbSeconds: number): { deploys: number; limitedBy: string } {
  const limits: [string, number][] = [
    ['function GB-s', FORGE_PRICING.functionGbSeconds.free / gbSeconds],
    ['KVS reads', (FORGE_PRICING.kvsReadGb.free * GB) / usage.kvsReadBytes],
    ['KVS writes', (FORGE_PRICING.kvsWriteGb.free * GB) / usage.kvsWriteBytes],
    ['logs', (FORGE_PRICING.logGb.free * GB) / usage.logBytes],
  ];
  const [limitedBy, deploys] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { deploys: Math.floor(deploys), limitedBy };
}

/** Dollars per 1,000 deploys once the allowance is used up. */
const usdPerThousand = (usage: Usage, gbSeconds: number): number =>
  1000 *
  (gbSeconds * FORGE_PRICING.functionGbSeconds.usdEach +
    (usage.kvsReadBytes / GB) * FORGE_PRICING.kvsReadGb.usdEach +
    (usage.kvsWriteBytes / GB) * FORGE_PRICING.kvsWriteGb.usdEach +
    (usage.logBytes / GB) * FORGE_PRICING.logGb.usdEach);

export async function cost(): Promise<BenchResult> {
  const hook = await measure(webhooks(1));
  const vendor = await digitalOceanVendor();
  const followed = await measure(vendor.scenario).finally(() => vendor.close());
  const kb = (bytes: number) => round((bytes * 1000) / 1e6, 2);
  const rowsOf = (usage: Usage) => {
    const free = freeDeploysPerMonth(usage, usage.gbSeconds);
    const freeOnForge = freeDeploysPerMonth(usage, usage.gbSecondsWithRoundTrips);
    return {
      cells: [
        round(usage.invocations, 1),
        round(usage.platformCalls, 1),
        round(usage.gbSeconds * 1000, 3),
        round(usage.gbSecondsWithRoundTrips * 1000, 1),
        kb(usage.kvsReadBytes),
        kb(usage.kvsWriteBytes),
        kb(usage.logBytes),
        `${free.deploys.toLocaleString('en')} (${free.limitedBy})`,
        `${freeOnForge.deploys.toLocaleString('en')} (${freeOnForge.limitedBy})`,
        round(usdPerThousand(usage, usage.gbSecondsWithRoundTrips), 4),
      ],
      free,
      freeOnForge,
    };
  };
  const hookRow = rowsOf(hook);
  const followedRow = rowsOf(followed);
  return {
    name: 'cost',
    title: `Cost on Forge per 1,000 deploys, from ${DEPLOYS} deploys measured per row (prices and allowances: Forge platform pricing)`,
    columns: [
      'target',
      'invocations / deploy',
      'platform calls / deploy',
      'GB-s (local durations)',
      `GB-s (+${ASSUMED_ROUND_TRIP_MS} ms a call)`,
      'KVS read MB',
      'KVS written MB',
      'logs MB',
      'free deploys / month (local)',
      `free deploys / month (+${ASSUMED_ROUND_TRIP_MS} ms)`,
      'USD beyond the allowance',
    ],
    rows: [
      ['signed webhook', ...hookRow.cells],
      ['DigitalOcean, followed (3 status reads)', ...followedRow.cells],
    ],
    notes: [
      'GB-seconds: each invocation\'s memory (manifest.yml\'s runtime.memoryMB, 512 MB unless set) × its duration, summed over the trigger, the worker and the poller (Forge: "function duration × memory").',
      `Local durations are in-process; on Forge every storage, queue and Bitbucket call is a network round trip whose time Forge does not publish: the second figure adds an assumed ${ASSUMED_ROUND_TRIP_MS} ms per such call. Vendors answer from 127.0.0.1 here, within the measured durations.`,
      'KVS volume: the request bodies of writes (key, value and options as the SDK sends them) and the answers to reads, in MB of 10^6 bytes (GB of 10^9 for the allowance). Logs: the bytes the functions print.',
      `Free each month, per app and shared by all its installations: ${FORGE_PRICING.functionGbSeconds.free.toLocaleString('en')} GB-s, ${FORGE_PRICING.kvsReadGb.free} GB KVS reads, ${FORGE_PRICING.kvsWriteGb.free} GB KVS writes, ${FORGE_PRICING.logGb.free} GB logs; beyond: $${FORGE_PRICING.functionGbSeconds.usdEach} a GB-s, $${FORGE_PRICING.kvsReadGb.usdEach} / $${FORGE_PRICING.kvsWriteGb.usdEach} a GB read / written, $${FORGE_PRICING.logGb.usdEach} a GB of logs.`,
    ],
    figures: {
      gb_seconds_per_1000_webhook_deploys: round(hook.gbSecondsWithRoundTrips * 1000, 2),
      kvs_read_mb_per_1000_webhook_deploys: kb(hook.kvsReadBytes),
      kvs_written_mb_per_1000_webhook_deploys: kb(hook.kvsWriteBytes),
      log_mb_per_1000_webhook_deploys: kb(hook.logBytes),
      free_webhook_deploys_per_month: hookRow.freeOnForge.deploys,
      gb_seconds_per_1000_followed_deploys: round(followed.gbSecondsWithRoundTrips * 1000, 2),
      kvs_read_mb_per_1000_followed_deploys: kb(followed.kvsReadBytes),
      kvs_written_mb_per_1000_followed_deploys: kb(followed.kvsWriteBytes),
      log_mb_per_1000_followed_deploys: kb(followed.logBytes),
      free_followed_deploys_per_month: followedRow.freeOnForge.deploys,
    },
  };
}
