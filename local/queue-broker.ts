/**
 * The async-events queue as @forge/events 3.x sees it, on a virtual clock.
 *
 * Wire: `Queue.push` posts `{queueName, jobId, type, schema, payload: events, time}` through the
 * stargate remote to `/webhook/queue/publish/{contextAri}/{environmentId}/{appId}/{appVersion}` (the
 * braces are literal: the real proxy fills them in) and accepts only 201; `getStats` posts to
 * `/webhook/queue/stats/...` (200 `{success, inProgress, failed}`), `cancel` to `/webhook/queue/cancel/...` (204).
 *
 * Retries follow Forge's async events page (@forge/events ≥ 2): a consumer that returns an
 * InvocationError is called again after `retryAfter` seconds (clamped to 1..900); one that throws is
 * retried with exponential backoff up to about 15 minutes; an event is dropped once its 24-hour
 * retention window is over. (@forge/events 1.x retried 4 times; `maxRetries` reproduces such a cap.)
 */
import { randomUUID } from 'node:crypto';
import type { ConsumerDef } from './manifest';

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

export interface QueueBrokerOptions {
  consumers: ConsumerDef[];
  clock: VirtualClock;
  deliver(functionKey: string, event: AsyncEvent, origin: PublishOrigin): Promise<DeliveryOutcome>;
  log(line: string): void;
  /** Extra cap on retries per event; Forge itself has none beyond the retention window. */
  maxRetries?: number;
}

export interface QueueBroker {
  handle(path: string, init: RequestInit | undefined, origin: PublishOrigin): Promise<Response>;
  /** The next `count` publishes answer `status` and queue nothing (Forge's queue service failing). */
  failPublishes(count: number, status?: number): void;
  drain(options?: DrainOptions): Promise<DrainResult>;
  pending(): number;
  deadLetters: DeadLetter[];
}

interface Pending {
  seq: number;
  dueAt: number;
  enqueuedAt: number;
  event: AsyncEvent;
  functionKey: string;
  concurrency?: { key: string; limit: number };
  origin: PublishOrigin;
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
/** InvocationErrorCode.FUNCTION_RETRY_REQUEST: what InvocationError uses when no reason is given. */
const RETRY_REQUEST = 'FUNCTION_RETRY_REQUEST';
/** Forge does not document the reason given for a thrown error; @forge/api names hosted-code errors so. */
const THROWN_REASON = 'FUNCTION_ERR';

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
  const { clock } = options;
  const queue: Pending[] = [];
  const deadLetters: DeadLetter[] = [];
  const jobs = new Map<string, { success: number; failed: number }>();
  const running = new Map<string, number>();
  let inFlight = 0;
  let seq = 0;

  const consumerOf = (queueName: string): string | undefined => options.consumers.find((c) => c.queue === queueName)?.functionKey;

  function enqueue(entry: Omit<Pending, 'seq'>): void {
    queue.push({ ...entry, seq: seq++ });
  }

  let publishFaults: { left: number; status: number } = { left: 0, status: 500 };

  function publish(request: PublishRequest, origin: PublishOrigin): Response {
    if (publishFaults.left > 0) {
      publishFaults.left -= 1;
      return errorResponse(publishFaults.status, `injected fault: the queue service answered ${publishFaults.status}`);
    }
    const functionKey = consumerOf(request.queueName);
    // Pushing to a queue no consumer reads is almost always a typo of the key; say so at once.
    if (!functionKey) return errorResponse(400, `no consumer in manifest.yml reads queue "${request.queueName}"`);
    jobs.set(request.jobId, { success: 0, failed: 0 });
    for (const pushed of request.payload) {
      enqueue({
        dueAt: clock.now() + (pushed.delayInSeconds ?? 0) * 1000,
        enqueuedAt: clock.now(),
        event: { body: pushed.body, queueName: request.queueName, jobId: request.jobId, eventId: randomUUID() },
        functionKey,
        concurrency: pushed.concurrency,
        origin,
      });
    }
    options.log(`queue ${request.queueName}: published ${request.payload.length} event(s), job ${request.jobId}`);
    return new Response(JSON.stringify({ jobId: request.jobId }), { status: 201, headers: { 'content-type': 'application/json' } });
  }

  function stats(jobId: string): Response {
    const job = jobs.get(jobId);
    if (!job) return errorResponse(404, `job ${jobId} not found`);
    const inProgress = queue.filter((p) => p.event.jobId === jobId).length + (running.get(`job:${jobId}`) ?? 0);
    return new Response(JSON.stringify({ ...job, inProgress }), { status: 200, headers: { 'content-type': 'application/json' } });
  }

