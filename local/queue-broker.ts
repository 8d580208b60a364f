/**
 * The async-events queue as @forge/events 3.x sees it, on a virtual clock.
 *
 * Wire: `Queue.push` posts `{queueName, jobId, type, schema, payload: events, time}` through the
 * stargate remote to `/webhook/queue/publish/{contextAri}/{environmentId}/{appId}/{appVersion}` (the
 * braces are literal: the real proxy fills them in) and accepts only 201; `getStats` posts to
 * `/webhook/queue/stats/...` (200 `{success, inProgress, failed}`), `cancel` to `/webhook/queue/cancel/...` (204).
 * A push past Forge's 500 events a minute per installation answers 429 (the SDK's RateLimitError).
 *
 * Retries follow Forge's async events page (@forge/events ≥ 2): a consumer that returns an
 * InvocationError is called again after `retryAfter` seconds (clamped to 1..900); one that throws or
 * times out is retried with exponential backoff up to about 15 minutes; an event is dropped once its
 * 24-hour retention window is over. `maxRetries` adds a cap (@forge/events 1.x and product events: 4).
 *
 * Product events (triggers) that ask for a retry come back through here too, at most four times, as
 * Forge's product events page says.
 *
 * With a harsh profile (harsh.ts) it also does what Forge may: due events in random order, events
 * delivered twice, two invocations of one concurrency key at once.
 */
import { randomUUID } from 'node:crypto';
import { Heap } from '@datastructures-js/heap';
import type { Harshness } from './harsh';
import type { ConsumerDef } from './manifest';
import { emptyAnswer, jsonAnswer } from './seam-answer';

export interface RetryContext {
  retryCount: number;
  retryReason: string;
  retryData: unknown;
  retentionWindow: { startTime: string; remainingTimeMs: number };
}

export interface AsyncEvent {
  body: Record<string, unknown>;
  queueName: string;
  jobId: string;
  eventId: string;
  retryContext?: RetryContext;
}

export interface DeliveryOutcome {
  ok: boolean;
  value?: unknown;
  error?: Error;
  /** The invocation ran past its time limit (or was stopped): Forge retries it as a failure. */
  timedOut?: boolean;
}
export interface DeadLetter {
  queueName: string;
  body: unknown;
  error?: string;
  jobId: string;
  eventId: string;
  retryCount: number;
}
export interface DrainOptions {
  maxDeliveries?: number;
  concurrency?: number;
  /** False: deliver only what is due now, leaving delayed events (a test looks between the steps). */
  advanceClock?: boolean;
}
export interface DrainResult {
  delivered: number;
  retried: number;
  dead: number;
}

/** Who published: the consumer later runs in the same installation (workspace). */
export interface PublishOrigin {
  workspaceUuid?: string;
}

export interface VirtualClock {
  now(): number;
  advanceTo(ms: number): void;
}

/** What the broker hands the platform to run: a queue event for its consumer, or a product event for its trigger again. */
export type Delivery =
  | { kind: 'queue'; functionKey: string; event: AsyncEvent; origin: PublishOrigin }
  | { kind: 'product'; functionKey: string; moduleKey: string; event: Record<string, unknown>; origin: PublishOrigin };

export interface QueueBrokerOptions {
  consumers: ConsumerDef[];
  clock: VirtualClock;
  deliver(delivery: Delivery): Promise<DeliveryOutcome>;
  log(line: string): void;
  /** Extra cap on retries per queue event; Forge itself has none beyond the retention window. */
  maxRetries?: number;
  /** Forge's limit per installation; every push past it in a minute of virtual time answers 429. */
  eventsPerMinute?: number;
  harsh?: Harshness;
}

export interface QueueBroker {
  handle(path: string, init: RequestInit | undefined, origin: PublishOrigin): Promise<Response>;
  /** The next `count` publishes answer `status` and queue nothing (Forge's queue service failing). */
  failPublishes(count: number, status?: number): void;
  /** A product event whose trigger asked for a retry (or failed): delivered again after `afterSeconds`. */
  retryProductEvent(
    entry: { functionKey: string; moduleKey: string; event: Record<string, unknown>; origin: PublishOrigin },
    outcome: DeliveryOutcome,
  ): boolean;
  drain(options?: DrainOptions): Promise<DrainResult>;
  pending(): number;
  deadLetters: DeadLetter[];
}

