// The platform comes first: importing it wraps the global fetch before @forge/api captures it.
import { createLocalPlatform, type BitbucketSeam, type LocalPlatform } from '../../local/platform';
import { InternalServerError, Queue, RateLimitError } from '@forge/events';
import { ForgeKvsAPIError, kvs } from '@forge/kvs';
import path from 'node:path';
import { HARSH_DEFAULTS, harshProfile, type HarshProfile } from '../../local/harsh';
import { flaky, ledger } from './fixture-app/src';

/**
 * What the harsh platform does that Forge may do (issue 9): each test shows its fault really happens
 * at the rates the fault runs use (HARSH_DEFAULTS), so a fault switched off, or a rate set to 0, fails
 * here instead of quietly making the fault runs kinder than Forge.
 */

const root = path.join(__dirname, 'fixture-app');
const bitbucket: BitbucketSeam = { handle: async () => Response.json({}), recordPush: () => undefined };
const EVENTS = 600;

let platform: LocalPlatform<BitbucketSeam>;
const start = (profile: HarshProfile, options: { maxRetries?: number } = {}) => {
  platform = createLocalPlatform({ root, bitbucket, harsh: profile, ...options });
  return platform;
};
afterEach(async () => {
  await platform?.close();
  ledger.deliveries.length = 0;
  ledger.running.clear();
  ledger.maxRunning = 0;
  flaky.length = 0;
});

/** `count` ledger events of one concurrency key (limit 1), in 50-event pushes, spread over virtual minutes to stay under Forge's rate. */
async function pushLedger(count: number, profile: HarshProfile): Promise<void> {
  const p = start(profile);
  for (let first = 0; first < count; first += 50) {
    const events = Array.from({ length: Math.min(50, count - first) }, (_, i) => ({
      body: { n: first + i, key: 'one-key' },
      concurrency: { key: 'one-key', limit: 1 },
    }));
    await p.run(() => new Queue({ key: 'ledger' }).push(events));
    p.advanceClock(10_000);
  }
}

/** Only the named fault on, at its fault-run rate; every other off. */
const only = (fault: keyof typeof HARSH_DEFAULTS): HarshProfile =>
  harshProfile(7, {
    reorder: false,
    duplicateRate: 0,
    overlapRate: 0,
    crashRate: 0,
    kvsWriteFailRate: 0,
    queuePushFailRate: 0,
    [fault]: HARSH_DEFAULTS[fault],
  });

describe('the harsh local platform', () => {
  it('delivers the events of one concurrency key out of order', async () => {
    await pushLedger(EVENTS, only('reorder'));
    await platform.drain({ maxDeliveries: 100_000 });
    const order = ledger.deliveries.map((d) => d.n);
    expect(order.some((n, i) => i > 0 && n < (order[i - 1] as number))).toBe(true);
    expect(platform.harshFaults().get('reordered')).toBeGreaterThan(0);
    expect(new Set(order).size).toBe(EVENTS);
  });

  it('delivers some events twice, with the same event id', async () => {
    await pushLedger(EVENTS, only('duplicateRate'));
    await platform.drain({ maxDeliveries: 100_000 });
    const byId = new Map<string, number>();
    for (const d of ledger.deliveries) byId.set(d.eventId, (byId.get(d.eventId) ?? 0) + 1);
    expect([...byId.values()].some((n) => n > 1)).toBe(true);
    expect(ledger.deliveries.length).toBeGreaterThan(EVENTS);
  });

  it('sometimes runs two invocations of one concurrency key at once', async () => {
    await pushLedger(EVENTS, only('overlapRate'));
    await platform.drain({ concurrency: 8, maxDeliveries: 100_000 });
    expect(ledger.maxRunning).toBeGreaterThanOrEqual(2);
    expect(platform.harshFaults().get('overlapped')).toBeGreaterThan(0);
  });

  it('stops some invocations after a platform call took effect and retries them as timed out', async () => {
    await pushLedger(EVENTS, only('crashRate'));
    await platform.drain({ maxDeliveries: 100_000 });
    expect(platform.harshFaults().get('crashed')).toBeGreaterThan(0);
    const retried = ledger.deliveries.filter((d) => d.retryReason === 'FUNCTION_TIME_OUT');
    expect(retried.length).toBeGreaterThan(0);
    // The stopped invocation's write happened: the effect stays though its answer never came back.
    const stored = await platform.run(() => kvs.get(`ledger:${retried[0]?.n ?? -1}`));
    expect(stored).toEqual({ n: retried[0]?.n });
  });

  it('fails some KVS writes before they apply and some after', async () => {
    const p = start(only('kvsWriteFailRate'));
    const failed: string[] = [];
    await p.run(async () => {
      for (let n = 0; n < EVENTS; n += 1) {
        await kvs.set(`w:${n}`, n).catch((error: unknown) => {
          expect(error).toBeInstanceOf(ForgeKvsAPIError);
          expect((error as ForgeKvsAPIError).responseDetails.status).toBe(500);
          failed.push(`w:${n}`);
        });
      }
    });
    const landed = await p.run(async () => Promise.all(failed.map(async (key) => (await kvs.get(key)) !== undefined)));
    expect(landed).toContain(true);
    expect(landed).toContain(false);
  });

  it('refuses some queue pushes', async () => {
    const p = start(only('queuePushFailRate'));
    const errors: unknown[] = [];
    await p.run(async () => {
      for (let n = 0; n < 200; n += 1) {
        await new Queue({ key: 'ledger' }).push({ body: { n, key: 'k' } }).catch((error: unknown) => errors.push(error));
        p.advanceClock(1_000);
      }
    });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof RateLimitError || e instanceof InternalServerError)).toBe(true);
  });
});

describe('Forge limits the local platform keeps, harsh or not', () => {
  it('refuses more than 500 events a minute with 429, and takes them again a minute later', async () => {
    const p = start(only('reorder'));
    await p.run(async () => {
      const queue = new Queue({ key: 'ledger' });
      for (let i = 0; i < 10; i += 1) await queue.push(Array.from({ length: 50 }, (_, n) => ({ body: { n: i * 50 + n, key: 'k' } })));
      await expect(queue.push({ body: { n: 500, key: 'k' } })).rejects.toBeInstanceOf(RateLimitError);
    });
    p.advanceClock(60_000);
    await p.run(() => new Queue({ key: 'ledger' }).push({ body: { n: 501, key: 'k' } }));
  });

  it('retries a product event whose trigger asks for it at most four times, and one whose trigger throws not at all', async () => {
    const p = start(only('reorder'));
    await p.emit({ eventType: 'avi:fixture:flaky' });
    await p.emit({ eventType: 'avi:fixture:throws' });
    await p.drain();
    expect(flaky.filter((f) => f.type === 'avi:fixture:flaky').map((f) => f.retryCount)).toEqual([0, 1, 2, 3, 4]);
    expect(flaky.filter((f) => f.type === 'avi:fixture:throws')).toHaveLength(1);
    expect(p.deadLetters.map((d) => d.queueName)).toEqual(['trigger:flaky-trigger']);
  });

  it('refuses to deliver a Bitbucket event that does not fit Forge type reference', async () => {
    const p = start(only('reorder'));
    await expect(p.emit({ eventType: 'avi:bitbucket:push:repository', push: { ref: 'main', mainbranch: 'main' } })).rejects.toThrow(
      /Forge never sends this avi:bitbucket:push:repository event/,
    );
  });
});
