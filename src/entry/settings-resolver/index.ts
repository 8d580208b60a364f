import Resolver from '@forge/resolver';
import { AUDIT_SCHEMA_VERSION, type AuditAction, type AuditEntry, changedFields, changedSecrets } from '../../core/audit';
import { type Deployment, deploymentId } from '../../core/deployment';
import { RelayError, StaleStateError } from '../../core/errors';
import { bracedUuid, digest, isBracedUuid, randomId } from '../../core/ids';
import { type DeployJob, JOB_SCHEMA_VERSION, jobKeyFor, MAX_JOB_MESSAGE_LENGTH, parseDeployJob } from '../../core/job';
import { orderOf } from '../../core/order';
import { isBranchName, refMatches } from '../../core/rules';
import type {
  AuditPage,
  PreviewsPage,
  PreviewView,
  CancelView,
  DecisionView,
  BranchSearch,
  DeployNowResult,
  DeploymentView,
  HistoryPage,
  PageData,
  Result,
  SettingsErrorCode,
  StatsView,
  TargetView,
  VerifyView,
} from '../../core/settings-api';
import { LIVE_STATES } from '../../core/settings-api';
import { redeployability } from '../../core/redeploy';
import { cancelability } from '../../core/cancel';
import { HttpFault, HttpRejected } from '../../core/http';
import type { BoundProvider, ProviderCall } from '../../core/provider';
import { mayNotDecide } from '../../core/approval';
import { NO_SECRETS, secretParts, secretsFor, type StoredSecrets } from '../../core/secrets';
import { dailyStats, windowStart } from '../../core/stats';
import { DECLARED_EGRESS_HOSTS } from '../../core/egress-hosts';
import { isPaused, MAX_TARGETS_PER_REPOSITORY, type Target, TARGETS_SCHEMA_VERSION, type TargetsDocument } from '../../core/targets';
import { allowedEgress, allowedEgressWith, checkEgress } from '../../forge/egress';
import {
  getBranchHead,
  getRepositorySummary,
  isRepositoryAdmin,
  isWorkspaceAdmin,
  needsConsent,
  searchBranches as searchBitbucketBranches,
} from '../../forge/bitbucket';
import { forgeHttpClient } from '../../forge/http';
import { appLogger } from '../../forge/log';
import { enqueueDeployJobs } from '../../forge/queue';
import {
  ADMIN_CHECK_MS,
  appendAudit,
  getAdminCheck,
  decideApproval,
  getDeployment,
  getWaitingJob,
  getEgressGrants,
  getSecrets,
  getTargets,
  type DeploymentPage,
  listAudit,
  listDeployments,
  listRepositoryPreviews,
  newestOrder,
  putAdminCheck,
  putEgressGrants,
  putSecrets,
  putTargetsIfUnchanged,
  readTargetsForChange,
} from '../../forge/store';
import { bindProvider, cancelWayOf, redeployWayOf } from '../../providers/registry';
import {
  auditPayload,
  decideDeployPayload,
  deployNowPayload,
  EGRESS_DOMAIN,
  type HistoryFilterPayload,
  historyPayload,
  parsePayload,
  recordEgressPayload,
  redeployPayload,
  saveTargetPayload,
  searchBranchesPayload,
  setEnabledPayload,
  setPausedPayload,
  cancelDeployPayload,
  targetIdPayload,
} from './payloads';
import { applySave, bindingOfStored, FieldErrors } from './save';
import { deploymentView, frozenView, providerViews, targetsById, type TargetsById, targetView } from './views';

const HISTORY_PAGE = 20;
const AUDIT_PAGE = 20;
/** How far back getPage looks for each target's latest deployment when the first page lacks one. */
const LATEST_SCAN = 100;
/** A filtered history page reads at most FILTER_SCANS × FILTER_PAGE records (twelve KVS queries of at most 20). */
const FILTER_PAGE = 50;
const FILTER_SCANS = 4;
const BRANCH_PAGE = 20;
const STATS_DAYS = 30;
/** The chart reads at most this many records (fifty KVS queries of 20), so a busy repository stays quick. */
const STATS_CAP = 1000;
/** Records per read of the history (store.ts reads them in KVS queries of at most 20: five here). */
const STATS_PAGE = 100;

interface CallContext {
  repositoryUuid: string;
  /** From the invocation's installContext (set by the platform, not the page). */
  workspaceUuid: string | null;
  accountId: string | null;
}

const WORKSPACE_ARI = /^ari:cloud:bitbucket::workspace\/([0-9a-f-]{36})$/i;

/** The repository comes only from the call's own context, never from the payload. */
function contextOf(context: unknown): CallContext | null {
  const ctx = context as { extension?: { repository?: { uuid?: unknown } }; installContext?: unknown; accountId?: unknown } | undefined;
  const uuid = ctx?.extension?.repository?.uuid;
  if (typeof uuid !== 'string' || !isBracedUuid(uuid)) return null;
  const ari = typeof ctx?.installContext === 'string' ? WORKSPACE_ARI.exec(ctx.installContext) : null;
  return {
    repositoryUuid: uuid,
    workspaceUuid: ari?.[1] ? bracedUuid(ari[1]) : null,
    accountId: typeof ctx?.accountId === 'string' ? ctx.accountId : null,
  };
}

