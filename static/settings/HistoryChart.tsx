import React from 'react';
import { LineChart, SectionMessage, Spinner, Stack, StackBarChart, Text } from '@forge/react';
import type { StatsView } from '../../src/core/settings-api';
import type { DayStats, Outcome } from '../../src/core/stats';

/** In the order the bars stack and the summary reads. A hook's requested is not a success: nobody reported how the deploy went. */
const OUTCOMES: readonly { key: Outcome; label: string; color: string }[] = [
  { key: 'succeeded', label: 'Succeeded', color: '#22A06B' },
  { key: 'requested', label: 'Requested (outcome not reported)', color: '#1D7AFC' },
  { key: 'failed', label: 'Failed', color: '#E2483D' },
  { key: 'other', label: 'Other (skipped, canceled, running)', color: '#8590A2' },
];

/** "Mar 14": the day in UTC, as the resolver bucketed it, not in the viewer's zone. */
const dayLabel = (day: string): string =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

const total = (days: readonly DayStats[], outcome: Outcome): number => days.reduce((sum, day) => sum + day[outcome], 0);

interface Props {
  stats: StatsView | null;
  error: string | null;
  loading: boolean;
}

/** Deployments per day by outcome, and the median duration of those that ran to an outcome. */
export function HistoryChart({ stats, error, loading }: Props) {
  if (error) {
    return (
      <SectionMessage appearance="error" title="The chart could not be loaded">
        <Text>{error}</Text>
      </SectionMessage>
    );
  }
  // Nothing until the History tab is first opened: the chart is not loaded with the page.
  if (!stats) return loading ? <Spinner label="Loading the chart" /> : null;

  const totals = OUTCOMES.map((o) => ({ ...o, count: total(stats.days, o.key) }));
  const all = totals.reduce((sum, o) => sum + o.count, 0);
  const span = `the last ${stats.windowDays} days (UTC)`;
  if (all === 0) return <Text>{`No deployments in ${span}.`}</Text>;

  const counts = stats.days.flatMap((d) => OUTCOMES.map((o) => ({ day: dayLabel(d.day), outcome: o.label, deployments: d[o.key] })));
  // Days nothing was timed are left out rather than drawn as 0 s, which would read as instant deploys.
  const durations = stats.days
    .filter((d) => d.medianDurationMs !== null)
    .map((d) => ({ day: dayLabel(d.day), series: 'Median duration', seconds: Math.round((d.medianDurationMs ?? 0) / 100) / 10 }));
  return (
    <Stack space="space.200">
      <Text>{`${all} ${all === 1 ? 'deployment' : 'deployments'} in ${span}: ${totals.map((o) => `${o.count} ${o.key}`).join(', ')}.`}</Text>
      {stats.truncated ? (
        <SectionMessage appearance="warning" title={`Only the newest ${stats.cap} deployments are counted`}>
          <Text>{`Days before ${new Date(stats.countedSince).toISOString().slice(0, 16).replace('T', ' ')} UTC may be missing deployments.`}</Text>
        </SectionMessage>
      ) : null}
      <StackBarChart
        title="Deployments per day"
        data={counts}
        xAccessor="day"
        yAccessor="deployments"
        colorAccessor="outcome"
        colorPalette={OUTCOMES.map((o) => ({ key: o.label, value: o.color }))}
        height={280}
      />
      {durations.length > 0 ? (
        <LineChart
          title="Median duration per day (seconds)"
          subtitle="Of deployments that succeeded, were requested or failed; days without one are left out"
          data={durations}
          xAccessor="day"
          yAccessor="seconds"
          colorAccessor="series"
          height={240}
        />
      ) : (
        <Text>None of these deployments has succeeded, been requested or failed yet, so there is no duration to chart.</Text>
      )}
    </Stack>
  );
}
