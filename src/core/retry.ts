/**
 * Retry policy for faults (429, 5xx, timeouts, refused connections). Retries go through the Forge queue
 * (InvocationError with retryAfter), never through sleeps inside a function.
 */

/**
 * Attempts in all, the first included. Forge's queue (events API 2 and later) would retry for up to 24 hours;
 * bounding it ourselves means a dead receiver is recorded as failed within minutes, never dropped.
 */
export const MAX_ATTEMPTS = 5;
/** The queue cannot delay an event by more than 15 minutes. */
export const MAX_DELAY_SECONDS = 900;
const BASE_DELAY_SECONDS = 10;

/**
 * Seconds to wait before attempt `attempt + 1`. A Retry-After from the server wins (within the
 * queue's limits); otherwise exponential back-off with jitter in [50%, 100%] of the step, so that
 * many jobs failing together do not come back together.
 */
export function retryDelaySeconds(attempt: number, retryAfterSeconds: number | null, random: () => number = Math.random): number {
  if (retryAfterSeconds !== null) return clamp(Math.ceil(retryAfterSeconds));
  const step = BASE_DELAY_SECONDS * 2 ** attempt;
  return clamp(Math.round(step * (0.5 + random() / 2)));
}

const clamp = (seconds: number): number => Math.min(MAX_DELAY_SECONDS, Math.max(1, seconds));

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, (at - nowMs) / 1000);
}