interface Pending {
  seq: number;
  dueAt: number;
  enqueuedAt: number;
  delivery: Delivery;
  retryCount: number;
  concurrency?: { key: string; limit: number };
  /** Drawn once when queued (harsh profile): this event may run beside another of its key. */
  mayOverlap: boolean;
}

interface RetryPlan {
  afterMs: number;
  reason: string;
  data: unknown;
  error?: string;
}

const RETENTION_MS = 24 * 3_600_000;
const MAX_RETRY_AFTER_S = 900;
const DEFAULT_MAX_DELIVERIES = 10_000;
const EVENTS_PER_MINUTE = 500;
/** Forge's product events page: "You can only retry an event for a maximum of four times." */
const PRODUCT_EVENT_RETRIES = 4;
/** A duplicate arrives within this long of the delivery it repeats. */
const DUPLICATE_WITHIN_MS = 120_000;
/** InvocationErrorCode.FUNCTION_RETRY_REQUEST: what InvocationError uses when no reason is given. */
const RETRY_REQUEST = 'FUNCTION_RETRY_REQUEST';
/** Forge does not document the reason given for a thrown error; @forge/api names hosted-code errors so. */
const THROWN_REASON = 'FUNCTION_ERR';
const TIMED_OUT_REASON = 'FUNCTION_TIME_OUT';

export function createVirtualClock(start: number): VirtualClock {
  let current = start;
  return {
    now: () => current,
    advanceTo: (ms) => {
      current = Math.max(current, ms);
    },
  };
}

