import React from 'react';
import { Button, DynamicTable, Inline, Link, LoadingButton, Stack, Text, Tooltip, User } from '@forge/react';
import type { DeploymentView, HistoryPage } from '../../src/core/settings-api';
import { age, duration, shortCommit, StateLozenge } from './format';
import { HistoryChart } from './HistoryChart';
import type { PageState } from './usePage';
import type { StatsState } from './useStats';

interface Props {
  history: HistoryPage;
  /** "acme/web", for links to commits; null when Bitbucket could not say. */
  repositoryFullName: string | null;
  now: number;
  older: PageState['older'];
  chart: StatsState;
  /** The filters, shown between the chart and the list. */
  filters: React.ReactNode;
  filtered: boolean;
  /** Opens the confirmation of *Redeploy this commit* for a finished deployment. */
  onRedeploy: (deployment: DeploymentView) => void;
  /** Opens the confirmation of *Cancel* for a deployment the vendor is running. */
  onCancel: (deployment: DeploymentView) => void;
}

const TRIGGER_LABELS: Record<DeploymentView['trigger'], string> = { push: 'Push', manual: 'Manual', redeploy: 'Redeploy' };

/** "Push by <person>", "Manual by <person>" or "Redeploy by <person>", as the record has it, and whether it overrode the gates. */
const TriggeredBy = ({ deployment }: { deployment: DeploymentView }) => {
  const how = TRIGGER_LABELS[deployment.trigger];
  const overridden = deployment.overrideGates ? ' (gates overridden)' : '';
  if (!deployment.actor) return <Text>{`${how}${overridden}`}</Text>;
  return (
    <Inline space="space.050" alignBlock="center">
      <Text>{`${how}${overridden} by`}</Text>
      <User accountId={deployment.actor} />
    </Inline>
  );
};

const Commit = ({ deployment, repositoryFullName }: { deployment: DeploymentView; repositoryFullName: string | null }) => {
  const text = shortCommit(deployment.commit, deployment.commitMessage);
  if (!repositoryFullName) return <Text>{text}</Text>;
  return (
    <Link href={`https://bitbucket.org/${repositoryFullName}/commits/${deployment.commit}`} openNewTab>
      {text}
    </Link>
  );
};

/** A row's action button with what it does as its tooltip, or disabled with why it cannot. */
const RowAction = ({
  label,
  can,
  onPress,
}: {
  label: string;
  can: { ok: true; how: string } | { ok: false; why: string };
  onPress: () => void;
}) =>
  can.ok ? (
    <Tooltip content={can.how}>
      <Button onClick={onPress}>{label}</Button>
    </Tooltip>
  ) : (
    <Tooltip content={can.why}>
      <Button isDisabled>{label}</Button>
    </Tooltip>
  );

/**
 * Redeploy this commit on every finished deployment; Cancel on one the vendor is running. Each is
 * disabled with the reason where it cannot run.
 */
const RowActions = ({ deployment, onRedeploy, onCancel }: { deployment: DeploymentView } & Pick<Props, 'onRedeploy' | 'onCancel'>) => {
  const short = deployment.commit.slice(0, 7);
  if (deployment.final) return <RowAction label={`Redeploy ${short}`} can={deployment.redeploy} onPress={() => onRedeploy(deployment)} />;
  if (deployment.state !== 'in_progress') return null;
  const can = deployment.cancel.ok ? { ok: true as const, how: 'Asks the vendor to stop this deploy' } : deployment.cancel;
  return <RowAction label={`Cancel ${short}`} can={can} onPress={() => onCancel(deployment)} />;
};

export function History({ history, repositoryFullName, now, older, chart, filters, filtered, onRedeploy, onCancel }: Props) {
  const hasMore = history.nextCursor !== null;
  const empty = filtered
    ? `No deployment matches these filters${hasMore ? ' among the newest ones read; press Older deployments to look further back' : ''}.`
    : 'No deployments yet. A push to a branch a target watches, or Deploy now, starts one.';
  return (
    <Stack space="space.200">
      <HistoryChart stats={chart.stats} error={chart.error} loading={chart.loading} />
      {filters}
      {/* Said as text, not as the table's emptyView: a node prop is not part of the committed tree's children. */}
      {history.deployments.length === 0 ? <Text>{empty}</Text> : null}
      <DynamicTable
        head={{
          cells: [
            { key: 'time', content: 'Started' },
            { key: 'target', content: 'Target' },
            { key: 'ref', content: 'Ref' },
            { key: 'commit', content: 'Commit' },
            { key: 'trigger', content: 'Triggered by' },
            { key: 'state', content: 'Status' },
            { key: 'duration', content: 'Duration' },
            { key: 'link', content: 'Details' },
            { key: 'redeploy', content: 'Redeploy or cancel' },
          ],
        }}
        rows={history.deployments.map((d) => ({
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
            { key: 'commit', content: <Commit deployment={d} repositoryFullName={repositoryFullName} /> },
            { key: 'trigger', content: <TriggeredBy deployment={d} /> },
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
              // The vendor's own page (its log) where the deployment has one; else what the record says.
              content: d.url ? (
                <Link href={d.url} openNewTab>
                  Open deployment
                </Link>
              ) : (
                <Text>{d.message}</Text>
              ),
            },
            { key: 'redeploy', content: <RowActions deployment={d} onRedeploy={onRedeploy} onCancel={onCancel} /> },
          ],
        }))}
      />
      {older.error ? <Text>{older.error}</Text> : null}
      {hasMore ? (
        <LoadingButton isLoading={older.loading} onClick={() => void older.load()}>
          Older deployments
        </LoadingButton>
      ) : null}
    </Stack>
  );
}
