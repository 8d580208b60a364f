import React, { useEffect, useState } from 'react';
import ForgeReconciler, { DynamicTable, Heading, Lozenge, SectionMessage, Spinner, Stack, Text } from '@forge/react';
import { invoke } from '@forge/bridge';
import type { PageData, Result } from '../../src/core/settings-api';

type LozengeAppearance = 'default' | 'inprogress' | 'success' | 'removed' | 'moved' | 'new';

/** Deploy states as Atlassian's Lozenge meanings (shared/docs/deploy-ux.md, section 4). */
const STATE_LOZENGE: Record<string, { label: string; appearance: LozengeAppearance }> = {
  sending: { label: 'Deploying', appearance: 'inprogress' },
  retrying: { label: 'Retrying', appearance: 'moved' },
  in_progress: { label: 'Deploying', appearance: 'inprogress' },
  requested: { label: 'Requested', appearance: 'success' },
  succeeded: { label: 'Succeeded', appearance: 'success' },
  failed: { label: 'Failed', appearance: 'removed' },
  superseded: { label: 'Superseded', appearance: 'default' },
  canceled: { label: 'Canceled', appearance: 'default' },
  skipped: { label: 'Skipped', appearance: 'default' },
};

const StateLozenge = ({ state }: { state: string }) => {
  const shown = STATE_LOZENGE[state] ?? { label: state, appearance: 'default' as const };
  return <Lozenge appearance={shown.appearance}>{shown.label}</Lozenge>;
};

const App = () => {
  const [page, setPage] = useState<Result<PageData> | null>(null);
  useEffect(() => {
    // Without metadata requested, invoke resolves to the resolver's own return value.
    (invoke('getPage') as Promise<Result<PageData>>).then(setPage, (error: Error) =>
      setPage({ ok: false, error: { code: 'INTERNAL', message: `The page could not load: ${error.message}` } }),
    );
  }, []);

  if (!page) return <Spinner label="Loading deploy targets" />;
  if (!page.ok) {
    return (
      <SectionMessage appearance="error" title="Deploy Relay">
        <Text>{page.error.message}</Text>
      </SectionMessage>
    );
  }
  const { targets, deployments } = page.data;
  return (
    <Stack space="space.300">
      <Heading as="h2">Deploy targets</Heading>
      {targets.length === 0 ? (
        <SectionMessage appearance="information" title="No deploy targets yet">
          <Text>A deploy target is a place a push deploys to: a PaaS app or a signed webhook, with rules for which branches and tags go there.</Text>
        </SectionMessage>
      ) : (
        <DynamicTable
          head={{ cells: [{ key: 'name', content: 'Name' }, { key: 'env', content: 'Environment' }, { key: 'provider', content: 'Provider' }, { key: 'rules', content: 'Deploys' }, { key: 'enabled', content: 'Enabled' }] }}
          rows={targets.map((t) => ({
            key: t.id,
            cells: [
              { key: 'name', content: t.name },
              { key: 'env', content: t.environment },
              { key: 'provider', content: t.provider },
              { key: 'rules', content: [...t.rules.branches, ...t.rules.tags.map((tag) => `tag ${tag}`)].join(', ') || 'nothing yet' },
              { key: 'enabled', content: t.enabled ? 'Yes' : 'No' },
            ],
          }))}
        />
      )}
      <Heading as="h3">Recent deployments</Heading>
      <DynamicTable
        emptyView={<Text>No deployments yet</Text>}
        head={{ cells: [{ key: 'state', content: 'Status' }, { key: 'target', content: 'Target' }, { key: 'ref', content: 'Ref' }, { key: 'commit', content: 'Commit' }, { key: 'message', content: 'Details' }] }}
        rows={deployments.map((d) => ({
          key: d.id,
          cells: [
            { key: 'state', content: <StateLozenge state={d.state} /> },
            { key: 'target', content: d.targetName },
            { key: 'ref', content: d.ref },
            { key: 'commit', content: `${d.commit.slice(0, 7)} ${d.commitMessage.slice(0, 60)}` },
            { key: 'message', content: d.message },
          ],
        }))}
      />
    </Stack>
  );
};

ForgeReconciler.render(
  <React.StrictMode>
    <App />
  </React.StrictMode>,
);