const fail = <T>(code: SettingsErrorCode, message: string, fields?: Record<string, string>, egress?: readonly string[]): Result<T> => ({
  ok: false,
  error: { code, message, ...(fields ? { fields } : {}), ...(egress && egress.length > 0 ? { egress: [...egress] } : {}) },
});

/** Wraps a resolver so it checks the caller and never throws at the page. */
function guarded<T>(handler: (call: CallContext, payload: unknown) => Promise<T>) {
  return async ({ payload, context }: { payload: unknown; context: unknown }): Promise<Result<T>> => {
    const call = contextOf(context);
    if (!call) return fail('FORBIDDEN', 'This page must be opened from a repository’s settings.');
    // No signed-in person: nobody to ask Bitbucket about, and no retry would help.
    if (!call.accountId) return fail('FORBIDDEN', 'Sign in to Bitbucket to manage deploy targets. Nothing was changed.');
    try {
      if (!(await administers(call, call.accountId))) {
        return fail('FORBIDDEN', 'Only administrators of this repository can manage its deploy targets. Nothing was changed.');
      }
      return { ok: true, data: await handler(call, payload) };
    } catch (error) {
      // Forge asks the person for consent only when this error leaves the resolver: it must not become a Result.
      if (needsConsent(error)) throw error;
      if (error instanceof FieldErrors) return fail(error.code as SettingsErrorCode, error.message, error.fields, error.egress);
      if (error instanceof RelayError) return fail(error.code as SettingsErrorCode, error.message);
      appLogger.error('settings resolver failed', { error: (error as Error).message });
      return fail('INTERNAL', 'Something went wrong on our side; nothing was changed. Try again.');
    }
  };
}

/** The admin check, asked of Bitbucket at most once a minute per person and repository (store.ts). */
async function administers(call: CallContext, accountId: string): Promise<boolean> {
  const workspace = requireWorkspace(call);
  const now = Date.now();
  const cached = await getAdminCheck(call.repositoryUuid, accountId);
  if (cached && now - cached.checkedAt >= 0 && now - cached.checkedAt < ADMIN_CHECK_MS) return cached.admin;
  const admin = await isRepositoryAdmin(workspace, call.repositoryUuid);
  await putAdminCheck(call.repositoryUuid, accountId, { admin, checkedAt: now });
  return admin;
}

function requireWorkspace(call: CallContext): string {
  if (!call.workspaceUuid)
    throw new RelayError('FORBIDDEN', 'The workspace of this page is unknown; open the page from the repository’s settings again.');
  return call.workspaceUuid;
}

function requireTarget(doc: TargetsDocument | null, id: string): Target {
  const target = doc?.targets.find((t) => t.id === id);
  if (!target) throw new RelayError('NOT_FOUND', 'That target no longer exists; reload the page.');
  return target;
}

/** A page of the history as the page shows it: each row with whether its commit can be redeployed to its target as it is now. */
function historyView(page: DeploymentPage, targets: TargetsById): HistoryPage {
  return {
    deployments: page.deployments.map((d) => deploymentView(d, targets)),
    nextCursor: page.nextCursor,
    corruptRecords: page.corrupt.length,
  };
}

const targetsOf = async (repo: string): Promise<TargetsById> => targetsById((await getTargets(repo))?.targets ?? []);

/** A target's latest attempt and what it serves now (settings-api.ts, TargetView). */
type TargetDeployments = { latest: DeploymentView | null; live: DeploymentView | null };

/**
 * Each target's latest and live deployment, from the first history page, or the newest LATEST_SCAN
 * records when that page is full and lacks one of them for some target.
 */
async function deploymentsByTarget(
  repo: string,
  targets: TargetsById,
  first: readonly Deployment[],
): Promise<Map<string, TargetDeployments>> {
  const found = new Map<string, TargetDeployments>([...targets.keys()].map((id) => [id, { latest: null, live: null }]));
  const take = (records: readonly Deployment[]) => {
    for (const d of records) {
      const entry = found.get(d.target.id);
      if (!entry) continue;
      entry.latest ??= deploymentView(d, targets);
      if (LIVE_STATES.includes(d.state)) entry.live ??= deploymentView(d, targets);
    }
  };
  take(first);
  const missing = [...found.values()].some((entry) => entry.latest === null || entry.live === null);
  if (first.length === HISTORY_PAGE && missing) take((await listDeployments(repo, LATEST_SCAN)).deployments);
  return found;
}

