import type { ApprovalDecision } from './approval';
import type { Build } from './builds';
import { type CommitStatusState, commitStatusFor, DEPLOYMENT_SCHEMA_VERSION, type Deployment, deploymentId, isFinal } from './deployment';
import { PlatformFault, StaleStateError } from './errors';
import { HttpFault, type HttpClient } from './http';
import { type DeployJob, laneOfJob } from './job';
import type { Logger } from './log';
import type { Ordered } from './order';
import type { ChangedFiles } from './paths';
import type { PreviewSummary } from './preview-comment';
import type { BranchDeletion, PreviewSource, PullRequestSource, RepositoryPath, ResolvedCommit } from './previews';
import type { BoundProvider, ProviderCall } from './provider';
import { retryDelaySeconds } from './retry';
import { secretParts, secretsFor, type StoredSecrets } from './secrets';
import { newerOfSameCommit, type TargetState, type StateToWrite, type TargetStateFields, withoutVersion, withRecord } from './target-state';
import type { Target, TargetsDocument } from './targets';
import { firstLine } from './text';
import type { PlannedPush, SendAnswer } from './transitions';

/**
 * What the deploy worker and the status poller share, written against ports so the core stays free of
 * the platform (src/forge implements them): the reads, the one kind of write, and the report on the commit.
 */

export interface CommitStatus {
  key: string;
  state: CommitStatusState;
  name: string;
  description: string;
  url: string;
  refname: string;
}

/** Everything a decision about one job is made against, read at once. */
export interface JobView {
  doc: TargetsDocument | null;
  target: Target | null;
  record: Deployment | null;
  state: TargetState;
  /** The newest push planned for a coalescing target, as the last trigger to plan one wrote it. */
  newest: PlannedPush | null;
  /** Planned-push marks the job found older than the target's last push sent: no decision needs them, so its next write removes them. */
  stale?: readonly PlannedPush[];
}

/**
 * A push planned for its target, marked once its job is queued. A coalescing target also keeps its
 * newest, which is all coalescing asks (read with the job's other values in one batch); a target that
 * deploys every push lists the marks, since its jobs wait for the older ones (a query).
 */
export interface PlannedMark {
  /** The target's id, or a preview's lane (job.ts, laneOf). */
  lane: string;
  push: PlannedPush;
  coalesce: boolean;
}

/** One write: records of a target, and its state moved on from the version it was read at. */
export interface Change {
  repositoryUuid: string;
  /** The target's id, or a preview's lane (job.ts, laneOf): whose state moves. */
  lane: string;
  from: TargetState;
  to: StateToWrite;
  records: Deployment[];
  /** The job's planned-push marker, removed once the job has acted. */
  planned: PlannedPush | null;
  /** Whether the coalescing target's newest planned push is this job's, and goes with it. */
  clearsNewest: boolean;
  /** Marks older than the last push sent, found on the way: removed too. */
  stale: readonly PlannedPush[];
  /**
   * The job's wait mark, which a build-status event of its commit (core/builds.ts) or an approval finds
   * it by: written with the job while it waits (`job`), removed once it stops waiting (null).
   */
  waitMark?: { commit: string; jobKey: string; job: DeployJob | null };
}

export interface DeliveryStore {
  getTargets(repositoryUuid: string): Promise<TargetsDocument | null>;
  getSecrets(repositoryUuid: string, targetId: string): Promise<StoredSecrets>;
  /**
   * ONE read: the repository's targets, the record, the state of the target (or of a preview's lane,
   * job.ts) created when it has none, and its newest planned push.
   */
  read(repositoryUuid: string, lane: string, recordId: string): Promise<Omit<JobView, 'target'>>;
  /**
   * The target's planned pushes whose jobs have not acted yet and that are newer than `sent` (the last
   * push sent), oldest first; and those found older than it (stale: their jobs can only be superseded).
   */
  listPlanned(repositoryUuid: string, lane: string, sent: Ordered | null): Promise<{ planned: PlannedPush[]; stale: PlannedPush[] }>;
  /** Writes a change, all or nothing; StaleStateError when the target's state moved since it was read. */
  commit(change: Change): Promise<TargetState>;
  /** An admin's decision on the job's deploy, if one was made (core/approval.ts). */
  getApproval(repositoryUuid: string, jobKey: string): Promise<ApprovalDecision | null>;
  /** Marks pushes as planned for their targets (after their jobs were queued), in one write. */
  markPlanned(repositoryUuid: string, marks: readonly PlannedMark[]): Promise<void>;
  /** What each preview target's lane last sent for each pull request (the Previews tab's rows): what a deleted branch tears down. */
  listRepositoryPreviews(repositoryUuid: string): Promise<{ previews: PreviewSummary[]; corrupt: number }>;
  /** Notes the branch deleted, then lists the previews of it checked since their jobs may not have acted (core/previews.ts). */
  noteBranchDeleted(
    repositoryUuid: string,
    branch: string,
    deletion: BranchDeletion,
  ): Promise<{ sources: PreviewSource[]; corrupt: number }>;
  /** Notes a preview checked for the branch, then reads the branch's deletion, if one was noted (core/previews.ts). */
  notePreviewSource(
    repositoryUuid: string,
    branch: string,
    source: PreviewSource,
  ): Promise<{ deletion: BranchDeletion | null; corrupt: number }>;
}

