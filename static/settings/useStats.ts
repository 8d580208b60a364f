import { useEffect, useState } from 'react';
import type { StatsView } from '../../src/core/settings-api';
import { call } from './api';

export interface StatsState {
  stats: StatsView | null;
  error: string | null;
  loading: boolean;
}

/**
 * The History tab's chart. It scans up to a thousand records, so it loads only once the tab is `open`:
 * first then, and again after the data `changes` once nothing runs any more (not on every auto-refresh).
 */
export function useStats(open: boolean, running: boolean, changes: number): StatsState {
  const [stats, setStats] = useState<StatsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  /** The `changes` the chart was last loaded for; null before the first load. */
  const [loadedFor, setLoadedFor] = useState<number | null>(null);

  useEffect(() => {
    if (!open || loadedFor === changes || (stats !== null && running)) return;
    setLoadedFor(changes);
    setLoading(true);
    void call<StatsView>('getStats').then((result) => {
      setLoading(false);
      if (!result.ok) return setError(result.error.message);
      setError(null);
      setStats(result.data);
    });
  }, [open, changes, running]);

  return { stats, error, loading };
}
