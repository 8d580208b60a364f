import { useEffect, useRef, useState } from 'react';
import { type DeployNowResult, type DeploymentView, type HistoryPage, LIVE_STATES, type TargetView } from '../../src/core/settings-api';

/** A deploy-now whose record has not appeared yet: its job still waits in the queue. */
export const awaitsRecord = (queued: DeployNowResult | undefined, latest: DeploymentView | null): queued is DeployNowResult =>
  queued !== undefined && (!latest || latest.createdAt < queued.queuedAt);

/** Whether anything the page shows may still change by itself: a queued deploy, or a deployment with no outcome yet. */
export const somethingRuns = (
  targets: readonly TargetView[],
  deployments: readonly DeploymentView[],
  queued: Readonly<Record<string, DeployNowResult>>,
): boolean =>
  deployments.some((d) => !d.final) || targets.some((t) => (t.latest !== null && !t.latest.final) || awaitsRecord(queued[t.id], t.latest));

/**
 * The newest page fetched again, followed by the older deployments already loaded ("Older deployments"),
 * so a refresh never takes away what the admin paged to. Ids sort newest first, so a greater id is older.
 */
export function mergeNewest(current: HistoryPage, fresh: HistoryPage): HistoryPage {
  const oldestFresh = fresh.deployments.at(-1);
  const older = oldestFresh && fresh.nextCursor ? current.deployments.filter((d) => d.id > oldestFresh.id) : [];
  return older.length === 0 ? fresh : { ...current, deployments: [...fresh.deployments, ...older] };
}

/**
 * Each target's latest and live deployment, from the newest page where it has them: its first record
 * there is the latest, its first in a live state the live one, unless what the page holds is newer
 * (ids sort newest first, so a smaller id is newer).
 */
export const withLatest = (targets: readonly TargetView[], newest: readonly DeploymentView[]): TargetView[] =>
  targets.map((t) => {
    const latest = newest.find((d) => d.targetId === t.id) ?? t.latest;
    const fresh = newest.find((d) => d.targetId === t.id && LIVE_STATES.includes(d.state));
    const live = fresh && (!t.live || fresh.id <= t.live.id) ? fresh : t.live;
    return latest === t.latest && live === t.live ? t : { ...t, latest, live };
  });

/** 3 s after something starts, then half as long again each time, up to 15 s between refreshes. */
export const FIRST_DELAY_MS = 3000;
export const MAX_DELAY_MS = 15_000;
const GROWTH = 1.5;
/**
 * The page stops refreshing by itself after this long (about 45 calls), so a tab left open on a deploy
 * that never ends does not call the resolver forever; Refresh or a new deploy starts it again.
 */
export const REFRESH_LIMIT_MS = 10 * 60_000;

/**
 * While `running`, calls `refresh` on a backing-off timer; a new `epoch` (the admin acted) starts the
 * back-off again. Cleared when nothing runs any more and on unmount. Returns whether it gave up
 * (REFRESH_LIMIT_MS) with something still running.
 */
export function useAutoRefresh(running: boolean, epoch: number, refresh: () => Promise<void>): boolean {
  const [gaveUp, setGaveUp] = useState(false);
  // The newest `refresh` in a ref: the timer chain restarts only when `running` or `epoch` change, yet
  // always calls what the latest render gave it, so `refresh` may read render state.
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    setGaveUp(false);
    if (!running) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    let delay = FIRST_DELAY_MS;
    let waited = 0;
    const schedule = (): void => {
      if (waited + delay > REFRESH_LIMIT_MS) return setGaveUp(true);
      timer = setTimeout(() => {
        waited += delay;
        delay = Math.min(MAX_DELAY_MS, delay * GROWTH);
        void latest.current().then(() => {
          if (!cancelled) schedule();
        });
      }, delay);
    };
    schedule();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [running, epoch]);
  return gaveUp;
}