/** A followed deploy's next status read: where its record is, and which read this is (the record has the rest). */
export interface FollowCheck {
  v: 2;
  repositoryUuid: string;
  workspaceUuid: string;
  targetId: string;
  /** A preview's deploy: its pull request, whose lane (job.ts) holds its state. */
  pullRequestId?: number;
  deploymentId: string;
  check: number;
}

export interface DeliveryPorts {
  store: DeliveryStore;
  postCommitStatus(job: DeployJob, status: CommitStatus): Promise<void>;
  /** Providers are bound here so the registry stays out of the worker's decisions. */
  bindProvider(target: Target): BoundProvider;
  /** Refuses (EgressNotAllowedError) a target that calls an origin the installation may not reach yet. */
  checkEgress(target: Target, bound: BoundProvider): Promise<void>;
  /** An HTTP client whose log lines carry the given logger's fields (the delivery id above all). */
  httpFor(log: Logger): HttpClient;
  /** The files a push changed, from one (paged) diffstat call comparing its commit with `base`. */
  changedFiles(job: DeployJob, base: string): Promise<ChangedFiles>;
  /** The builds reported on the job's commit, from Bitbucket's list of its statuses (the app's own left out). */
  buildStatuses(job: DeployJob): Promise<Build[]>;
  /** The repository's main branch, from Bitbucket (push events only say whether the pushed branch is it). */
  mainBranch(job: DeployJob): Promise<string | null>;
  /** Where a pull request comes from, from Bitbucket (pull-request events do not say whether it is a fork). */
  pullRequestSource(repository: DeployJob['repository'], id: number): Promise<PullRequestSource>;
  /** The commit an abbreviated hash names, from Bitbucket's commit API (pull-request events abbreviate). */
  resolveCommit(repository: RepositoryPath, hash: string): Promise<ResolvedCommit>;
  /** Queues deploy jobs, all in one queue push. */
  enqueueJobs(jobs: readonly DeployJob[]): Promise<void>;
  /** Queues the job again, to be looked at after the delay (a retry, or a wait for another push). */
  continueLater(job: DeployJob, delaySeconds: number): Promise<void>;
  /** Queues a status read of an accepted deploy, to run after the delay. */
  followLater(check: FollowCheck, delaySeconds: number): Promise<void>;
  log: Logger;
  now: () => number;
  random?: () => number;
  /** A token no other invocation has: who holds a lease. */
  newToken(): string;
  /** Where a commit status links when the vendor gives no page of its own. */
  fallbackStatusUrl(job: DeployJob): string;
}

/** What one invocation carries over to its retry (Forge's retryData): its lease and the answer it got. */
export interface Carried {
  token: string;
  answer: SendAnswer | null;
}

export type DeliveryResult =
  { kind: 'done'; record: Deployment | null; note: string } | { kind: 'retry'; afterSeconds: number; reason: string; carry?: Carried };

export const statusKeyFor = (targetId: string): string => `deploy-relay-${targetId}`;

/** One job being delivered or followed: what every step needs. */
export interface Run {
  job: DeployJob;
  ports: DeliveryPorts;
  log: Logger;
}

/**
 * Reads run again at most this often in one invocation when a write loses to another (or the store
 * fails): each pass reads, decides and writes afresh. Then the queue retries the event.
 */
const MAX_PASSES = 3;

/**
 * Seconds before the queue retries an event whose queue push or storage write Forge refused. A refusal
 * for the rate (500 events a minute per installation) outlasts a minute; the event's own delay, if
 * longer, wins.
 */
export function platformRetrySeconds(fault: PlatformFault, atLeast: number): number {
  return Math.max(atLeast, fault.retryAfterSeconds ?? 0, fault.rateLimited ? RATE_WINDOW_SECONDS : 0);
}
const RATE_WINDOW_SECONDS = 75;

