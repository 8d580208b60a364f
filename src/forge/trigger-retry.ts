import { InvocationError, InvocationErrorCode } from '@forge/events';
import type { PlatformFault } from '../core/errors';
import { MAX_DELAY_SECONDS, retryDelaySeconds } from '../core/retry';
import { platformRetrySeconds } from '../core/run';

/** The retry count Forge gives a product event it delivers again. */
export const retryCountOf = (event: unknown): number => (event as { retryContext?: { retryCount?: number } }).retryContext?.retryCount ?? 0;

/**
 * Asks Forge to deliver a product event again after its storage or queue failed (InvocationError: the
 * documented way, at most four times for product events). Each retry waits twice as long as the last:
 * a rate limit or an outage can last.
 */
export const retryTrigger = (error: PlatformFault, retryCount: number): InvocationError =>
  new InvocationError({
    retryAfter: Math.min(
      MAX_DELAY_SECONDS,
      platformRetrySeconds(error, retryDelaySeconds(retryCount, error.retryAfterSeconds)) * 2 ** retryCount,
    ),
    retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
  });
