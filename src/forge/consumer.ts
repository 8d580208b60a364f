import { InvocationError, InvocationErrorCode } from '@forge/events';
import * as z from 'zod/mini';
import type { Carried, DeliveryResult } from '../core/run';

/** What a queue consumer returns: what happened, for the invocation log. */
export interface ConsumerResult {
  deliveryId: string | null;
  state: string | null;
  note: string;
}

/** Forge's longest retryAfter. */
const MAX_RETRY_AFTER_SECONDS = 900;
/** The first wait after a platform fault: short outages pass, and four doublings span minutes. */
const MIN_PLATFORM_RETRY_SECONDS = 30;

/**
 * A core result as a queue consumer's answer: a retry becomes an InvocationError with retryAfter, so
 * the queue itself waits (never a sleep in a function); what the invocation must hand on (its lease,
 * an answer it could not write down) travels in retryData, which Forge gives back on the retry. These
 * retries are for Forge's own failures (the core queues its own retries as new events), and each waits
 * twice as long as the one before: a storage or queue outage, or a rate limit that lasts, is outlived
 * by an event Forge retries only four times (at least 30 s, 1, 2 and 4 minutes: 7.5 minutes in all; more
 * for a rate limit, whose first wait is 75 s), not spent in seconds. A longer outage under a cap of four
 * retries loses the event: nothing sweeps such records yet.
 */
export function answer(deliveryId: string, result: DeliveryResult, retryCount = 0): ConsumerResult | InvocationError {
  if (result.kind === 'retry') {
    return new InvocationError({
      retryAfter: Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_PLATFORM_RETRY_SECONDS, result.afterSeconds) * 2 ** retryCount),
      retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
      retryData: { deliveryId, reason: result.reason, ...(result.carry ? { carry: result.carry } : {}) },
    });
  }
  return { deliveryId, state: result.record?.state ?? null, note: result.note };
}

const carriedSchema = z.object({
  carry: z.object({
    token: z.string(),
    answer: z.nullable(
      z.union([
        z.object({
          kind: z.literal('accepted'),
          reconciled: z.boolean(),
          result: z.object({
            state: z.enum(['requested', 'in_progress', 'succeeded']),
            message: z.string(),
            vendorId: z.nullable(z.string()),
            url: z.nullable(z.string()),
          }),
        }),
        z.object({ kind: z.literal('fault'), message: z.string(), retryAfterSeconds: z.nullable(z.number()), mayHaveArrived: z.boolean() }),
        z.object({ kind: z.literal('refused'), message: z.string() }),
      ]),
    ),
  }),
});

/** What the previous invocation of this event handed on, if it did (and it parses). */
export function carriedFrom(retryContext: { retryData?: unknown } | undefined): Carried | null {
  const parsed = carriedSchema.safeParse(retryContext?.retryData);
  return parsed.success ? parsed.data.carry : null;
}

/** A malformed event is reported and not retried: retrying cannot fix it. */
export const refused = (error: unknown): ConsumerResult => ({ deliveryId: null, state: null, note: (error as Error).message });
