import { InvocationError, InvocationErrorCode } from '@forge/events';
import type { DeliveryResult } from '../core/run';

/** What a queue consumer returns: what happened, for the invocation log. */
export interface ConsumerResult {
  deliveryId: string | null;
  state: string | null;
  note: string;
}

/**
 * A core result as a queue consumer's answer: a retry becomes an InvocationError with retryAfter, so
 * the queue itself waits (never a sleep in a function).
 */
export function answer(deliveryId: string, result: DeliveryResult): ConsumerResult | InvocationError {
  if (result.kind === 'retry') {
    return new InvocationError({
      retryAfter: result.afterSeconds,
      retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
      retryData: { deliveryId, reason: result.reason },
    });
  }
  return { deliveryId, state: result.record?.state ?? null, note: result.note };
}

/** A malformed event is reported and not retried: retrying cannot fix it. */
export const refused = (error: unknown): ConsumerResult => ({ deliveryId: null, state: null, note: (error as Error).message });
