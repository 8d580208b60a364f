/**
 * What Forge does not promise, done on purpose. Forge delivers queue events at least once, retries for
 * hours, does not keep the order of a concurrency key and, rarely, runs two invocations of one key at
 * once; its storage and queue services fail now and then, sometimes after a write took effect. A
 * platform that never does these things proves nothing about an app that must survive them, so the
 * local platform can do each of them, at rates set here, from one seeded random source (a failing run
 * replays with its seed).
 */
import { seededRandom } from './random';

export interface HarshProfile {
  seed: number;
  /** Events that are due together are delivered in random order, whatever their concurrency key. */
  reorder: boolean;
  /** Share of deliveries that are delivered once more, up to two minutes later. */
  duplicateRate: number;
  /** Share of events that may start while another event of their concurrency key runs. */
  overlapRate: number;
  /** Share of invocations that stop for good at one of their platform calls, after it took effect, and time out. */
  crashRate: number;
  /** Share of KVS writes that fail: half before they apply, half after (the write happened, the answer is lost). */
  kvsWriteFailRate: number;
  /** Share of queue pushes the queue service refuses (500 or 429), queueing nothing. */
  queuePushFailRate: number;
}

/** The rates the fault runs use: every fault happens hundreds of times in 10,000 pushes. */
export const HARSH_DEFAULTS: Omit<HarshProfile, 'seed'> = {
  reorder: true,
  duplicateRate: 0.03,
  overlapRate: 0.02,
  crashRate: 0.01,
  kvsWriteFailRate: 0.02,
  queuePushFailRate: 0.02,
};

export const harshProfile = (seed: number, overrides: Partial<Omit<HarshProfile, 'seed'>> = {}): HarshProfile => ({
  ...HARSH_DEFAULTS,
  ...overrides,
  seed,
});

/** What each fault did, so a run can print it and a test can show the fault really happens. */
export type HarshFault =
  | 'reordered'
  | 'duplicated'
  | 'overlapped'
  | 'crashed'
  | 'kvs write failed before applying'
  | 'kvs write failed after applying'
  | 'queue push refused';

export interface Harshness {
  profile: HarshProfile;
  /** True with the given probability, from the profile's seeded source. */
  chance(rate: number): boolean;
  /** An integer from 0 to n - 1. */
  pick(n: number): number;
  count(fault: HarshFault): void;
  readonly counts: ReadonlyMap<HarshFault, number>;
}

export function createHarshness(profile: HarshProfile): Harshness {
  const random = seededRandom(profile.seed);
  const counts = new Map<HarshFault, number>();
  return {
    profile,
    chance: (rate) => rate > 0 && random() < rate,
    pick: (n) => Math.floor(random() * n),
    count: (fault) => void counts.set(fault, (counts.get(fault) ?? 0) + 1),
    counts,
  };
}