async function getPage(call: CallContext): Promise<PageData> {
  const workspace = call.workspaceUuid;
  const [doc, records, repository, approved] = await Promise.all([
    getTargets(call.repositoryUuid),
    listDeployments(call.repositoryUuid, HISTORY_PAGE),
    // The page still loads if Bitbucket cannot say the repository's name right now.
    workspace ? getRepositorySummary(workspace, call.repositoryUuid).catch(() => null) : Promise.resolve(null),
    getEgressGrants(),
  ]);
  const allowed = allowedEgressWith(approved);
  const targets = doc?.targets ?? [];
  const byId = targetsById(targets);
  const deployments = await deploymentsByTarget(call.repositoryUuid, byId, records.deployments);
  const shown = historyView(records, byId);
  return {
    repository: {
      uuid: call.repositoryUuid,
      fullName: repository?.fullName ?? doc?.repository.fullName ?? null,
      name: repository?.name ?? null,
      mainBranch: repository?.mainBranch ?? null,
    },
    targets: targets.map((t): TargetView => targetView(t, deployments.get(t.id) ?? { latest: null, live: null }, allowed, Date.now())),
    history: shown,
    providers: providerViews(),
    egressHosts: [...DECLARED_EGRESS_HOSTS],
    approvedEgress: approved,
    maxTargets: MAX_TARGETS_PER_REPOSITORY,
    deployments: shown.deployments,
    corruptRecords: shown.corruptRecords,
  };
}

async function getHistory(call: CallContext, payload: unknown): Promise<HistoryPage> {
  const { cursor, filter } = parsePayload(historyPayload, payload);
  const [targets, page] = await Promise.all([
    targetsOf(call.repositoryUuid),
    filter
      ? filteredHistoryPage(call.repositoryUuid, filter, cursor ?? undefined)
      : listDeployments(call.repositoryUuid, HISTORY_PAGE, cursor ?? undefined),
  ]);
  return historyView(page, targets);
}

const matchesFilter = (d: Deployment, filter: HistoryFilterPayload): boolean =>
  (filter.targetId === undefined || d.target.id === filter.targetId) &&
  (filter.states === undefined || filter.states.includes(d.state)) &&
  (filter.ref === undefined || d.ref.name === filter.ref);

/**
 * A filtered page: whole pages of records read until HISTORY_PAGE of them match, or FILTER_SCANS pages
 * were read. Whole pages, so the cursor (the store's own, after the last page read) neither skips nor
 * repeats a record; a page may hold more than HISTORY_PAGE matches, or none when the filter is rare.
 */
async function filteredHistoryPage(repo: string, filter: HistoryFilterPayload, cursor?: string): Promise<DeploymentPage> {
  const records: Deployment[] = [];
  const corrupt: DeploymentPage['corrupt'] = [];
  let next = cursor;
  for (let scan = 0; scan < FILTER_SCANS; scan += 1) {
    const page = await listDeployments(repo, FILTER_PAGE, next);
    records.push(...page.deployments.filter((d) => matchesFilter(d, filter)));
    corrupt.push(...page.corrupt);
    next = page.nextCursor ?? undefined;
    if (!next || records.length >= HISTORY_PAGE) break;
  }
  return { deployments: records, nextCursor: next ?? null, corrupt };
}

/**
 * Records are listed newest first by key, so the scan stops at the first page that reaches back past the
 * window, or at the cap; records before the window on that last page are left out by dailyStats.
 */
async function getStats(call: CallContext): Promise<StatsView> {
  const now = Date.now();
  const since = windowStart(now, STATS_DAYS);
  const records: Deployment[] = [];
  let scanned = 0;
  let corruptRecords = 0;
  let cursor: string | undefined;
  let reachedStart = false;
  do {
    const page = await listDeployments(call.repositoryUuid, Math.min(STATS_PAGE, STATS_CAP - scanned), cursor);
    scanned += page.deployments.length + page.corrupt.length;
    corruptRecords += page.corrupt.length;
    records.push(...page.deployments);
    cursor = page.nextCursor ?? undefined;
    reachedStart = !cursor || (records.at(-1)?.createdAt ?? now) < since;
  } while (!reachedStart && scanned < STATS_CAP);
  return {
    days: dailyStats(records, now, STATS_DAYS),
    windowDays: STATS_DAYS,
    scanned,
    cap: STATS_CAP,
    truncated: !reachedStart,
    countedSince: reachedStart ? since : (records.at(-1)?.createdAt ?? since),
    corruptRecords,
  };
}

/** A change to the targets loses to a concurrent one at most this often before the admin is asked to try again. */
const CHANGE_PASSES = 8;

/**
 * Applies `change` to the targets as stored and writes the result only if no other change was written
 * in between (store.ts: conditioned on the targets' revision); a change that lost is applied again to
 * what won, so a concurrent save of another target is kept, never lost. The change's audit entry
 * (null when nothing changed) is written with it.
 */
async function changeTargets<T extends { doc: TargetsDocument; note: AuditNote | null }>(
  call: CallContext,
  change: (doc: TargetsDocument | null) => Promise<T>,
): Promise<T> {
  for (let pass = 1; ; pass += 1) {
    const { doc, revision } = await readTargetsForChange(call.repositoryUuid);
    const outcome = await change(doc);
    try {
      await putTargetsIfUnchanged(outcome.doc, revision, outcome.note ? auditEntry(call, outcome.note) : undefined);
      return outcome;
    } catch (error) {
      if (!(error instanceof StaleStateError)) throw error;
      if (pass >= CHANGE_PASSES)
        throw new RelayError(
          'CONFLICT',
          'Other admins are changing these targets right now; nothing was saved. Reload the page and try again.',
        );
    }
  }
}

