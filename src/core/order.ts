/**
 * Push order. Forge's push events carry `timestamp`, when Bitbucket emitted the event (ISO 8601 with
 * microseconds, e.g. 2026-03-23T06:03:12.361017Z); delivery can be late and out of order, so the app
 * orders pushes by it, not by when their events arrive. Microseconds keep two pushes in one millisecond
 * apart; the job key breaks what is still a tie, so every two pushes have one order.
 */

/** Microseconds since the epoch from an ISO 8601 timestamp, or from `fallbackMs` when it has none (or cannot be read). */
export function orderOf(timestamp: string | null, fallbackMs: number): number {
  const ms = timestamp === null ? Number.NaN : Date.parse(timestamp);
  if (Number.isNaN(ms)) return fallbackMs * 1000;
  // Date.parse keeps milliseconds only: the fraction's 4th to 6th digits are the microseconds.
  const fraction = /T[^.]*\.(\d+)/.exec(timestamp ?? '')?.[1] ?? '';
  return ms * 1000 + Number(fraction.slice(3, 6).padEnd(3, '0'));
}

export interface Ordered {
  order: number;
  jobKey: string;
}

/** Whether push `a` came after push `b` (never true of a push and itself). */
export const isNewer = (a: Ordered, b: Ordered): boolean => a.order > b.order || (a.order === b.order && a.jobKey > b.jobKey);
