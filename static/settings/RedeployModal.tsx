import React, { useState } from 'react';
import { Button, ErrorMessage, LoadingButton, Modal, ModalBody, ModalFooter, ModalHeader, ModalTitle, Stack, Text } from '@forge/react';
import type { DeployNowResult, DeploymentView, TargetView } from '../../src/core/settings-api';
import { call } from './api';
import { GateOverride } from './GateOverride';
import { shortCommit } from './format';
import { useBusy } from './useBusy';

interface Props {
  deployment: DeploymentView;
  /** The deployment's target as it is now (its gates); null when it was deleted. */
  target: TargetView | null;
  onQueued: (result: DeployNowResult) => void;
  onClose: () => void;
}

/** Asks before a commit of the history is deployed again: on production this is a rollback. */
export function RedeployModal({ deployment, target, onQueued, onClose }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [overrideGates, setOverrideGates] = useState(false);
  const busy = useBusy();
  const how = deployment.redeploy.ok ? deployment.redeploy.how : deployment.redeploy.why;

  const redeploy = () =>
    busy.run('redeploy', async () => {
      const result = await call<DeployNowResult>('redeploy', { deploymentId: deployment.id, ...(overrideGates ? { overrideGates } : {}) });
      if (result.ok) return onQueued(result.data);
      setError(result.error.message);
    });

  return (
    <Modal onClose={onClose}>
      <ModalHeader>
        <ModalTitle>{`Redeploy to ${deployment.targetName}`}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <Stack space="space.150">
          <Text>{`${shortCommit(deployment.commit, deployment.commitMessage)} of ${deployment.ref}, to ${deployment.targetName} (${deployment.environment}).`}</Text>
          <Text>{`${how}. It goes through the same queue as a push, and a later push deploys over it as usual.`}</Text>
          {target ? <GateOverride target={target} isChecked={overrideGates} onChange={setOverrideGates} /> : null}
          {error ? <ErrorMessage>{error}</ErrorMessage> : null}
        </Stack>
      </ModalBody>
      <ModalFooter>
        <Button appearance="subtle" onClick={onClose}>
          Cancel
        </Button>
        <LoadingButton appearance="primary" isLoading={busy.isBusy('redeploy')} onClick={() => void redeploy()}>
          Redeploy
        </LoadingButton>
      </ModalFooter>
    </Modal>
  );
}
