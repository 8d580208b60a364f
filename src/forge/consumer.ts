import { InvocationError, InvocationErrorCode } from '@forge/events';
import * as z from 'zod/mini';
import type { Carried, DeliveryResult } from '../core/run';

/** What a queue consumer returns: what happened, for the invocation log. */
export interface ConsumerResult {
  deliveryId: string | null;
  state: string | null;
  note: string;
}

/**
 * A core result as a queue consumer's answer: a retry becomes an InvocationError with retryAfter, so
 * the queue itself waits (never a sleep in a function); what the invocation must hand on (its lease,
 * an answer it could not write down) travels in retryData, which Forge gives back on the retry.
 */
export function answer(deliveryId: string, result: DeliveryResult): ConsumerResult | InvocationError {
  if (result.kind === 'retry') {
    return new InvocationError({
      retryAfter: result.afterSeconds,
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
