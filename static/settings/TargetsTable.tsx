import React from 'react';
import { Button, ButtonGroup, DynamicTable, LoadingButton, Stack, Text } from '@forge/react';
import type { DeployNowResult, ProviderView, TargetView } from '../../src/core/settings-api';
import { LabelledToggle } from './fields';
import { ruleSummary, secretHint } from './format';
import { LatestAttempt, LiveDeployment } from './TargetDeployments';
import type { TargetActions } from './useTargetActions';

interface Props {
  targets: TargetView[];
  providers: ProviderView[];
  queued: Record<string, DeployNowResult>;
  now: number;
  actions: TargetActions;
}

/**
 * The provider, and its secrets as set or not (never their values), so a missing one shows in the list:
 * each secret the target needs (a required one, or one of its mode's, which that mode requires) and any
 * other that is set. An optional secret not set (a receiver URL with no query) is not news.
 */
function ProviderCell({ target, providers }: { target: TargetView; providers: ProviderView[] }) {
  const provider = providers.find((p) => p.id === target.provider);
  const needed = (f: ProviderView['fields'][number]) => (f.mode === null ? f.required : f.mode === target.settings.mode);
  const secrets = (provider?.fields ?? [])
    .filter((f) => f.secret && (needed(f) || target.secrets[f.key]?.set))
    .map((f) => `${f.label}: ${secretHint(target.secrets[f.key])}`);
  return (
    <Stack space="space.050">
      <Text>{provider?.title ?? target.provider}</Text>
      {secrets.length > 0 ? <Text>{secrets.join(', ')}</Text> : null}
    </Stack>
  );
}

/** One row per target: what it is, what it deploys, what it serves now beside its latest attempt, and what the admin can do to it. */
export function TargetsTable({ targets, providers, queued, now, actions }: Props) {
  return (
    <DynamicTable
      head={{
        cells: [
          { key: 'name', content: 'Name' },
          { key: 'env', content: 'Environment' },
          { key: 'provider', content: 'Provider' },
          { key: 'rules', content: 'Deploys' },
          { key: 'live', content: 'Live now' },
          { key: 'latest', content: 'Latest attempt' },
          { key: 'enabled', content: 'Enabled' },
          { key: 'actions', content: 'Actions' },
        ],
      }}
      rows={targets.map((t) => ({
        key: t.id,
        cells: [
          { key: 'name', content: t.name },
          { key: 'env', content: t.environment },
          { key: 'provider', content: <ProviderCell target={t} providers={providers} /> },
          {
            key: 'rules',
            content: (
              <Stack space="space.050">
                <Text>{ruleSummary(t.rules)}</Text>
                {t.paused ? <Text>Automatic deploys paused: pushes are skipped</Text> : null}
                {t.frozen ? <Text>{`Frozen until ${t.frozen.until}: ${t.frozen.why}`}</Text> : null}
              </Stack>
            ),
          },
          { key: 'live', content: <LiveDeployment target={t} now={now} /> },
          { key: 'latest', content: <LatestAttempt target={t} queued={queued[t.id]} now={now} /> },
          {
            key: 'enabled',
            content: (
              <LabelledToggle
                id={`enabled-${t.id}`}
                label={`Enabled: ${t.name}`}
                shown="Enabled"
                isChecked={t.enabled}
                isDisabled={actions.busy.isBusy(`enabled:${t.id}`)}
                onChange={(enabled) => void actions.setEnabled(t, enabled)}
              />
            ),
          },
          {
            key: 'actions',
            content: (
              <ButtonGroup label={`Actions for ${t.name}`}>
                <Button onClick={() => actions.open({ kind: 'form', target: t })}>Edit</Button>
                {/* A preview target deploys pull requests only: the resolver refuses Deploy now for it too. */}
                <Button isDisabled={!t.enabled || t.preview !== null} onClick={() => actions.open({ kind: 'deploy', target: t })}>
                  Deploy now
                </Button>
                <LoadingButton isLoading={actions.busy.isBusy(`verify:${t.id}`)} onClick={() => void actions.verify(t)}>
                  Verify
                </LoadingButton>
                <LoadingButton isLoading={actions.busy.isBusy(`paused:${t.id}`)} onClick={() => void actions.setPaused(t, !t.paused)}>
                  {t.paused ? 'Resume automatic deploys' : 'Pause automatic deploys'}
                </LoadingButton>
                <Button appearance="danger" onClick={() => actions.open({ kind: 'delete', target: t })}>
                  Delete
                </Button>
              </ButtonGroup>
            ),
          },
        ],
      }))}
    />
  );
}
