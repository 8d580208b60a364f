import React, { useEffect, useState } from 'react';
import ForgeReconciler, {
  Button,
  ButtonGroup,
  DynamicTable,
  EmptyState,
  Heading,
  Inline,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  ModalTransition,
  SectionMessage,
  Spinner,
  Stack,
  Tab,
  TabList,
  TabPanel,
  Tabs,
  Text,
  Toggle,
} from '@forge/react';
import type { DeployNowResult, HistoryPage, PageData, StatsView, TargetView, VerifyView } from '../../src/core/settings-api';
import { awaitsRecord, mergeNewest, REFRESH_LIMIT_MS, somethingRuns, useAutoRefresh, withLatest } from './activity';
import { call } from './api';
import { DeployModal } from './DeployModal';
import { syncApproved } from './egress';
import { age, ruleSummary, secretHint, StateLozenge } from './format';
import { History } from './History';
import { TargetForm } from './TargetForm';

type Dialog =
  { kind: 'form'; target: TargetView | null } | { kind: 'delete'; target: TargetView } | { kind: 'deploy'; target: TargetView } | null;

/** What happened last on a row, shown under the table where the admin acted. */
type RowNote = { targetId: string; appearance: 'success' | 'error' | 'information' | 'warning'; title: string; text: string };

const HISTORY_TAB = 1;

function LastDeployment({ target, queued, now }: { target: TargetView; queued: DeployNowResult | undefined; now: number }) {
  const latest = target.latest;
  if (awaitsRecord(queued, latest)) {
    return (
      <Inline space="space.050">
        <StateLozenge state="queued" />
        <Text>{`${queued.branch} ${queued.commit.slice(0, 7)}`}</Text>
      </Inline>
    );
  }
  if (!latest) return <StateLozenge state="none" />;
  return (
    <Inline space="space.050">
      <StateLozenge state={latest.state} live={latest.state === 'succeeded'} />
      <Text>{age(latest.createdAt, now)}</Text>
    </Inline>
  );
}