/** The targets of a repository that has none stored yet. */
const newTargetsDocument = (call: CallContext): TargetsDocument => ({
  schemaVersion: TARGETS_SCHEMA_VERSION,
  repository: { uuid: call.repositoryUuid, workspaceUuid: requireWorkspace(call), fullName: null },
  targets: [],
});

async function saveTarget(call: CallContext, payload: unknown): Promise<TargetView> {
  const input = parsePayload(saveTargetPayload, payload);
  const allowed = await allowedEgress();
  const outcome = await changeTargets(call, async (existingDoc) => {
    // Read on every pass: another admin's save may have written them since the last.
    const stored = input.id ? await boundSecrets(call.repositoryUuid, existingDoc, input.id) : NO_SECRETS;
    const doc = existingDoc ?? newTargetsDocument(call);
    const applied = applySave(doc, input, stored, allowed, new Date().toISOString());
    if (doc.repository.fullName === null && call.workspaceUuid) {
      const summary = await getRepositorySummary(call.workspaceUuid, call.repositoryUuid).catch(() => null);
      applied.doc.repository = { ...applied.doc.repository, fullName: summary?.fullName ?? null };
    }
    const before = doc.targets.find((t) => t.id === applied.target.id);
    return { ...applied, note: saveNote(before, applied.target, stored.values, applied.secrets?.values ?? stored.values) };
  });
  // After the targets: a save refused for a concurrent change must not have replaced another admin's
  // secrets. A push in the moment between finds the new target with its old secrets, which are refused
  // if they were saved for elsewhere (core/secrets.ts), never sent there.
  if (outcome.secrets) await putSecrets(call.repositoryUuid, outcome.target.id, outcome.secrets);
  return targetView(outcome.target, { latest: null, live: null }, allowed, Date.now());
}

/** What a save did, for the audit log: the fields and secrets it changed, by name; null when it changed nothing. */
function saveNote(
  before: Target | undefined,
  after: Target,
  storedSecrets: Record<string, string>,
  savedSecrets: Record<string, string>,
): AuditNote | null {
  const secrets = changedSecrets(before ? storedSecrets : {}, savedSecrets);
  if (!before)
    return { action: 'target.created', target: after, detail: `Created ${after.name} (${after.provider}, ${after.environment})`, secrets };
  const changed = changedFields(before, after);
  if (changed.length === 0 && secrets.length === 0) return null;
  const what = [...changed, ...secrets.map((name) => `secret ${name}`)].join(', ');
  return { action: 'target.changed', target: after, detail: `Changed ${what}`, changed, secrets };
}

/**
 * The target's stored secrets, bound first if they were saved before bindings existed: to the target as
 * it is stored, so from this write on no push can send them anywhere else, whatever this save changes.
 */
async function boundSecrets(repo: string, doc: TargetsDocument | null, targetId: string): Promise<StoredSecrets> {
  const stored = await getSecrets(repo, targetId);
  const target = doc?.targets.find((t) => t.id === targetId);
  if (stored.boundTo !== null || Object.keys(stored.values).length === 0 || !target) return stored;
  const boundTo = bindingOfStored(target);
  if (boundTo === null) return stored;
  const bound = { boundTo, values: stored.values };
  await putSecrets(repo, targetId, bound);
  return bound;
}

async function deleteTarget(call: CallContext, payload: unknown): Promise<{ id: string }> {
  const { id } = parsePayload(targetIdPayload, payload);
  await changeTargets(call, async (doc) => {
    const target = requireTarget(doc, id);
    return {
      doc: { ...(doc as TargetsDocument), targets: (doc as TargetsDocument).targets.filter((t) => t.id !== id) },
      note: {
        action: 'target.deleted',
        target,
        detail: `Deleted ${target.name} (${target.provider}, ${target.environment}) and its secrets`,
        secrets: Object.keys(target.secretHints).sort(),
      },
    };
  });
  await putSecrets(call.repositoryUuid, id, NO_SECRETS);
  return { id };
}

/** A target's two switches from the table, and the audit entry each way of turning one writes. */
const SWITCHES = {
  enabled: (on: boolean, name: string) =>
    on
      ? { action: 'target.enabled' as const, detail: `Enabled ${name}` }
      : { action: 'target.disabled' as const, detail: `Disabled ${name}` },
  paused: (on: boolean, name: string) =>
    on
      ? { action: 'target.paused' as const, detail: `Paused automatic deploys of ${name}` }
      : { action: 'target.resumed' as const, detail: `Resumed automatic deploys of ${name}` },
};

/**
 * Turns a switch of the target; turning it to where it already is changes nothing and logs nothing.
 * Answers the target's `updatedAt`, so the page's next save of it is not taken for another admin's change.
 */
