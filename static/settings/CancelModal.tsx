import React, { useState } from 'react';
import { Button, ErrorMessage, LoadingButton, Modal, ModalBody, ModalFooter, ModalHeader, ModalTitle, Stack, Text } from '@forge/react';
import type { CancelView, DeploymentView } from '../../src/core/settings-api';
import { call } from './api';
import { shortCommit } from './format';
import { useBusy } from './useBusy';

interface Props {
  deployment: DeploymentView;
  onCanceled: (result: CancelView) => void;
  onClose: () => void;
}

/** Asks before the vendor is told to stop a running deploy: what it already changed stays changed. */
export function CancelModal({ deployment, onCanceled, onClose }: Props) {
  const [error, setError] = useState<string | null>(null);
  const busy = useBusy();

  const cancel = () =>
    busy.run('cancel', async () => {
      const result = await call<CancelView>('cancelDeploy', { deploymentId: deployment.id });
      if (result.ok) return onCanceled(result.data);
      setError(result.error.message);
    });

  return (
    <Modal onClose={onClose}>
      <ModalHeader>
        <ModalTitle>{`Cancel the deploy to ${deployment.targetName}?`}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <Stack space="space.150">
          <Text>{`${shortCommit(deployment.commit, deployment.commitMessage)} of ${deployment.ref}, to ${deployment.targetName} (${deployment.environment}).`}</Text>
          <Text>
            The vendor is asked to stop it. What it has already released stays released; the history shows how the deploy ended once the
            vendor says so.
          </Text>
          {error ? <ErrorMessage>{error}</ErrorMessage> : null}
        </Stack>
      </ModalBody>
      <ModalFooter>
        <Button appearance="subtle" onClick={onClose}>
          Keep it running
        </Button>
        <LoadingButton appearance="danger" isLoading={busy.isBusy('cancel')} onClick={() => void cancel()}>
          Cancel the deploy
        </LoadingButton>
      </ModalFooter>
    </Modal>
  );
}