/** Runs `pass` until it settles, reading afresh after a lost write or a storage fault. */
export async function withPasses(
  run: Pick<Run, 'ports' | 'log'>,
  carry: () => Carried | undefined,
  pass: () => Promise<DeliveryResult>,
): Promise<DeliveryResult> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await pass();
    } catch (error) {
      if (!(error instanceof StaleStateError || error instanceof PlatformFault)) throw error;
      if (attempt < MAX_PASSES) continue;
      run.log.warn('storage busy or changing; the queue retries this event', { error: error.message });
      const backoff = retryDelaySeconds(0, null, run.ports.random);
      const afterSeconds = error instanceof PlatformFault ? platformRetrySeconds(error, backoff) : backoff;
      return { kind: 'retry', afterSeconds, reason: error instanceof PlatformFault ? 'platform' : 'conflict', carry: carry() };
    }
  }
}

export const recordIdOf = (job: DeployJob): string => deploymentId(job.createdAt, job.jobKey);

/** The job as its wait mark keeps it: what a build-status event or an approval wakes, without the report that woke it last. */
export const waitingJob = ({ observed: _report, ...job }: DeployJob): DeployJob => job;

/** The job's planned-push marker (written by the trigger or the path check). */
export const plannedOf = (job: DeployJob): PlannedPush => ({ jobKey: job.jobKey, order: job.order, commit: job.commit.hash });

export function newRecord(job: DeployJob, target: Target, now: number): Deployment {
  return {
    schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
    id: recordIdOf(job),
    deliveryId: job.deliveryId,
    jobKey: job.jobKey,
    trigger: job.trigger,
    ...(job.redeployOf ? { redeployOf: job.redeployOf.recordId } : {}),
    ...(job.overrideGates ? { overrideGates: true as const } : {}),
    ...(job.preview ? { preview: job.preview } : {}),
    repositoryUuid: job.repository.uuid,
    target: { id: target.id, name: target.name, environment: target.environment, provider: target.provider },
    ref: job.ref,
    commit: { hash: job.commit.hash, message: firstLine(job.commit.message, 200), author: job.commit.author },
    actor: job.actor.accountId,
    state: 'sending',
    message: 'Deploy requested',
    attempts: 0,
    vendorId: null,
    url: null,
    createdAt: job.createdAt,
    updatedAt: now,
    finishedAt: null,
    acceptedAt: null,
    checks: 0,
    postedStatus: null,
    order: job.order,
    sentAt: null,
    nextAttemptAt: null,
    answerLost: false,
    reconciled: false,
    resent: false,
  };
}

/**
 * Writes one record of the job's target, moving the target's state with it. A job waiting for its
 * builds or an approval keeps its planned-push marks (it is still to come, and newer pushes must see it) and its
 * wait mark; the write that ends the wait removes that mark.
 */
export async function commitRecord(
  run: Run,
  view: JobView,
  record: Deployment,
  to: StateToWrite = withRecord(view.state, record),
): Promise<JobView> {
  const waiting = record.state === 'waiting';
  const stamped: Deployment = {
    ...record,
    updatedAt: run.ports.now(),
    finishedAt: isFinal(record.state) ? (record.finishedAt ?? run.ports.now()) : null,
  };
  const state = await run.ports.store.commit({
    repositoryUuid: run.job.repository.uuid,
    lane: laneOfJob(run.job),
    from: view.state,
    to,
    records: [stamped],
    planned: waiting ? null : plannedOf(run.job),
    // Once the job has acted, a newest mark naming it would only stand for a push that is done.
    clearsNewest: !waiting && view.newest?.jobKey === run.job.jobKey,
    stale: view.stale ?? [],
    ...(waiting || view.record?.state === 'waiting'
      ? { waitMark: { commit: run.job.commit.hash, jobKey: run.job.jobKey, job: waiting ? waitingJob(run.job) : null } }
      : {}),
  });
  const clears = !waiting && view.newest?.jobKey === run.job.jobKey;
  return { ...view, record: stamped, state, newest: clears ? null : view.newest, stale: [] };
}

/**
 * The arguments of a provider call for this run, with the target's secrets: redacted from the run's log
 * from here on, and refused (nothing is sent) when they were saved for another provider, mode or host,
 * as is a target whose origin the installation may not call yet.
 */
export async function providerCall(run: Run, target: Target, bound: BoundProvider, doc: TargetsDocument): Promise<ProviderCall<never>> {
  const { job, ports } = run;
  await ports.checkEgress(target, bound);
  const stored = await ports.store.getSecrets(job.repository.uuid, target.id);
  run.log = run.log.child({ provider: target.provider }, secretParts(Object.values(stored.values)));
  return {
    target,
    settings: bound.settings,
    secrets: secretsFor(stored, target, bound.hosts),
    repository: { uuid: job.repository.uuid, workspaceUuid: job.repository.workspaceUuid, fullName: doc.repository.fullName },
    http: ports.httpFor(run.log),
    log: run.log,
    now: ports.now,
  };
}

