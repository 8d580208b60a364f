// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { createLocalPlatform, type LocalPlatform } from '../local/platform';
import path from 'node:path';
import { kvs } from '@forge/kvs';
import { type Receiver, startReceiver } from '../local/receiver';
import type { Target } from '../src/core/targets';
import { hookTarget, SIGNING_SECRET } from '../test/platform/app';
import { FLOOR_SECRET_KEY, FLOOR_TARGET_KEY, type FloorTarget, type RelayCalls } from './floor/src';
import { commitOf, hashOf, makePushEvent, type PushEventFixture } from '../test/fixtures/events';

/** When the first benchmark push happened; later pushes follow one second apart. */
const FIRST_PUSH_AT = Date.parse('2026-11-20T10:15:02.123Z');

/**
 * The n-th push of a benchmark: the fixture's branch push moved to `ref`, with a commit of its own (so
 * no push is skipped for a commit already deployed) and a later timestamp than push n-1 (pushes are ordered by it).
 */
export function pushTo(ref: string, n: number): PushEventFixture {
  const after = hashOf(n);
  return makePushEvent({
    timestamp: new Date(FIRST_PUSH_AT + n * 1000).toISOString(),
    push: { ref, after, commits: [commitOf(after, `Benchmark commit ${n}`)] },
  });
}

/**
 * Drains the queue and insists the happy path stayed happy: a retry or a dead event would mean the
 * benchmark timed (or counted) a fault, not the relay, so it stops with the consumer's own error.
 */
export async function drainCleanly(platform: LocalPlatform, concurrency = 1): Promise<void> {
  const result = await platform.drain({ concurrency });
  const dead = platform.deadLetters[0];
  if (result.retried > 0 || dead)
    throw new Error(
      `the pipeline did not run cleanly (${result.retried} retried, ${result.dead} dead)${dead ? `: ${dead.error ?? ''}` : ''}`,
    );
}

/** `count` signed-webhook targets, all aimed at the receiver and deploying the same branches. */
export const hookTargets = (receiver: Receiver, count: number, branches: string[]): Target[] =>
  Array.from({ length: count }, (_, i) => hookTarget(receiver, { id: `target-${i + 1}`, name: `Target ${i + 1}`, branches }));

/** The target with coalescing off: pushes queued together each deploy, in order, instead of only the newest. */
export const deployingEveryPush = (target: Target): Target => ({ ...target, options: { ...target.options, coalesce: false } });

/**
 * Bursts of pushes to `bench/<n>` branches, n counting on across bursts (each push its own commit and
 * a later time): each burst's pushes are emitted one after another (each push trigger runs to the end),
 * then the queue is drained with up to `concurrency` consumers at once.
 */
export function pushBursts(platform: LocalPlatform, concurrency: number): (count: number) => Promise<void> {
  let n = 0;
  return async (count) => {
    for (let i = 0; i < count; i++) await platform.emit(pushTo(`bench/${++n}`, n));
    await drainCleanly(platform, concurrency);
  };
}

/** An app on a fresh platform and the receiver its pushes deploy to. */
export interface Subject {
  platform: LocalPlatform;
  receiver: Receiver;
  close(): Promise<void>;
}

/**
 * The floor (bench/floor) on a fresh platform, its one target aimed at a new receiver (`respond` is
 * called for each request the receiver takes): the same pushes as the relay's, and requests signed
 * the same two ways (with a smaller body), through the same platform and SDK, with none of the
 * relay's own work; with `relayCalls`, with the relay's platform calls but still none of its code.
 */
export async function startFloor(respond?: (index: number) => number, relayCalls?: RelayCalls): Promise<Subject> {
  const platform = createLocalPlatform({ root: path.join(__dirname, 'floor') });
  const receiver = await startReceiver({ secret: SIGNING_SECRET, respond, now: platform.now });
  const target: FloorTarget = { url: receiver.url, ...(relayCalls ? { relayCalls } : {}) };
  await platform.run(async () => {
    await kvs.set(FLOOR_TARGET_KEY, target);
    await kvs.setSecret(FLOOR_SECRET_KEY, SIGNING_SECRET);
  });
  return {
    platform,
    receiver,
    async close() {
      await platform.close();
      await receiver.close();
    },
  };
}