async function setSwitch(call: CallContext, id: string, key: keyof typeof SWITCHES, on: boolean): Promise<{ updatedAt: string }> {
  const { updated } = await changeTargets(call, async (doc) => {
    const target = requireTarget(doc, id);
    const current = key === 'enabled' ? target.enabled : isPaused(target);
    const updated = current === on ? target : { ...target, [key]: on, updatedAt: new Date().toISOString() };
    const note: AuditNote | null = updated === target ? null : { ...SWITCHES[key](on, target.name), target };
    return {
      doc: { ...(doc as TargetsDocument), targets: (doc as TargetsDocument).targets.map((t) => (t.id === id ? updated : t)) },
      note,
      updated,
    };
  });
  return { updatedAt: updated.updatedAt };
}

async function setEnabled(call: CallContext, payload: unknown): Promise<{ id: string; enabled: boolean; updatedAt: string }> {
  const { id, enabled } = parsePayload(setEnabledPayload, payload);
  return { id, enabled, ...(await setSwitch(call, id, 'enabled', enabled)) };
}

async function setPaused(call: CallContext, payload: unknown): Promise<{ id: string; paused: boolean; updatedAt: string }> {
  const { id, paused } = parsePayload(setPausedPayload, payload);
  return { id, paused, ...(await setSwitch(call, id, 'paused', paused)) };
}

async function searchBranches(call: CallContext, payload: unknown): Promise<BranchSearch> {
  const { text, patterns = [] } = parsePayload(searchBranchesPayload, payload);
  const found = await searchBitbucketBranches(requireWorkspace(call), call.repositoryUuid, text, BRANCH_PAGE);
  const rules = { branches: patterns.filter((p) => p.trim() !== ''), tags: [], paths: { include: [], exclude: [] } };
  return {
    branches: found.branches.map((b) => ({
      name: b.name,
      commit: b.hash,
      date: b.date,
      matches: refMatches(rules, { name: b.name, type: 'branch' }),
    })),
    more: found.more,
  };
}

async function deployNow(call: CallContext, payload: unknown): Promise<DeployNowResult> {
  const { targetId, branch, overrideGates } = parsePayload(deployNowPayload, payload);
  if (!isBranchName(branch)) throw new FieldErrors({ branch: `"${branch.slice(0, 100)}" is not a branch name` });
  const workspaceUuid = requireWorkspace(call);
  const target = requireTarget(await getTargets(call.repositoryUuid), targetId);
  if (!target.enabled) throw new RelayError('INVALID_INPUT', `${target.name} is disabled; enable it to deploy.`);
  if (target.preview) {
    throw new RelayError(
      'INVALID_INPUT',
      `${target.name} makes pull-request previews: open or update a pull request into its branches to deploy one. Nothing was deployed.`,
    );
  }
  const head = await getBranchHead(workspaceUuid, call.repositoryUuid, branch);
  if (!head) throw new FieldErrors({ branch: `There is no branch ${branch} in this repository.` });
  return queueJob(
    call,
    target,
    {
      trigger: 'manual',
      ref: { name: branch, type: 'branch' },
      commit: { hash: head.hash, message: head.message, author: head.author, date: head.date },
      overrideGates: overrideGates ?? false,
    },
    { action: 'deploy.manual', target, detail: `Deploy now: ${branch} at ${head.hash.slice(0, 7)}` },
  );
}

/**
 * Redeploy this commit: the record's commit, to its target as configured now, the way its provider can
 * (core/redeploy.ts). It goes through the same queue and worker as a push, and is newer than every push
 * so far: an admin's redeploy of an older commit is a rollback on purpose, and a later push goes over it.
 */
async function redeploy(call: CallContext, payload: unknown): Promise<DeployNowResult> {
  const { deploymentId, overrideGates } = parsePayload(redeployPayload, payload);
  const [doc, record] = await Promise.all([getTargets(call.repositoryUuid), getDeployment(call.repositoryUuid, deploymentId)]);
  if (!record) throw new RelayError('NOT_FOUND', 'That deployment is no longer in the history; reload the page.');
  const target = doc?.targets.find((t) => t.id === record.target.id);
  const can = redeployability(record, target ?? null, redeployWayOf(target));
  if (!can.ok || !target) throw new RelayError('INVALID_INPUT', `${can.ok ? 'Its target was deleted' : can.why}. Nothing was deployed.`);
  return queueJob(
    call,
    target,
    {
      trigger: 'redeploy',
      ref: record.ref,
      commit: { hash: record.commit.hash, message: record.commit.message, author: record.commit.author, date: null },
      redeployOf: { recordId: record.id, provider: record.target.provider, vendorId: record.vendorId },
      overrideGates: overrideGates ?? false,
    },
    {
      action: 'deploy.redeploy',
      target,
      detail: `Redeploy of ${record.ref.name} at ${record.commit.hash.slice(0, 7)} (${can.by === 'rollback' ? 'by the vendor’s rollback' : 'this exact commit'})`,
    },
  );
}

