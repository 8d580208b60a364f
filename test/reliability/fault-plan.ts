/**
 * Which provider calls and Bitbucket status posts fail, and how. Seeded: the traffic is the same for
 * a seed, while which request meets which fault also follows the order requests arrive in, which the
 * concurrent queue may change from run to run.
 */

import { seededRandom } from '../../local/random';

export { seededRandom };

/** `lost answer`: the vendor acts on the request, then the connection drops before the answer (a time-out after acceptance). */
export type ProviderFault = '500' | '502' | '503' | '429' | '429 Retry-After' | 'lost answer' | 'timeout';
export type BitbucketFault = '500' | '429' | '429 Retry-After';

/** Equal shares of the answers; timeouts come from allowTimeouts (see FaultPlan). */
const PROVIDER_MIX: readonly [ProviderFault, number][] = [
  ['500', 1],
  ['502', 1],
  ['503', 1],
  ['429', 1],
  ['429 Retry-After', 1],
  ['lost answer', 1],
];
const BITBUCKET_MIX: readonly [BitbucketFault, number][] = [
  ['500', 1],
  ['429', 1],
  ['429 Retry-After', 1],
];

export interface FaultPlanOptions {
  seed: number;
  /** Share of provider calls answered with a fault by the servers (refused connections come on top). */
  providerRate: number;
  /** Share of Bitbucket commit-status posts that fail. */
  bitbucketRate: number;
}

export interface FaultPlan {
  /** The fault for one provider call from `caller` (a target), or null to answer it normally. */
  providerFault(caller: string): ProviderFault | null;
  bitbucketFault(): BitbucketFault | null;
  /** Seconds for a Retry-After header: short, as vendors send for a burst. */
  retryAfterSeconds(): number;
  /**
   * The app's timeout is real time (20 s), not the queue's virtual clock: a held request stalls every
   * delivery that waits for the clock to move. So the scenario allows a few where other work runs
   * beside them (the first faults after this call become timeouts), and a caller never has two held.
   */
  allowTimeouts(count: number): void;
  release(caller: string): void;
  readonly injected: Map<string, number>;
}

function pick<T>(mix: readonly [T, number][], random: () => number): T {
  const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
  let at = random() * total;
  for (const [value, weight] of mix) {
    at -= weight;
    if (at < 0) return value;
  }
  return mix[mix.length - 1]![0];
}

export function createFaultPlan(options: FaultPlanOptions): FaultPlan {
  const random = seededRandom(options.seed);
  const injected = new Map<string, number>();
  const holding = new Set<string>();
  let timeoutsLeft = 0;
  const count = (what: string) => injected.set(what, (injected.get(what) ?? 0) + 1);

  const plan: FaultPlan = {
    injected,
    providerFault(caller) {
      if (random() >= options.providerRate) return null;
      let fault: ProviderFault;
      if (timeoutsLeft > 0 && !holding.has(caller)) {
        timeoutsLeft -= 1;
        holding.add(caller);
        fault = 'timeout';
      } else fault = pick(PROVIDER_MIX, random);
      count(`provider ${fault}`);
      return fault;
    },
    bitbucketFault() {
      if (random() >= options.bitbucketRate) return null;
      const fault = pick(BITBUCKET_MIX, random);
      count(`bitbucket ${fault}`);
      return fault;
    },
    retryAfterSeconds: () => 1 + Math.floor(random() * 30),
    allowTimeouts: (count) => void (timeoutsLeft = count),
    release: (caller) => void holding.delete(caller),
  };
  return plan;
}