/** Final statuses keep being posted this long after the deploy ended, while Bitbucket fails. */
const REPORT_WINDOW_MS = 15 * 60_000;

/** The status a record's state calls for on its commit, or null when nothing is (or may be) posted. */
function wantedStatus(view: JobView, record: Deployment): CommitStatusState | null {
  if (!view.target?.options.reportOnCommit) return null;
  if (!isFinal(record.state) && record.state !== 'in_progress' && record.state !== 'waiting') return null;
  // A newer push of the same commit owns the commit's line for this target now.
  if (newerOfSameCommit(view.state, record)) return null;
  return commitStatusFor(record.state);
}

export type PostOutcome = { posted: CommitStatusState | null } | { failed: string; retryable: boolean; retryAfterSeconds: number | null };

/** Posts the status the record calls for unless it is already there. Never throws. */
export async function post(run: Run, view: JobView, record: Deployment): Promise<PostOutcome> {
  const wanted = wantedStatus(view, record);
  if (wanted === null || record.postedStatus === wanted) return { posted: record.postedStatus };
  try {
    await run.ports.postCommitStatus(run.job, statusOf(run, view.target as Target, record, wanted));
    return { posted: wanted };
  } catch (error) {
    run.log.warn('commit status not posted', { error: messageOf(error) });
    const retryable = error instanceof HttpFault || error instanceof PlatformFault;
    const retryAfterSeconds = error instanceof HttpFault || error instanceof PlatformFault ? error.retryAfterSeconds : null;
    return { failed: messageOf(error), retryable, retryAfterSeconds };
  }
}

/**
 * Makes the commit show what the record says: posts, records that it did, and when Bitbucket fails
 * asks to be looked at again later (for REPORT_WINDOW_MS after the deploy ended).
 */
export async function report(run: Run, view: JobView): Promise<DeliveryResult> {
  const record = view.record as Deployment;
  const outcome = await post(run, view, record);
  if ('posted' in outcome) {
    if (outcome.posted === record.postedStatus) return { kind: 'done', record, note: record.message };
    const saved = await commitRecord(run, view, { ...record, postedStatus: outcome.posted });
    return { kind: 'done', record: saved.record, note: record.message };
  }
  return reportLater(run, record, outcome);
}

/**
 * A final record: the commit status is posted first, then the record is written with what was posted,
 * in one write (with `fields` for the target's state, when more than the record moves). In this order a
 * newer push of the commit, which can only be sent once this write has landed, always posts after it.
 * A deleted target posts nothing: its options are gone.
 */
export async function finishRecord(
  run: Run,
  view: JobView,
  record: Deployment,
  fields: TargetStateFields = withoutVersion(view.state),
): Promise<DeliveryResult> {
  const posted = await post(run, view, record);
  const final: Deployment = { ...record, postedStatus: 'posted' in posted ? posted.posted : record.postedStatus };
  const saved = await commitRecord(run, view, final, withRecord({ ...view.state, ...fields }, final));
  run.log.info('deploy finished', { state: final.state });
  if ('failed' in posted) return reportLater(run, saved.record as Deployment, posted);
  return { kind: 'done', record: saved.record, note: final.message };
}

/** A status post that failed: looked at again later, or given up on with a note. */
export async function reportLater(
  run: Run,
  record: Deployment,
  failure: Extract<PostOutcome, { failed: string }>,
): Promise<DeliveryResult> {
  const { now } = run.ports;
  if (failure.retryable && now() < (record.finishedAt ?? now()) + REPORT_WINDOW_MS) {
    const afterSeconds = retryDelaySeconds(1, failure.retryAfterSeconds, run.ports.random);
    try {
      await run.ports.continueLater(run.job, afterSeconds);
      return { kind: 'done', record, note: `${record.message} (commit status not posted yet: ${failure.failed})` };
    } catch (error) {
      if (!(error instanceof PlatformFault)) throw error;
      return { kind: 'retry', afterSeconds: platformRetrySeconds(error, afterSeconds), reason: 'commit status' };
    }
  }
  run.log.error('commit status could not be posted', { error: failure.failed });
  return { kind: 'done', record, note: `${record.message} (the commit status could not be posted: ${failure.failed})` };
}

function statusOf({ job, ports }: Run, target: Target, record: Deployment, state: CommitStatusState): CommitStatus {
  return {
    key: statusKeyFor(target.id),
    state,
    name: job.preview ? `Preview of #${job.preview.pullRequest.id} on ${target.name}` : `Deploy to ${target.name} (${target.environment})`,
    description: record.message.slice(0, 255),
    url: record.url ?? ports.fallbackStatusUrl(job),
    refname: job.ref.name,
  };
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
