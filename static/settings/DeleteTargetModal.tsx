import React from 'react';
import { Button, LoadingButton, Modal, ModalBody, ModalFooter, ModalHeader, ModalTitle, Text } from '@forge/react';
import type { TargetView } from '../../src/core/settings-api';

interface Props {
  target: TargetView;
  deleting: boolean;
  onDelete: () => void;
  onClose: () => void;
}

/** The confirmation a destructive action needs, naming the target and what is kept. */
export function DeleteTargetModal({ target, deleting, onDelete, onClose }: Props) {
  return (
    <Modal onClose={onClose}>
      <ModalHeader>
        <ModalTitle>{`Delete ${target.name}?`}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <Text>{`Pushes will no longer deploy to ${target.name} (${target.environment}), and its stored secrets are erased. Its deployment history is kept.`}</Text>
      </ModalBody>
      <ModalFooter>
        <Button appearance="subtle" onClick={onClose}>
          Cancel
        </Button>
        <LoadingButton appearance="danger" isLoading={deleting} onClick={onDelete}>
          {`Delete ${target.name}`}
        </LoadingButton>
      </ModalFooter>
    </Modal>
  );
}