/** What an admin asked to deploy: the rest of the job is the same for every kind. */
type AskedDeploy = Pick<DeployJob, 'trigger' | 'ref' | 'redeployOf'> & { commit: DeployJob['commit']; overrideGates: boolean };

/** The gates a deploy asked for now would wait at, as the audit log names them. */
function gatesOf(target: Target, now: number): string[] {
  const frozen = frozenView(target, now);
  return [
    ...(target.options.waitForBuilds ? ['the wait for builds'] : []),
    ...(target.options.requireApproval ? ['approval'] : []),
    ...(frozen ? [`the freeze until ${frozen.until}`] : []),
  ];
}

/**
 * Queues the job a push would make for `target`, asked for from the page (`manual` lets a commit deploy
 * again). During a freeze it is refused unless the admin overrides the gates. The audit entry is
 * written first: nothing is deployed that the log does not show (a queue push that then fails leaves
 * an entry of a deploy asked for, and the admin an error).
 */
async function queueJob(call: CallContext, target: Target, asked: AskedDeploy, note: AuditNote): Promise<DeployNowResult> {
  const workspaceUuid = requireWorkspace(call);
  const queuedAt = Date.now();
  const frozen = frozenView(target, queuedAt);
  if (frozen && !asked.overrideGates) {
    throw new RelayError(
      'INVALID_INPUT',
      `${target.name} is frozen until ${frozen.until} (${frozen.why}). Nothing was deployed; to deploy anyway, choose Override the gates (the audit log records it).`,
    );
  }
  const overridden = asked.overrideGates ? gatesOf(target, queuedAt) : [];
  const deliveryId = `m-${digest(call.repositoryUuid, target.id, asked.commit.hash, String(queuedAt), randomId(''))}`;
  const job: DeployJob = parseDeployJob({
    v: JOB_SCHEMA_VERSION,
    deliveryId,
    jobKey: jobKeyFor(deliveryId, target.id),
    trigger: asked.trigger,
    repository: { uuid: call.repositoryUuid, workspaceUuid },
    targetId: target.id,
    ref: asked.ref,
    commit: { ...asked.commit, message: asked.commit.message.slice(0, MAX_JOB_MESSAGE_LENGTH) },
    ...(asked.redeployOf ? { redeployOf: asked.redeployOf } : {}),
    ...(overridden.length > 0 ? { overrideGates: true } : {}),
    previousCommit: null,
    mainbranch: null,
    actor: { accountId: call.accountId, uuid: null },
    pushedAt: null,
    // Asked for now, so newer than every push so far, even one whose timestamp is ahead of this clock.
    order: Math.max(orderOf(null, queuedAt), ((await newestOrder(call.repositoryUuid, target.id)) ?? 0) + 1),
    skipReason: null,
    createdAt: queuedAt,
  });
  const detail = overridden.length > 0 ? `${note.detail}, overriding ${overridden.join(', ')}` : note.detail;
  await appendAudit(call.repositoryUuid, auditEntry(call, { ...note, detail }));
  await enqueueDeployJobs([job]);
  appLogger.info('deploy queued from the page', {
    deliveryId,
    targetId: target.id,
    trigger: asked.trigger,
    commit: asked.commit.hash.slice(0, 12),
  });
  return {
    deliveryId,
    targetId: target.id,
    branch: asked.ref.name,
    commit: asked.commit.hash,
    commitMessage: asked.commit.message.split('\n')[0] ?? '',
    queuedAt,
  };
}

/** What an admin did, for the audit log (core/audit.ts). */
interface AuditNote {
  action: AuditAction;
  target: Pick<Target, 'id' | 'name'> | null;
  detail: string;
  changed?: string[];
  secrets?: string[];
}

const auditEntry = (call: CallContext, note: AuditNote): AuditEntry => {
  const at = Date.now();
  return {
    v: AUDIT_SCHEMA_VERSION,
    id: deploymentId(at, randomId('')),
    at,
    actor: call.accountId,
    action: note.action,
    target: note.target ? { id: note.target.id, name: note.target.name } : null,
    changed: note.changed ?? [],
    secrets: note.secrets ?? [],
    detail: note.detail,
  };
};

async function verifyTarget(call: CallContext, payload: unknown): Promise<VerifyView> {
  const { id } = parsePayload(targetIdPayload, payload);
  const doc = await getTargets(call.repositoryUuid);
  const target = requireTarget(doc, id);
  return verifyWith(call, doc, target, await getSecrets(call.repositoryUuid, target.id));
}

/**
 * Tests the form's values before they are saved (Test connection): the save's own checks (applySave:
 * the provider's schema, the hosts the installation may call, stored secrets kept only where they were
 * saved for), then the provider's verify with the secrets a save would store. Nothing is written.
 */
