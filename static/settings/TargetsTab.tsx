import React from 'react';
import { Button, EmptyState, Inline, SectionMessage, Stack, Text } from '@forge/react';
import type { DeployNowResult, PageData } from '../../src/core/settings-api';
import { TargetsTable } from './TargetsTable';
import type { TargetActions } from './useTargetActions';

interface Props {
  page: PageData;
  queued: Record<string, DeployNowResult>;
  now: number;
  actions: TargetActions;
}

/** The Targets tab: the table (or what a target is, before there is one) and the hosts still to approve. */
export function TargetsTab({ page, queued, now, actions }: Props) {
  const targets = page.targets;
  const addButton = (
    <Button
      appearance="primary"
      isDisabled={targets.length >= page.maxTargets}
      onClick={() => actions.open({ kind: 'form', target: null })}
    >
      Add target
    </Button>
  );
  if (targets.length === 0) {
    return (
      // The action sits beside EmptyState, not in its primaryAction prop: a node prop is not part of the
      // committed tree's children, so it could not be pressed the same way everywhere.
      <Stack space="space.200" alignInline="center">
        <EmptyState
          header="No deploy targets yet"
          description="A deploy target is a place this repository deploys to: a PaaS app or a signed webhook, with rules saying which branches and tags go there. Every matching push then deploys by itself, and you can deploy any branch by hand."
        />
        {addButton}
      </Stack>
    );
  }
  return (
    <Stack space="space.200">
      <Inline space="space.100" alignBlock="center" spread="space-between">
        <Text>{`${targets.length} of at most ${page.maxTargets} targets`}</Text>
        {addButton}
      </Inline>
      <TargetsTable targets={targets} providers={page.providers} queued={queued} now={now} actions={actions} />
      {targets
        .filter((t) => t.unapprovedEgress.length > 0)
        .map((t) => (
          <SectionMessage key={`egress-${t.id}`} appearance="warning" title={`${t.name} calls a host that is not approved`}>
            <Text>{`Deploy Relay may not call ${t.unapprovedEgress.map((origin) => new URL(origin).host).join(', ')} yet, so its deploys are refused before anything is sent. A workspace admin can approve it: open the target with Edit and save it, and Bitbucket asks for the approval.`}</Text>
          </SectionMessage>
        ))}
    </Stack>
  );
}
