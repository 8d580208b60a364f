import { type Deployment, type DeploymentState, durationMs } from './deployment';

/**
 * The history chart's series: deployments per UTC day by outcome, and each day's median duration.
 * UTC, not the viewer's zone: the same records must give the same days whoever computes them.
 */

export const DAY_MS = 86_400_000;

/**
 * How the chart groups states. A hook's `requested` is its own outcome: its receiver accepted the
 * deploy, but nobody reported that the deploy itself succeeded.
 */
export type Outcome = 'succeeded' | 'requested' | 'failed' | 'other';

export function outcomeOf(state: DeploymentState): Outcome {
  if (state === 'succeeded' || state === 'requested' || state === 'failed') return state;
  return 'other';
}

/**
 * Only these durations measure a deploy: a skipped one never ran, a canceled or superseded one stopped
 * midway, and anything still running has no end yet.
 */
const TIMED: ReadonlySet<DeploymentState> = new Set(['succeeded', 'requested', 'failed']);

export interface DayStats {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  succeeded: number;
  requested: number;
  failed: number;
  other: number;
  /** The median of the day's measured durations; null when none was measured (not 0). */
  medianDurationMs: number | null;
  /** How many durations the median is taken over. */
  durations: number;
}

/** Midnight UTC `days - 1` days before `now`'s day: the first instant the window counts. */
export const windowStart = (now: number, days: number): number => Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;

/** The middle value, or the mean of the two middle values of an even count; null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * One entry per UTC day of the `days` days ending with `now`'s day, oldest first, days without
 * deployments included (as zeros). A deployment counts on the day it was created; one created outside
 * the window is ignored.
 */
export function dailyStats(
  deployments: readonly Pick<Deployment, 'state' | 'createdAt' | 'finishedAt'>[],
  now: number,
  days = 30,
): DayStats[] {
  const start = windowStart(now, days);
  const counts = Array.from({ length: days }, () => ({ succeeded: 0, requested: 0, failed: 0, other: 0, durations: [] as number[] }));
  for (const d of deployments) {
    // Before the window the index is negative, after it too large: either way there is no bucket.
    const bucket = counts[Math.floor((d.createdAt - start) / DAY_MS)];
    if (!bucket) continue;
    bucket[outcomeOf(d.state)] += 1;
    const duration = durationMs(d);
    if (duration !== null && TIMED.has(d.state)) bucket.durations.push(duration);
  }
  return counts.map(({ durations, ...count }, index) => ({
    day: new Date(start + index * DAY_MS).toISOString().slice(0, 10),
    ...count,
    medianDurationMs: median(durations),
    durations: durations.length,
  }));
}