async function testTarget(call: CallContext, payload: unknown): Promise<VerifyView> {
  const input = parsePayload(saveTargetPayload, payload);
  const [doc, allowed] = await Promise.all([getTargets(call.repositoryUuid), allowedEgress()]);
  // Read, not bound as a save binds them: a test writes nothing, and applySave finds what they were saved for.
  const stored = input.id ? await getSecrets(call.repositoryUuid, input.id) : NO_SECRETS;
  const outcome = applySave(doc ?? newTargetsDocument(call), input, stored, allowed, new Date().toISOString());
  return verifyWith(call, doc, outcome.target, outcome.secrets ?? stored);
}

/**
 * The target's provider, bound and allowed to be called from this installation, with what a call to it
 * needs: the secrets only where they were saved for, and a log that redacts them.
 */
async function providerCallFor(
  call: CallContext,
  doc: TargetsDocument | null,
  target: Target,
  stored: StoredSecrets,
): Promise<{ bound: BoundProvider; providerCall: ProviderCall<never> }> {
  const bound = bindProvider(target);
  await checkEgress(target, bound);
  const log = appLogger.child({ targetId: target.id, provider: target.provider }, secretParts(Object.values(stored.values)));
  const providerCall: ProviderCall<never> = {
    target,
    settings: bound.settings,
    secrets: secretsFor(stored, target, bound.hosts),
    repository: {
      uuid: call.repositoryUuid,
      workspaceUuid: doc?.repository.workspaceUuid ?? '',
      fullName: doc?.repository.fullName ?? null,
    },
    http: forgeHttpClient(log),
    log,
    now: Date.now,
  };
  return { bound, providerCall };
}

/** Asks the provider whether `target` works with `stored`, sending the secrets only where they were saved for. */
async function verifyWith(call: CallContext, doc: TargetsDocument | null, target: Target, stored: StoredSecrets): Promise<VerifyView> {
  const { bound, providerCall } = await providerCallFor(call, doc, target, stored);
  try {
    const result = await bound.provider.verify(providerCall);
    return { ok: result.ok, message: result.message, shapeOnly: result.shapeOnly };
  } catch (error) {
    // A refusal from the vendor is the answer to "does this work?", not a failure of the page.
    if (error instanceof RelayError && error.code !== 'INTERNAL') return { ok: false, message: error.message, shapeOnly: false };
    throw error;
  }
}

/**
 * The page reports the app's customer-managed egress group as Forge answered it (after a workspace admin
 * approved a change, or when the page loads), so the worker can refuse an unapproved origin before
 * sending with a message a repository admin can act on. Forge enforces the real grant on every fetch
 * whatever is recorded here: a wrong report only moves the refusal from this check to Forge's.
 */
async function recordEgress(call: CallContext, payload: unknown): Promise<{ domains: string[] }> {
  const { domains } = parsePayload(recordEgressPayload, payload);
  // One record for the whole installation: only those who can approve egress may say what it holds.
  if (!(await isWorkspaceAdmin(requireWorkspace(call)))) {
    throw new RelayError('FORBIDDEN', 'Only a workspace admin can change which of your hosts Deploy Relay may call. Nothing was changed.');
  }
  // A domain the app cannot read is left out of the record (it would allow nothing here), not the whole list.
  const readable = [...new Set(domains)].filter((domain) => EGRESS_DOMAIN.test(domain));
  if (readable.length < domains.length)
    appLogger.warn('egress domains left out of the record', { count: domains.length - readable.length });
  await putEgressGrants(readable);
  return { domains: readable };
}

/**
 * Approve or Reject a deploy waiting for approval. The decision is written once (the first admin's
 * stands), then its audit entry, then the job is woken through its wait mark (without the mark the job
 * no longer waits, or its own timer finds the decision). A repeated call by the same admin after a
 * failure writes the entry and wakes the job again, changing nothing else.
 */
async function decideDeploy(call: CallContext, payload: unknown): Promise<DecisionView> {
  const { deploymentId: id, decision } = parsePayload(decideDeployPayload, payload);
  const accountId = call.accountId as string;
  const [doc, record] = await Promise.all([getTargets(call.repositoryUuid), getDeployment(call.repositoryUuid, id)]);
  if (!record) throw new RelayError('NOT_FOUND', 'That deployment is no longer in the history; reload the page.');
  if (record.state !== 'waiting' || !record.approval) {
    throw new RelayError('INVALID_INPUT', `This deploy is not waiting for an approval (it is ${record.state}); reload the page.`);
  }
  const target = requireTarget(doc, record.target.id);
  const refusal = mayNotDecide(accountId, record.actor, target.options.approverNotPusher);
  if (refusal) throw new RelayError('FORBIDDEN', `${refusal} Nothing was changed.`);
  const stands = await decideApproval(call.repositoryUuid, record.jobKey, { decision, by: accountId, at: Date.now() });
  const mine = stands.by === accountId && stands.decision === decision;
  if (mine) {
    const what = `${record.ref.name} at ${record.commit.hash.slice(0, 7)}`;
    await appendAudit(
      call.repositoryUuid,
      auditEntry(call, {
        action: decision === 'approve' ? 'deploy.approved' : 'deploy.rejected',
        target,
        detail: `${decision === 'approve' ? 'Approved' : 'Rejected'} the deploy of ${what}`,
      }),
    );
  }
  const job = await getWaitingJob(call.repositoryUuid, record.commit.hash, record.jobKey);
  if (job) await enqueueDeployJobs([job]);
  return { deploymentId: record.id, decision: stands.decision, by: stands.by, mine };
}