  function cancel(jobId: string): Response {
    if (!jobs.has(jobId)) return errorResponse(404, `job ${jobId} not found`);
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.event.jobId === jobId) queue.splice(i, 1);
    return new Response(null, { status: 204 });
  }

  /** Earliest due event (ties in publish order) whose concurrency key has room. */
  function takeNext(mayAdvanceClock: boolean): Pending | undefined {
    let best: Pending | undefined;
    for (const p of queue) {
      if (p.concurrency && (running.get(`key:${p.concurrency.key}`) ?? 0) >= p.concurrency.limit) continue;
      if (!best || p.dueAt < best.dueAt || (p.dueAt === best.dueAt && p.seq < best.seq)) best = p;
    }
    if (!best) return undefined;
    // While deliveries run, time stands still: they may publish events due sooner than `best`.
    if (best.dueAt > clock.now()) {
      if (!mayAdvanceClock) return undefined;
      clock.advanceTo(best.dueAt);
    }
    queue.splice(queue.indexOf(best), 1);
    return best;
  }

  function retryPlan(outcome: DeliveryOutcome, attempt: number): RetryPlan | undefined {
    if (!outcome.ok) {
      return {
        afterMs: Math.min(MAX_RETRY_AFTER_S, 2 ** attempt) * 1000,
        reason: THROWN_REASON,
        data: undefined,
        error: outcome.error?.message,
      };
    }
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

  function settle(p: Pending, outcome: DeliveryOutcome, result: DrainResult): void {
    const attempt = p.event.retryContext?.retryCount ?? 0;
    const plan = retryPlan(outcome, attempt);
    const job = jobs.get(p.event.jobId);
    if (!plan) {
      if (job) job.success++;
      return;
    }
    const dueAt = clock.now() + plan.afterMs;
    const overCap = options.maxRetries !== undefined && attempt >= options.maxRetries;
    if (overCap || dueAt > p.enqueuedAt + RETENTION_MS) {
      if (job) job.failed++;
      result.dead++;
      deadLetters.push({
        queueName: p.event.queueName,
        body: p.event.body,
        error: plan.error,
        jobId: p.event.jobId,
        eventId: p.event.eventId,
        retryCount: attempt,
      });
      options.log(`queue ${p.event.queueName}: event ${p.event.eventId} dropped after ${attempt + 1} attempt(s): ${plan.error ?? ''}`);
      return;
    }
    result.retried++;
    options.log(`queue ${p.event.queueName}: event ${p.event.eventId} retry ${attempt + 1} in ${plan.afterMs / 1000}s (${plan.reason})`);
    enqueue({
      ...p,
      dueAt,
      event: {
        ...p.event,
        retryContext: {
          retryCount: attempt + 1,
          retryReason: plan.reason,
          retryData: plan.data,
          retentionWindow: { startTime: new Date(p.enqueuedAt).toISOString(), remainingTimeMs: p.enqueuedAt + RETENTION_MS - dueAt },
        },
      },
    });
  }

  function bump(key: string, by: number): void {
    running.set(key, (running.get(key) ?? 0) + by);
  }

  async function deliverOne(p: Pending, result: DrainResult): Promise<void> {
    const keys = [`job:${p.event.jobId}`, ...(p.concurrency ? [`key:${p.concurrency.key}`] : [])];
    keys.forEach((k) => bump(k, 1));
    inFlight++;
    try {
      const outcome = await options.deliver(p.functionKey, p.event, p.origin);
      result.delivered++;
      settle(p, outcome, result);
    } finally {
      keys.forEach((k) => bump(k, -1));
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
        if (started >= maxDeliveries && queue.length > 0) {
          await Promise.all(active);
          throw new Error(
            `queue drain: stopped after maxDeliveries (${maxDeliveries}) with ${queue.length} event(s) still queued; is a consumer retrying forever?`,
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

  const failPublishes = (count: number, status = 500): void => {
    publishFaults = { left: count, status };
  };
  return { handle, failPublishes, drain, pending: () => queue.length + inFlight, deadLetters };
}

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
function isRetryRequest(value: unknown): value is RetryRequest {
  return typeof value === 'object' && value !== null && (value as { _retry?: unknown })._retry === true;
}

function parseJson(body: RequestInit['body']): unknown {
  return typeof body === 'string' ? JSON.parse(body) : {};
}

/** @forge/events reads `message` (and `statusText`) into its InternalServerError. */
function errorResponse(status: number, message: string): Response {
  return new Response(JSON.stringify({ message }), {
    status,
    statusText: status === 404 ? 'Not Found' : 'Bad Request',
    headers: { 'content-type': 'application/json' },
  });
}