const App = () => {
  const [page, setPage] = useState<PageData | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [history, setHistory] = useState<HistoryPage | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [note, setNote] = useState<RowNote | null>(null);
  const [queued, setQueued] = useState<Record<string, DeployNowResult>>({});
  const [now, setNow] = useState(() => Date.now());
  const [tab, setTab] = useState(0);
  const [stats, setStats] = useState<StatsView | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const [statsLoading, setStatsLoading] = useState(false);
  /** Whether what the chart counts may have changed since it was loaded. */
  const [statsStale, setStatsStale] = useState(true);
  /** Bumped when the admin acts, so auto-refresh starts again from its shortest delay. */
  const [epoch, setEpoch] = useState(0);

  const load = async () => {
    setEpoch((e) => e + 1);
    setStatsStale(true);
    const result = await call<PageData>('getPage');
    setNow(Date.now());
    if (!result.ok) return setLoadError(result.error.message);
    setLoadError(null);
    setPage(result.data);
    setHistory(result.data.history);
    // What Forge holds may have changed in Atlassian Administration since it was recorded.
    void syncApproved(result.data.approvedEgress);
  };

  // The newest history page alone: one light call that shows queued deploys start, progress and end.
  // Only state setters are used, as useAutoRefresh keeps the first `refresh` it is given.
  const refresh = async () => {
    const result = await call<HistoryPage>('getHistory', {});
    setNow(Date.now());
    if (!result.ok) return setLoadError(result.error.message);
    setLoadError(null);
    setStatsStale(true);
    setHistory((current) => (current ? mergeNewest(current, result.data) : result.data));
    setPage((current) => current && { ...current, targets: withLatest(current.targets, result.data.deployments) });
  };

  const loadStats = async () => {
    setStatsStale(false);
    setStatsLoading(true);
    const result = await call<StatsView>('getStats');
    setStatsLoading(false);
    if (!result.ok) return setStatsError(result.error.message);
    setStatsError(null);
    setStats(result.data);
  };

  useEffect(() => {
    void load();
  }, []);

  const running = page !== null && history !== null && somethingRuns(page.targets, history.deployments, queued);
  const refreshGaveUp = useAutoRefresh(running, epoch, refresh);

  // The chart scans up to a thousand records, so it loads only once the History tab is open: first
  // then, and again after a change once nothing runs any more (not on every auto-refresh).
  useEffect(() => {
    if (tab === HISTORY_TAB && statsStale && (stats === null || !running)) void loadStats();
  }, [tab, statsStale, running]);

  if (loadError && !page) {
    return (
      <SectionMessage appearance="error" title="Deploy Relay">
        <Text>{loadError}</Text>
      </SectionMessage>
    );
  }
  if (!page || !history) return <Spinner label="Loading deploy targets" />;

  const targets = page.targets;
  const replaceTarget = (target: TargetView) => {
    const known = targets.some((t) => t.id === target.id);
    const merged = known ? targets.map((t) => (t.id === target.id ? { ...target, latest: t.latest } : t)) : [...targets, target];
    setPage({ ...page, targets: merged });
  };

  const setEnabled = async (target: TargetView, enabled: boolean) => {
    const result = await call<{ id: string; enabled: boolean }>('setEnabled', { id: target.id, enabled });
    if (result.ok) replaceTarget({ ...target, enabled: result.data.enabled });
    else setNote({ targetId: target.id, appearance: 'error', title: `${target.name} was not changed`, text: result.error.message });
  };

  const verify = async (target: TargetView) => {
    setNote({ targetId: target.id, appearance: 'information', title: `Verifying ${target.name}…`, text: 'Asking the provider.' });
    const result = await call<VerifyView>('verifyTarget', { id: target.id });
    if (!result.ok)
      return setNote({
        targetId: target.id,
        appearance: 'error',
        title: `${target.name} could not be verified`,
        text: result.error.message,
      });
    const { ok, message, shapeOnly } = result.data;
    setNote({
      targetId: target.id,
      appearance: ok ? (shapeOnly ? 'information' : 'success') : 'error',
      title: ok
        ? shapeOnly
          ? `${target.name}: only the URL's shape was checked`
          : `${target.name} is ready`
        : `${target.name} did not verify`,
      text: message,
    });
  };

  const remove = async (target: TargetView) => {
    const result = await call<{ id: string }>('deleteTarget', { id: target.id });
    setDialog(null);
    if (!result.ok)
      return setNote({ targetId: target.id, appearance: 'error', title: `${target.name} was not deleted`, text: result.error.message });
    setPage({ ...page, targets: targets.filter((t) => t.id !== target.id) });
    setNote({ targetId: target.id, appearance: 'success', title: `${target.name} was deleted`, text: 'Its deployment history is kept.' });
  };

  const moreHistory = async () => {
    if (!history.nextCursor) return;
    setLoadingMore(true);
    const result = await call<HistoryPage>('getHistory', { cursor: history.nextCursor });
    setLoadingMore(false);
    if (!result.ok) return setHistoryError(result.error.message);
    setHistoryError(null);
    setHistory({ ...result.data, deployments: [...history.deployments, ...result.data.deployments] });
  };

  // The provider, and its secrets as set or not (never their values), so a missing one shows in the list.
  const providerCell = (t: TargetView) => {
    const provider = page.providers.find((p) => p.id === t.provider);
    const secrets = (provider?.fields ?? []).filter((f) => f.secret).map((f) => `${f.label}: ${secretHint(t.secrets[f.key])}`);
    return (
      <Stack space="space.050">
        <Text>{provider?.title ?? t.provider}</Text>
        {secrets.length > 0 ? <Text>{secrets.join(', ')}</Text> : null}
      </Stack>
    );
  };
  const atLimit = targets.length >= page.maxTargets;
  const addButton = (
    <Button appearance="primary" isDisabled={atLimit} onClick={() => setDialog({ kind: 'form', target: null })}>
      Add target
    </Button>
  );

  const targetsPanel =
    targets.length === 0 ? (
      // The action sits beside EmptyState, not in its primaryAction prop: a node prop is not part of the
      // committed tree's children, so it could not be pressed the same way everywhere.
      <Stack space="space.200" alignInline="center">
        <EmptyState
          header="No deploy targets yet"
          description="A deploy target is a place this repository deploys to: a PaaS app or a signed webhook, with rules saying which branches and tags go there. Every matching push then deploys by itself, and you can deploy any branch by hand."
        />
        {addButton}
      </Stack>
    ) : (
      <Stack space="space.200">
        <Inline space="space.100" alignBlock="center" spread="space-between">
          <Text>{`${targets.length} of at most ${page.maxTargets} targets`}</Text>
          {addButton}
        </Inline>
        <DynamicTable
          head={{
            cells: [
              { key: 'name', content: 'Name' },
              { key: 'env', content: 'Environment' },
              { key: 'provider', content: 'Provider' },
              { key: 'rules', content: 'Deploys' },
              { key: 'last', content: 'Last deployment' },
              { key: 'enabled', content: 'Enabled' },
              { key: 'actions', content: 'Actions' },
            ],
          }}
          rows={targets.map((t) => ({
            key: t.id,
            cells: [
              { key: 'name', content: t.name },
              { key: 'env', content: t.environment },
              { key: 'provider', content: providerCell(t) },
              { key: 'rules', content: ruleSummary(t.rules) },
              { key: 'last', content: <LastDeployment target={t} queued={queued[t.id]} now={now} /> },
              {
                key: 'enabled',
                content: (
                  <Toggle
                    id={`enabled-${t.id}`}
                    name={`enabled-${t.id}`}
                    label={`Enabled: ${t.name}`}
                    isChecked={t.enabled}
                    onChange={(e) => void setEnabled(t, Boolean(e.target.checked))}
                  />
                ),
              },
              {
                key: 'actions',
                content: (
                  <ButtonGroup label={`Actions for ${t.name}`}>
                    <Button onClick={() => setDialog({ kind: 'form', target: t })}>Edit</Button>
                    <Button isDisabled={!t.enabled} onClick={() => setDialog({ kind: 'deploy', target: t })}>
                      Deploy now
                    </Button>
                    <Button onClick={() => void verify(t)}>Verify</Button>
                    <Button appearance="danger" onClick={() => setDialog({ kind: 'delete', target: t })}>
                      Delete
                    </Button>
                  </ButtonGroup>
                ),
              },
            ],
          }))}
        />
        {targets
          .filter((t) => t.unapprovedEgress.length > 0)
          .map((t) => (
            <SectionMessage key={`egress-${t.id}`} appearance="warning" title={`${t.name} calls a host that is not approved`}>
              <Text>{`Deploy Relay may not call ${t.unapprovedEgress.map((origin) => new URL(origin).host).join(', ')} yet, so its deploys are refused before anything is sent. A workspace admin can approve it: open the target with Edit and save it, and Bitbucket asks for the approval.`}</Text>
            </SectionMessage>
          ))}
      </Stack>
    );

  return (
    <Stack space="space.300">
      <Inline space="space.100" alignBlock="center" spread="space-between">
        <Heading as="h2">{page.repository.fullName ? `Deploy targets of ${page.repository.fullName}` : 'Deploy targets'}</Heading>
        <Button appearance="subtle" onClick={() => void load()}>
          Refresh
        </Button>
      </Inline>
      {loadError ? (
        <SectionMessage appearance="error" title="Could not refresh">
          <Text>{loadError}</Text>
        </SectionMessage>
      ) : null}
      {refreshGaveUp ? (
        <SectionMessage appearance="information" title="No longer refreshing by itself">
          <Text>{`A deployment is still running after ${REFRESH_LIMIT_MS / 60_000} minutes of watching. Press Refresh to look again.`}</Text>
        </SectionMessage>
      ) : null}
      {note ? (
        <SectionMessage appearance={note.appearance} title={note.title}>
          <Text>{note.text}</Text>
        </SectionMessage>
      ) : null}
      {history.corruptRecords > 0 ? (
        <SectionMessage appearance="warning" title="Some deployment records could not be read">
          <Text>{`${history.corruptRecords} stored record(s) no longer parse and are not shown.`}</Text>
        </SectionMessage>
      ) : null}
      <Tabs id="settings-tabs" selected={tab} onChange={(index) => setTab(index)}>
        <TabList>
          <Tab>Targets</Tab>
          <Tab>History</Tab>
        </TabList>
        <TabPanel>{targetsPanel}</TabPanel>
        <TabPanel>
          <History
            deployments={history.deployments}
            hasMore={history.nextCursor !== null}
            loading={loadingMore}
            error={historyError}
            now={now}
            onMore={() => void moreHistory()}
            stats={stats}
            statsError={statsError}
            statsLoading={statsLoading}
          />
        </TabPanel>
      </Tabs>
      <ModalTransition>
        {dialog?.kind === 'form' ? (
          <TargetForm
            target={dialog.target}
            providers={page.providers}
            onClose={() => setDialog(null)}
            onSaved={(target) => {
              replaceTarget(target);
              setDialog(null);
              setNote({
                targetId: target.id,
                appearance: 'success',
                title: `${target.name} was saved`,
                text: 'Pushes that match its rules now deploy to it.',
              });
            }}
          />
        ) : null}
        {dialog?.kind === 'deploy' ? (
          <DeployModal
            target={dialog.target}
            mainBranch={page.repository.mainBranch}
            onClose={() => setDialog(null)}
            onQueued={(result) => {
              setQueued({ ...queued, [result.targetId]: result });
              setEpoch((e) => e + 1);
              setDialog(null);
              setNote({
                targetId: result.targetId,
                appearance: 'information',
                title: `Deploy of ${result.branch} queued`,
                text: `${result.commit.slice(0, 7)} ${result.commitMessage}`.trim(),
              });
            }}
          />
        ) : null}
        {dialog?.kind === 'delete' ? (
          <Modal onClose={() => setDialog(null)}>
            <ModalHeader>
              <ModalTitle>{`Delete ${dialog.target.name}?`}</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <Text>{`Pushes will no longer deploy to ${dialog.target.name} (${dialog.target.environment}), and its stored secrets are erased. Its deployment history is kept.`}</Text>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => setDialog(null)}>
                Cancel
              </Button>
              <Button appearance="danger" onClick={() => void remove(dialog.target)}>
                {`Delete ${dialog.target.name}`}
              </Button>
            </ModalFooter>
          </Modal>
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
