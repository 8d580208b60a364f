import React, { useState } from 'react';
import {
  Button,
  ErrorMessage,
  HelperMessage,
  Inline,
  Label,
  LoadingButton,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  Select,
  Stack,
  Text,
  Textfield,
} from '@forge/react';
import type { BranchSearch, BranchView, DeployNowResult, TargetView } from '../../src/core/settings-api';
import { call } from './api';
import { GateOverride } from './GateOverride';
import { useBusy } from './useBusy';

interface Props {
  target: TargetView;
  mainBranch: string | null;
  onQueued: (result: DeployNowResult) => void;
  onClose: () => void;
}

/** Deploys the newest commit of a chosen branch, found by a server-side search (one Bitbucket call each). */
export function DeployModal({ target, mainBranch, onQueued, onClose }: Props) {
  const [branch, setBranch] = useState(mainBranch ?? '');
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<BranchView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [overrideGates, setOverrideGates] = useState(false);
  const busy = useBusy();

  const find = () =>
    busy.run('search', async () => {
      const result = await call<BranchSearch>('searchBranches', { text: search, patterns: target.rules.branches });
      if (!result.ok) return setError(result.error.message);
      setError(null);
      setFound(result.data.branches);
    });

  const deploy = () =>
    busy.run('deploy', async () => {
      const result = await call<DeployNowResult>('deployNow', { targetId: target.id, branch, ...(overrideGates ? { overrideGates } : {}) });
      if (result.ok) return onQueued(result.data);
      setError(result.error.fields?.branch ?? result.error.message);
    });

  const options = (found ?? []).map((b) => ({ label: b.matches ? `${b.name} (matches this target)` : b.name, value: b.name }));
  return (
    <Modal onClose={onClose}>
      <ModalHeader>
        <ModalTitle>{`Deploy to ${target.name}`}</ModalTitle>
      </ModalHeader>
      <ModalBody>
        <Stack space="space.150">
          <Text>{`Deploys the newest commit of the branch to ${target.name} (${target.environment}), through the same queue as a push.`}</Text>
          <Label labelFor="branchSearch">Find a branch</Label>
          <Inline space="space.100">
            <Textfield
              id="branchSearch"
              name="branchSearch"
              value={search}
              placeholder="Part of a branch name"
              onChange={(e) => setSearch(e.target.value)}
            />
            <LoadingButton isLoading={busy.isBusy('search')} onClick={() => void find()}>
              Search
            </LoadingButton>
          </Inline>
          {found !== null ? (
            found.length === 0 ? (
              <Text>No branch name contains that text.</Text>
            ) : (
              <Stack space="space.050">
                <Label labelFor="branchPick">Branches found</Label>
                <Select
                  inputId="branchPick"
                  name="branchPick"
                  options={options}
                  value={options.find((o) => o.value === branch) ?? null}
                  onChange={(o: { value: string } | null) => setBranch(o?.value ?? '')}
                />
              </Stack>
            )
          ) : null}
          <Label labelFor="branch">Branch</Label>
          <Textfield id="branch" name="branch" value={branch} isInvalid={Boolean(error)} onChange={(e) => setBranch(e.target.value)} />
          <HelperMessage>Newest branches first; the search runs in Bitbucket.</HelperMessage>
          <GateOverride target={target} isChecked={overrideGates} onChange={setOverrideGates} />
          {error ? <ErrorMessage>{error}</ErrorMessage> : null}
        </Stack>
      </ModalBody>
      <ModalFooter>
        <Button appearance="subtle" onClick={onClose}>
          Cancel
        </Button>
        <LoadingButton appearance="primary" isLoading={busy.isBusy('deploy')} isDisabled={branch === ''} onClick={() => void deploy()}>
          {branch ? `Deploy ${branch}` : 'Deploy'}
        </LoadingButton>
      </ModalFooter>
    </Modal>
  );
}
