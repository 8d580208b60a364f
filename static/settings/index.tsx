import React, { useState } from 'react';
import ForgeReconciler, {
  Heading,
  Inline,
  LoadingButton,
  ModalTransition,
  SectionMessage,
  Spinner,
  Stack,
  Tab,
  TabList,
  TabPanel,
  Tabs,
  Text,
} from '@forge/react';
import { Approvals } from './Approvals';
import { AuditLog } from './AuditLog';
import { DeleteTargetModal } from './DeleteTargetModal';
import { DeployModal } from './DeployModal';
import { History } from './History';
import { HistoryFilters } from './HistoryFilters';
import { PageMessages } from './PageMessages';
import { CancelModal } from './CancelModal';
import { RedeployModal } from './RedeployModal';
import { TargetForm } from './TargetForm';
import { Previews } from './Previews';
import { TargetsTab } from './TargetsTab';
import { usePage } from './usePage';
import { useStats } from './useStats';
import { useTargetActions } from './useTargetActions';

/**
 * The repository settings page: the data comes from usePage (loaded once, refreshed while something
 * runs), the chart from useStats, what the admin does to a target from useTargetActions.
 */

const HISTORY_TAB = 1;
const AUDIT_TAB = 2;
const PREVIEWS_TAB = 3;

const App = () => {
  const state = usePage();
  const actions = useTargetActions(state);
  const [tab, setTab] = useState(0);
  const chart = useStats(tab === HISTORY_TAB, state.running, state.changes);
  const { page, history } = state;
  const dialog = actions.dialog;

  if (state.loadError && !page) {
    return (
      <SectionMessage appearance="error" title="Deploy Relay">
        <Text>{state.loadError}</Text>
      </SectionMessage>
    );
  }
  if (!page || !history) return <Spinner label="Loading deploy targets" />;

  return (
    <Stack space="space.300">
      <Inline space="space.100" alignBlock="center" spread="space-between">
        <Heading as="h2">{page.repository.fullName ? `Deploy targets of ${page.repository.fullName}` : 'Deploy targets'}</Heading>
        <LoadingButton appearance="subtle" isLoading={state.reloading} onClick={() => void state.reload()}>
          Refresh
        </LoadingButton>
      </Inline>
      <PageMessages state={state} note={actions.note} />
      <Approvals deployments={history.deployments} onDecided={state.reload} />
      <Tabs id="settings-tabs" selected={tab} onChange={(index) => setTab(index)}>
        <TabList>
          <Tab>Targets</Tab>
          <Tab>History</Tab>
          <Tab>Audit log</Tab>
          <Tab>Previews</Tab>
        </TabList>
        <TabPanel>
          <TargetsTab page={page} queued={state.queued} now={state.now} actions={actions} />
        </TabPanel>
        <TabPanel>
          <History
            history={history}
            repositoryFullName={page.repository.fullName}
            now={state.now}
            older={state.older}
            chart={chart}
            filtered={state.filter !== null}
            onRedeploy={(deployment) => actions.open({ kind: 'redeploy', deployment })}
            onCancel={(deployment) => actions.open({ kind: 'cancel', deployment })}
            filters={
              <HistoryFilters
                targets={page.targets}
                applied={state.filter}
                busy={state.filtering}
                onApply={(filter) => void state.applyFilter(filter)}
              />
            }
          />
        </TabPanel>
        <TabPanel>
          <AuditLog open={tab === AUDIT_TAB} changes={state.changes} now={state.now} />
        </TabPanel>
        <TabPanel>
          <Previews open={tab === PREVIEWS_TAB} changes={state.changes} now={state.now} repositoryFullName={page.repository.fullName} />
        </TabPanel>
      </Tabs>
      <ModalTransition>
        {dialog?.kind === 'form' ? (
          <TargetForm target={dialog.target} providers={page.providers} onClose={actions.close} onSaved={actions.saved} />
        ) : null}
        {dialog?.kind === 'deploy' ? (
          <DeployModal target={dialog.target} mainBranch={page.repository.mainBranch} onClose={actions.close} onQueued={actions.queued} />
        ) : null}
        {dialog?.kind === 'redeploy' ? (
          <RedeployModal
            deployment={dialog.deployment}
            target={page.targets.find((t) => t.id === dialog.deployment.targetId) ?? null}
            onClose={actions.close}
            onQueued={actions.queued}
          />
        ) : null}
        {dialog?.kind === 'cancel' ? (
          <CancelModal
            deployment={dialog.deployment}
            onClose={actions.close}
            onCanceled={(result) => actions.canceled(dialog.deployment, result)}
          />
        ) : null}
        {dialog?.kind === 'delete' ? (
          <DeleteTargetModal
            target={dialog.target}
            deleting={actions.busy.isBusy(`delete:${dialog.target.id}`)}
            onClose={actions.close}
            onDelete={() => void actions.remove(dialog.target)}
          />
        ) : null}
      </ModalTransition>
    </Stack>
  );
};

ForgeReconciler.render(
  <React.StrictMode>
    <App />
  </React.StrictMode>,
);
