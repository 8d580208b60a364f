import { useEffect, useState } from 'react';
import type { DeployNowResult, HistoryPage, PageData, TargetView } from '../../src/core/settings-api';
import { mergeNewest, somethingRuns, useAutoRefresh, withLatest } from './activity';
import { call } from './api';
import { syncApproved } from './egress';
import { useBusy } from './useBusy';

/** What the page shows, loaded once and kept fresh while something runs. */
export interface PageState {
  page: PageData | null;
  history: HistoryPage | null;
  /** The last load or refresh that failed; with a page already shown, it stays and this says why it is old. */
  loadError: string | null;
  /** When the data was last fetched: the "3m ago" of every row counts from here. */
  now: number;
  /** Counts the loads and refreshes: what the chart counts may have changed each time it moves. */
  changes: number;
  /** Whether anything shown may still change by itself (the page then refreshes on a timer). */
  running: boolean;
  /** The timer stopped with something still running (activity.ts, REFRESH_LIMIT_MS). */
  refreshGaveUp: boolean;
  /** Deploys asked for from this page, by target, until their record appears. */
  queued: Record<string, DeployNowResult>;
  older: { loading: boolean; error: string | null; load: () => Promise<void> };
  /** A reload (Refresh) waits on the resolver. */
  reloading: boolean;
  reload: () => Promise<void>;
  replaceTarget: (target: TargetView) => void;
  removeTarget: (id: string) => void;
  markQueued: (result: DeployNowResult) => void;
}

export function usePage(): PageState {
  const [page, setPage] = useState<PageData | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [history, setHistory] = useState<HistoryPage | null>(null);
  const [olderError, setOlderError] = useState<string | null>(null);
  const busy = useBusy();
  const [queued, setQueued] = useState<Record<string, DeployNowResult>>({});
  const [now, setNow] = useState(() => Date.now());
  const [changes, setChanges] = useState(0);
  /** Bumped when the admin acts, so auto-refresh starts again from its shortest delay. */
  const [epoch, setEpoch] = useState(0);

  const reload = () =>
    busy.run('reload', async () => {
      setEpoch((e) => e + 1);
      setChanges((c) => c + 1);
      const result = await call<PageData>('getPage');
      setNow(Date.now());
      if (!result.ok) return setLoadError(result.error.message);
      setLoadError(null);
      setPage(result.data);
      setHistory(result.data.history);
      // What Forge holds may have changed in Atlassian Administration since it was recorded.
      void syncApproved(result.data.approvedEgress);
    });

  // The newest history page alone: one light call that shows queued deploys start, progress and end.
  const refresh = async () => {
    const result = await call<HistoryPage>('getHistory', {});
    setNow(Date.now());
    if (!result.ok) return setLoadError(result.error.message);
    setLoadError(null);
    setChanges((c) => c + 1);
    setHistory((current) => (current ? mergeNewest(current, result.data) : result.data));
    setPage((current) => current && { ...current, targets: withLatest(current.targets, result.data.deployments) });
  };

  const loadOlder = () =>
    busy.run('older', async () => {
      if (!history?.nextCursor) return;
      const result = await call<HistoryPage>('getHistory', { cursor: history.nextCursor });
      if (!result.ok) return setOlderError(result.error.message);
      setOlderError(null);
      setHistory({ ...result.data, deployments: [...history.deployments, ...result.data.deployments] });
    });

  useEffect(() => {
    void reload();
  }, []);

  const running = page !== null && history !== null && somethingRuns(page.targets, history.deployments, queued);
  const refreshGaveUp = useAutoRefresh(running, epoch, refresh);

  return {
    page,
    history,
    loadError,
    now,
    changes,
    running,
    refreshGaveUp,
    queued,
    older: { loading: busy.isBusy('older'), error: olderError, load: loadOlder },
    reloading: busy.isBusy('reload'),
    reload,
    // A saved target keeps the latest deployment the page already shows for it (a save returns none).
    replaceTarget: (target) =>
      setPage((current) => {
        if (!current) return current;
        const known = current.targets.some((t) => t.id === target.id);
        const targets = known
          ? current.targets.map((t) => (t.id === target.id ? { ...target, latest: t.latest } : t))
          : [...current.targets, target];
        return { ...current, targets };
      }),
    removeTarget: (id) => setPage((current) => current && { ...current, targets: current.targets.filter((t) => t.id !== id) }),
    markQueued: (result) => {
      setQueued((current) => ({ ...current, [result.targetId]: result }));
      setEpoch((e) => e + 1);
    },
  };
}
