import { useEffect, useRef, useState } from 'react';
import type { DeployNowResult, HistoryFilter, HistoryPage, PageData, TargetView } from '../../src/core/settings-api';
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
  /** The list's next page; `error` is that of the list's last load (an older page, or a filter). */
  older: { loading: boolean; error: string | null; load: () => Promise<void> };
  /** The filter the history list shows; null for every deployment. */
  filter: HistoryFilter | null;
  filtering: boolean;
  applyFilter: (filter: HistoryFilter | null) => Promise<void>;
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
  const [filter, setFilter] = useState<HistoryFilter | null>(null);
  // Read after each await: a list fetched for a filter the admin has changed since is not shown.
  const shownFilter = useRef<HistoryFilter | null>(null);
  const busy = useBusy();
  const [queued, setQueued] = useState<Record<string, DeployNowResult>>({});
  const [now, setNow] = useState(() => Date.now());
  const [changes, setChanges] = useState(0);
  /** Bumped when the admin acts, so auto-refresh starts again from its shortest delay. */
  const [epoch, setEpoch] = useState(0);

  /** The history page the list shows for `used`, after `cursor`. */
  const listed = (used: HistoryFilter, cursor?: string) => call<HistoryPage>('getHistory', { filter: used, ...(cursor ? { cursor } : {}) });

  const reload = () =>
    busy.run('reload', async () => {
      setEpoch((e) => e + 1);
      setChanges((c) => c + 1);
      const used = shownFilter.current;
      const [result, filtered] = await Promise.all([call<PageData>('getPage'), used ? listed(used) : null]);
      setNow(Date.now());
      if (!result.ok) return setLoadError(result.error.message);
      if (filtered && !filtered.ok) return setLoadError(filtered.error.message);
      setLoadError(null);
      setPage(result.data);
      if (shownFilter.current === used) setHistory(filtered ? filtered.data : result.data.history);
      // What Forge holds may have changed in Atlassian Administration since it was recorded.
      void syncApproved(result.data.approvedEgress);
    });

  // The newest history page: one light call that shows queued deploys start, progress and end. With a
  // filter, the newest filtered page too: the targets' latest deployments come from the unfiltered one.
  const refresh = async () => {
    const used = shownFilter.current;
    const [newest, filtered] = await Promise.all([call<HistoryPage>('getHistory', {}), used ? listed(used) : null]);
    setNow(Date.now());
    if (!newest.ok) return setLoadError(newest.error.message);
    if (filtered && !filtered.ok) return setLoadError(filtered.error.message);
    setLoadError(null);
    setChanges((c) => c + 1);
    setPage((current) => current && { ...current, targets: withLatest(current.targets, newest.data.deployments) });
    if (shownFilter.current !== used) return;
    const fresh = filtered ? filtered.data : newest.data;
    setHistory((current) => (current ? mergeNewest(current, fresh) : fresh));
  };

  const loadOlder = () =>
    busy.run('older', async () => {
      if (!history?.nextCursor) return;
      const used = shownFilter.current;
      const result = await (used ? listed(used, history.nextCursor) : call<HistoryPage>('getHistory', { cursor: history.nextCursor }));
      if (shownFilter.current !== used) return;
      if (!result.ok) return setOlderError(result.error.message);
      setOlderError(null);
      setHistory({ ...result.data, deployments: [...history.deployments, ...result.data.deployments] });
    });

  const applyFilter = (next: HistoryFilter | null) =>
    busy.run('filter', async () => {
      const result = await (next ? listed(next) : call<HistoryPage>('getHistory', {}));
      if (!result.ok) return setOlderError(result.error.message);
      setOlderError(null);
      setNow(Date.now());
      shownFilter.current = next;
      setFilter(next);
      setHistory(result.data);
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
    filter,
    filtering: busy.isBusy('filter'),
    applyFilter,
    reloading: busy.isBusy('reload'),
    reload,
    // A saved target keeps the deployments the page already shows for it (a save returns none).
    replaceTarget: (target) =>
      setPage((current) => {
        if (!current) return current;
        const known = current.targets.some((t) => t.id === target.id);
        const targets = known
          ? current.targets.map((t) => (t.id === target.id ? { ...target, latest: t.latest, live: t.live } : t))
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
