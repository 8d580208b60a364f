import React, { useState } from 'react';
import { Inline, LoadingButton, SectionMessage, Stack, Text, User } from '@forge/react';
import type { DecisionView, DeploymentView } from '../../src/core/settings-api';
import { call } from './api';
import { shortCommit } from './format';
import { useBusy } from './useBusy';

interface Props {
  deployments: readonly DeploymentView[];
  /** After a decision: the page reads the history again. */
  onDecided: () => Promise<void>;
}

/** The deploys waiting for an admin's approval, each with who pushed it, Approve and Reject. */
export function Approvals({ deployments, onDecided }: Props) {
  const busy = useBusy();
  const [error, setError] = useState<string | null>(null);
  const waiting = deployments.filter((d) => d.waitingFor === 'approval');
  if (waiting.length === 0) return null;

  const decide = (deployment: DeploymentView, decision: 'approve' | 'reject') =>
    busy.run(`${decision}:${deployment.id}`, async () => {
      const result = await call<DecisionView>('decideDeploy', { deploymentId: deployment.id, decision });
      if (!result.ok) return setError(result.error.message);
      setError(
        result.data.mine
          ? null
          : `This deploy was already ${result.data.decision === 'approve' ? 'approved' : 'rejected'}; that decision stands.`,
      );
      await onDecided();
    });

  return (
    <SectionMessage appearance="warning" title="Waiting for approval">
      <Stack space="space.100">
        {waiting.map((d) => {
          const short = d.commit.slice(0, 7);
          return (
            <Inline key={d.id} space="space.100" alignBlock="center">
              <Text>{`${shortCommit(d.commit, d.commitMessage)} of ${d.ref}, to ${d.targetName} (${d.environment}), pushed by`}</Text>
              {d.actor ? <User accountId={d.actor} /> : <Text>an unknown account</Text>}
              <LoadingButton appearance="primary" isLoading={busy.isBusy(`approve:${d.id}`)} onClick={() => void decide(d, 'approve')}>
                {`Approve ${short}`}
              </LoadingButton>
              <LoadingButton appearance="subtle" isLoading={busy.isBusy(`reject:${d.id}`)} onClick={() => void decide(d, 'reject')}>
                {`Reject ${short}`}
              </LoadingButton>
            </Inline>
          );
        })}
        {error ? <Text>{error}</Text> : null}
      </Stack>
    </SectionMessage>
  );
}
