import React from 'react';
import { DynamicTable, Link, LoadingButton, Stack, Text, Tooltip } from '@forge/react';
import type { DeploymentView, StatsView } from '../../src/core/settings-api';
import { age, duration, shortCommit, StateLozenge } from './format';
import { HistoryChart } from './HistoryChart';

interface Props {
  deployments: DeploymentView[];
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  now: number;
  onMore: () => void;
  stats: StatsView | null;
  statsError: string | null;
  statsLoading: boolean;
}

export function History({ deployments, hasMore, loading, error, now, onMore, stats, statsError, statsLoading }: Props) {
  return (
    <Stack space="space.200">
      <HistoryChart stats={stats} error={statsError} loading={statsLoading} />
      {/* Said beside the table, not as its emptyView: the product paints only the tree's children, not an element passed as a prop. */}
      {deployments.length === 0 ? <Text>No deployments yet. A push to a branch a target watches, or Deploy now, starts one.</Text> : null}
      <DynamicTable
        head={{
          cells: [
            { key: 'time', content: 'Started' },
            { key: 'target', content: 'Target' },
            { key: 'ref', content: 'Ref' },
            { key: 'commit', content: 'Commit' },
            { key: 'state', content: 'Status' },
            { key: 'duration', content: 'Duration' },
            { key: 'link', content: 'Details' },
          ],
        }}
        rows={deployments.map((d) => ({
          key: d.id,
          cells: [
            {
              key: 'time',
              content: (
                <Tooltip content={new Date(d.createdAt).toISOString()}>
                  <Text>{age(d.createdAt, now)}</Text>
                </Tooltip>
              ),
            },
            { key: 'target', content: `${d.targetName} (${d.environment})` },
            { key: 'ref', content: d.refType === 'tag' ? `tag ${d.ref}` : d.ref },
            { key: 'commit', content: shortCommit(d.commit, d.commitMessage) },
            {
              key: 'state',
              content: (
                <Tooltip content={d.message}>
                  <StateLozenge state={d.state} />
                </Tooltip>
              ),
            },
            { key: 'duration', content: duration(d.durationMs) },
            {
              key: 'link',
              content: d.url ? (
                <Link href={d.url} openNewTab>
                  Open
                </Link>
              ) : (
                <Text>{d.message}</Text>
              ),
            },
          ],
        }))}
      />
      {error ? <Text>{error}</Text> : null}
      {hasMore ? (
        <LoadingButton isLoading={loading} onClick={onMore}>
          Older deployments
        </LoadingButton>
      ) : null}
    </Stack>
  );
}