export function createQueueBroker(options: QueueBrokerOptions): QueueBroker {
  const { clock, harsh } = options;
  /** Waiting events, the earliest due first (ties in publish order). */
  let queue = new Heap<Pending>(byDueThenSeq);
  /**
   * Due events whose concurrency key was full when they came up, per key, earliest first: they go back
   * into the queue as their key's deliveries end, so no look for the next event walks past them.
   */
  const parked = new Map<string, Heap<Pending>>();
  /** Events not yet delivered: queued or parked. */
  const undelivered = (): number => [...parked.values()].reduce((sum, heap) => sum + heap.size(), queue.size());
  const deadLetters: DeadLetter[] = [];
  const jobs = new Map<string, { success: number; failed: number }>();
  const running = new Map<string, number>();
  /** When each recently published event was accepted, for the per-minute limit. */
  const published: number[] = [];
  const eventsPerMinute = options.eventsPerMinute ?? EVENTS_PER_MINUTE;
  let inFlight = 0;
  let seq = 0;

  const consumerOf = (queueName: string): string | undefined => options.consumers.find((c) => c.queue === queueName)?.functionKey;

  function enqueue(entry: Omit<Pending, 'seq' | 'mayOverlap'>): void {
    queue.push({ ...entry, seq: seq++, mayOverlap: harsh?.chance(harsh.profile.overlapRate) ?? false });
  }

  function park(p: Pending): void {
    const key = (p.concurrency as { key: string }).key;
    let waiting = parked.get(key);
    if (!waiting) parked.set(key, (waiting = new Heap<Pending>(byDueThenSeq)));
    waiting.push(p);
  }

  /** A delivery of `key` ended: its parked events go back into the queue, earliest first, while each has room under its own limit. */
  function unpark(key: string): void {
    const waiting = parked.get(key);
    if (!waiting) return;
    const busy = running.get(`key:${key}`) ?? 0;
    for (let moved = 0; !waiting.isEmpty() && busy + moved < ((waiting.top() as Pending).concurrency?.limit ?? 0); moved++) {
      queue.push(waiting.pop() as Pending);
    }
    if (waiting.isEmpty()) parked.delete(key);
  }

  const everyPending = (): Pending[] => [queue, ...parked.values()].flatMap((heap) => heap.toArray());

  let publishFaults: { left: number; status: number } = { left: 0, status: 500 };

  /** Forge counts events per installation over a minute; the window slides on virtual time. */
  function overRateLimit(count: number): boolean {
    const since = clock.now() - 60_000;
    while (published.length > 0 && (published[0] ?? 0) <= since) published.shift();
    return published.length + count > eventsPerMinute;
  }

  function publish(request: PublishRequest, origin: PublishOrigin): Response {
    if (publishFaults.left > 0) {
      publishFaults.left -= 1;
      return errorResponse(publishFaults.status, `injected fault: the queue service answered ${publishFaults.status}`);
    }
    if (harsh?.chance(harsh.profile.queuePushFailRate)) {
      harsh.count('queue push refused');
      const status = harsh.pick(2) === 0 ? 500 : 429;
      return errorResponse(status, `harsh platform: the queue service answered ${status}`);
    }
    const functionKey = consumerOf(request.queueName);
    // Pushing to a queue no consumer reads is almost always a typo of the key; say so at once.
    if (!functionKey) return errorResponse(400, `no consumer in manifest.yml reads queue "${request.queueName}"`);
    if (overRateLimit(request.payload.length)) {
      return errorResponse(429, `rate limited: more than ${eventsPerMinute} events in a minute for this installation`);
    }
    jobs.set(request.jobId, { success: 0, failed: 0 });
    for (const pushed of request.payload) {
      published.push(clock.now());
      enqueue({
        dueAt: clock.now() + (pushed.delayInSeconds ?? 0) * 1000,
        enqueuedAt: clock.now(),
        delivery: {
          kind: 'queue',
          functionKey,
          event: { body: pushed.body, queueName: request.queueName, jobId: request.jobId, eventId: randomUUID() },
          origin,
        },
        retryCount: 0,
        concurrency: pushed.concurrency,
      });
    }
    options.log(`queue ${request.queueName}: published ${request.payload.length} event(s), job ${request.jobId}`);
    return jsonAnswer(201, { jobId: request.jobId });
  }

  const jobIdOf = (p: Pending): string | undefined => (p.delivery.kind === 'queue' ? p.delivery.event.jobId : undefined);

  function stats(jobId: string): Response {
    const job = jobs.get(jobId);
    if (!job) return errorResponse(404, `job ${jobId} not found`);
    let inProgress = running.get(`job:${jobId}`) ?? 0;
    for (const p of everyPending()) if (jobIdOf(p) === jobId) inProgress++;
    return jsonAnswer(200, { ...job, inProgress });
  }

  function cancel(jobId: string): Response {
    if (!jobs.has(jobId)) return errorResponse(404, `job ${jobId} not found`);
    const kept = everyPending().filter((p) => jobIdOf(p) !== jobId);
    // Rare (a job canceled): the kept events are sorted afresh, and the parked ones go back into the queue.
    queue = Heap.heapify(kept, byDueThenSeq);
    parked.clear();
    return emptyAnswer();
  }

  const hasRoom = (p: Pending): boolean =>
    !p.concurrency || (running.get(`key:${p.concurrency.key}`) ?? 0) < p.concurrency.limit || p.mayOverlap;

  /**
   * The next event to deliver: among those due whose concurrency key has room, the earliest (ties in
   * publish order), or under a harsh profile any of them. When none is due, the clock moves to the
   * earliest that could run. Events met on the way whose key is full are parked until it has room.
   */
  function takeNext(mayAdvanceClock: boolean): Pending | undefined {
    const ready: Pending[] = [];
    for (let next = queue.top(); next; next = queue.top()) {
      if (next.dueAt > clock.now()) {
        // While deliveries run, time stands still: they may publish events due sooner.
        if (ready.length > 0 || !mayAdvanceClock) break;
        clock.advanceTo(next.dueAt);
      }
      queue.pop();
      if (!hasRoom(next)) park(next);
      else if (ready.push(next) && !harsh?.profile.reorder) break;
    }
    if (ready.length === 0) return undefined;
    const first = ready[0] as Pending;
    const chosen = ready.length > 1 ? (ready[(harsh as Harshness).pick(ready.length)] as Pending) : first;
    if (chosen !== first && chosen.concurrency && first.concurrency?.key === chosen.concurrency.key) harsh?.count('reordered');
    for (const other of ready) if (other !== chosen) queue.push(other);
    if (chosen.concurrency && (running.get(`key:${chosen.concurrency.key}`) ?? 0) >= chosen.concurrency.limit) harsh?.count('overlapped');
    return chosen;
  }

  function retryPlan(outcome: DeliveryOutcome, attempt: number): RetryPlan | undefined {
    const backoffMs = Math.min(MAX_RETRY_AFTER_S, 2 ** attempt) * 1000;
    if (outcome.timedOut) return { afterMs: backoffMs, reason: TIMED_OUT_REASON, data: undefined, error: outcome.error?.message };
    if (!outcome.ok) return { afterMs: backoffMs, reason: THROWN_REASON, data: undefined, error: outcome.error?.message };
    if (!isRetryRequest(outcome.value)) return undefined;
    const { retryAfter, retryReason, retryData } = outcome.value.retryOptions ?? {};
    const seconds = Math.min(MAX_RETRY_AFTER_S, Math.max(1, typeof retryAfter === 'number' ? retryAfter : 1));
    return {
      afterMs: seconds * 1000,
      reason: typeof retryReason === 'string' ? retryReason : RETRY_REQUEST,
      data: retryData,
      error: `retry requested: ${String(retryReason ?? RETRY_REQUEST)}`,
    };
  }

  function withRetryContext(delivery: Delivery, context: RetryContext): Delivery {
    return delivery.kind === 'queue'
      ? { ...delivery, event: { ...delivery.event, retryContext: context } }
      : { ...delivery, event: { ...delivery.event, retryContext: context } };
  }

  /** Queues the next attempt, or drops the event when its retries are used up; false when dropped. */
  function retry(p: Pending, plan: RetryPlan, cap: number | undefined, result?: DrainResult): boolean {
    const attempt = p.retryCount;
    const dueAt = clock.now() + plan.afterMs;
    const name = p.delivery.kind === 'queue' ? `queue ${p.delivery.event.queueName}` : `trigger ${p.delivery.functionKey}`;
    const job = jobIdOf(p) === undefined ? undefined : jobs.get(jobIdOf(p) as string);
    if ((cap !== undefined && attempt >= cap) || dueAt > p.enqueuedAt + RETENTION_MS) {
      if (job) job.failed++;
      if (result) result.dead++;
      const event = p.delivery.event;
      deadLetters.push({
        queueName: p.delivery.kind === 'queue' ? p.delivery.event.queueName : `trigger:${p.delivery.functionKey}`,
        body: p.delivery.kind === 'queue' ? p.delivery.event.body : event,
        error: plan.error,
        jobId: p.delivery.kind === 'queue' ? p.delivery.event.jobId : '',
        eventId: p.delivery.kind === 'queue' ? p.delivery.event.eventId : '',
        retryCount: attempt,
      });
      options.log(`${name}: dropped after ${attempt + 1} attempt(s): ${plan.error ?? ''}`);
      return false;
    }
    if (result) result.retried++;
    options.log(`${name}: retry ${attempt + 1} in ${plan.afterMs / 1000}s (${plan.reason})`);
    const context: RetryContext = {
      retryCount: attempt + 1,
      retryReason: plan.reason,
      retryData: plan.data,
      retentionWindow: { startTime: new Date(p.enqueuedAt).toISOString(), remainingTimeMs: p.enqueuedAt + RETENTION_MS - dueAt },
    };
    enqueue({ ...p, dueAt, retryCount: attempt + 1, delivery: withRetryContext(p.delivery, context) });
    return true;
  }

  function settle(p: Pending, outcome: DeliveryOutcome, result: DrainResult): void {
    const plan = retryPlan(outcome, p.retryCount);
    if (!plan) {
      const job = jobIdOf(p) === undefined ? undefined : jobs.get(jobIdOf(p) as string);
      if (job) job.success++;
      return;
    }
    retry(p, plan, p.delivery.kind === 'product' ? PRODUCT_EVENT_RETRIES : options.maxRetries, result);
  }

  /** At least once: the same event (same id, same retry context) comes back a little later. */
  function maybeDuplicate(p: Pending): void {
    if (!harsh?.chance(harsh.profile.duplicateRate)) return;
    harsh.count('duplicated');
    enqueue({ ...p, dueAt: clock.now() + harsh.pick(DUPLICATE_WITHIN_MS) });
  }

  function bump(key: string, by: number): void {
    running.set(key, (running.get(key) ?? 0) + by);
  }

  async function deliverOne(p: Pending, result: DrainResult): Promise<void> {
    const jobId = jobIdOf(p);
    const keys = [...(jobId ? [`job:${jobId}`] : []), ...(p.concurrency ? [`key:${p.concurrency.key}`] : [])];
    keys.forEach((k) => bump(k, 1));
    inFlight++;
    try {
      const outcome = await options.deliver(p.delivery);
      result.delivered++;
      settle(p, outcome, result);
      maybeDuplicate(p);
    } finally {
      keys.forEach((k) => bump(k, -1));
      if (p.concurrency) unpark(p.concurrency.key);
      inFlight--;
    }
  }

  async function drain({
    maxDeliveries = DEFAULT_MAX_DELIVERIES,
    concurrency = 1,
    advanceClock = true,
  }: DrainOptions = {}): Promise<DrainResult> {
    const result: DrainResult = { delivered: 0, retried: 0, dead: 0 };
    const active = new Set<Promise<void>>();
    let started = 0;
    for (;;) {
      while (active.size < concurrency) {
        if (started >= maxDeliveries && undelivered() > 0) {
          await Promise.all(active);
          throw new Error(
            `queue drain: stopped after maxDeliveries (${maxDeliveries}) with ${undelivered()} event(s) still queued; is a consumer retrying forever?`,
          );
        }
        const next = takeNext(advanceClock && inFlight === 0);
        if (!next) break;
        started++;
        const delivery: Promise<void> = deliverOne(next, result).finally(() => active.delete(delivery));
        active.add(delivery);
      }
      if (active.size === 0) return result;
      await Promise.race(active);
    }
  }

  async function handle(path: string, init: RequestInit | undefined, origin: PublishOrigin): Promise<Response> {
    const request = parseJson(init?.body);
    if (path.startsWith('/webhook/queue/publish/')) return publish(request as PublishRequest, origin);
    const jobId = String((request as { jobId?: unknown }).jobId);
    if (path.startsWith('/webhook/queue/stats/')) return stats(jobId);
    if (path.startsWith('/webhook/queue/cancel/')) return cancel(jobId);
    return errorResponse(404, `the local platform does not serve ${path}`);
  }

  function retryProductEvent(
    entry: { functionKey: string; moduleKey: string; event: Record<string, unknown>; origin: PublishOrigin },
    outcome: DeliveryOutcome,
  ): boolean {
    // Forge retries a product event that asked for it (InvocationError) or hit a platform error such as
    // a time-out; it does not promise to retry one whose trigger threw, so neither does this platform.
    if (!outcome.ok && !outcome.timedOut) return false;
    const retryContext = entry.event.retryContext as RetryContext | undefined;
    const plan = retryPlan(outcome, retryContext?.retryCount ?? 0);
    if (!plan) return false;
    const { retryContext: _previous, ...event } = entry.event;
    const pending: Pending = {
      seq: seq++,
      dueAt: clock.now(),
      enqueuedAt: clock.now(),
      delivery: { kind: 'product', functionKey: entry.functionKey, moduleKey: entry.moduleKey, event, origin: entry.origin },
      retryCount: retryContext?.retryCount ?? 0,
      mayOverlap: false,
    };
    return retry(pending, plan, PRODUCT_EVENT_RETRIES);
  }

  const failPublishes = (count: number, status = 500): void => {
    publishFaults = { left: count, status };
  };
  return { handle, failPublishes, retryProductEvent, drain, pending: () => undelivered() + inFlight, deadLetters };
}

const byDueThenSeq = (a: Pending, b: Pending): number => a.dueAt - b.dueAt || a.seq - b.seq;

interface PushedEvent {
  body: Record<string, unknown>;
  delayInSeconds?: number;
  concurrency?: { key: string; limit: number };
}
interface PublishRequest {
  queueName: string;
  jobId: string;
  payload: PushedEvent[];
}
interface RetryRequest {
  _retry: true;
  retryOptions?: { retryAfter?: unknown; retryReason?: unknown; retryData?: unknown };
}

/** InvocationError's constructor returns its toJSON(): `{_retry: true, retryOptions}`. */
export function isRetryRequest(value: unknown): value is RetryRequest {
  return typeof value === 'object' && value !== null && (value as { _retry?: unknown })._retry === true;
}

function parseJson(body: RequestInit['body']): unknown {
  return typeof body === 'string' ? JSON.parse(body) : {};
}

/** @forge/events reads `message` (and `statusText`) into its InternalServerError. */
function errorResponse(status: number, message: string): Response {
  return jsonAnswer(status, { message }, status === 404 ? 'Not Found' : status === 429 ? 'Too Many Requests' : 'Bad Request');
}