/**
 * Cancel a running deploy: the vendor is asked to stop it, by the id it gave the deploy; the poller's
 * next status read records how it ended (canceled, or finished first). The audit log records the ask
 * (before it is made). A refusal or a fault is the answer, shown on the page: the deploy goes on.
 */
async function cancelDeploy(call: CallContext, payload: unknown): Promise<CancelView> {
  const { deploymentId } = parsePayload(cancelDeployPayload, payload);
  const [doc, record] = await Promise.all([getTargets(call.repositoryUuid), getDeployment(call.repositoryUuid, deploymentId)]);
  if (!record) throw new RelayError('NOT_FOUND', 'That deployment is no longer in the history; reload the page.');
  const target = doc?.targets.find((t) => t.id === record.target.id);
  const can = cancelability(record, target ?? null, cancelWayOf(target));
  if (!can.ok || !target || !record.vendorId)
    throw new RelayError('INVALID_INPUT', `${can.ok ? 'It cannot be canceled' : can.why}. Nothing was changed.`);
  const { bound, providerCall } = await providerCallFor(call, doc, target, await getSecrets(call.repositoryUuid, target.id));
  if (!bound.provider.cancel) throw new Error(`${bound.provider.title} says it cancels, yet has no cancel call`);
  // Written before the vendor is asked, as a deploy's entry is before it is queued: an entry that
  // could not be written stops the cancel, never leaves one done without its entry.
  const what = `${record.ref.name} at ${record.commit.hash.slice(0, 7)}`;
  await appendAudit(
    call.repositoryUuid,
    auditEntry(call, { action: 'deploy.cancel', target, detail: `Asked ${bound.provider.title} to cancel the deploy of ${what}` }),
  );
  try {
    const asked = await bound.provider.cancel(providerCall, record.vendorId);
    return { deploymentId: record.id, message: `${asked}. The history shows how the deploy ended at its next status read.` };
  } catch (error) {
    const said = error instanceof Error ? error.message.replace(/\.$/, '') : '';
    if (error instanceof HttpRejected)
      throw new RelayError('PROVIDER_REJECTED', `${bound.provider.title} refused to cancel it: ${said}. The deploy goes on.`);
    if (error instanceof HttpFault)
      throw new RelayError('PROVIDER_UNAVAILABLE', `${bound.provider.title} did not answer (${said}); the deploy goes on. Try again.`);
    throw error;
  }
}

async function getAudit(call: CallContext, payload: unknown): Promise<AuditPage> {
  const { cursor } = parsePayload(auditPayload, payload);
  const page = await listAudit(call.repositoryUuid, AUDIT_PAGE, cursor ?? undefined);
  return { entries: page.items, nextCursor: page.nextCursor, corruptEntries: page.corrupt.length };
}

/** How many teardowns the Previews tab shows. */
const TEARDOWNS_SHOWN = 20;

async function getPreviews(call: CallContext): Promise<PreviewsPage> {
  const { previews, corrupt } = await listRepositoryPreviews(call.repositoryUuid);
  const views = previews
    .map((p): PreviewView => ({
      pullRequestId: p.preview.pullRequest.id,
      title: p.preview.pullRequest.title,
      sourceBranch: p.sourceBranch,
      destination: p.preview.pullRequest.destination,
      targetId: p.targetId,
      targetName: p.targetName,
      environment: p.environment,
      action: p.preview.action,
      state: p.state,
      message: p.message,
      url: p.url,
      commit: p.commit,
      updatedAt: p.updatedAt,
    }))
    .sort((a, b) => b.updatedAt - a.updatedAt);
  return {
    open: views.filter((v) => v.action === 'deploy'),
    tornDown: views.filter((v) => v.action === 'teardown').slice(0, TEARDOWNS_SHOWN),
    corrupt,
  };
}

export const settingsResolver = new Resolver()
  .define('getPage', guarded(getPage))
  .define('getHistory', guarded(getHistory))
  .define('getStats', guarded(getStats))
  .define('recordEgress', guarded(recordEgress))
  .define('saveTarget', guarded(saveTarget))
  .define('deleteTarget', guarded(deleteTarget))
  .define('setEnabled', guarded(setEnabled))
  .define('setPaused', guarded(setPaused))
  .define('cancelDeploy', guarded(cancelDeploy))
  .define('searchBranches', guarded(searchBranches))
  .define('deployNow', guarded(deployNow))
  .define('verifyTarget', guarded(verifyTarget))
  .define('testTarget', guarded(testTarget))
  .define('redeploy', guarded(redeploy))
  .define('getAudit', guarded(getAudit))
  .define('getPreviews', guarded(getPreviews))
  .define('decideDeploy', guarded(decideDeploy))
  .getDefinitions();
