import type { BoundProvider } from './provider';
import type { ProviderCall } from './provider';
import { type CommitStatusState, commitStatusFor, type Deployment, isFinal } from './deployment';
import { HttpFault, type HttpClient } from './http';
import type { DeployJob, LatestPush } from './job';
import type { ChangedFiles } from './paths';
import type { Logger } from './log';
import { retryDelaySeconds, MAX_ATTEMPTS } from './retry';
import type { Target, TargetsDocument } from './targets';

/**
 * What the deploy worker and the status poller share, written against ports so the core stays free of
 * the platform (src/forge implements them): the record's saves and the report on the commit.
 */

export interface CommitStatus {
  key: string;
  state: CommitStatusState;
  name: string;
  description: string;
  url: string;
  refname: string;
}

export interface DeliveryStore {
  getTargets(repositoryUuid: string): Promise<TargetsDocument | null>;
  getSecrets(repositoryUuid: string, targetId: string): Promise<Record<string, string>>;
  getDeployment(repositoryUuid: string, id: string): Promise<Deployment | null>;
  /** The record that holds an idempotency key, if any job has claimed it. */
  findByIdempotencyKey(repositoryUuid: string, key: string): Promise<Deployment | null>;
  /** Writes the record; with `claim`, also makes it the holder of its idempotency key. */
  saveDeployment(record: Deployment, options: { claim: boolean }): Promise<void>;
  getLatestPush(repositoryUuid: string, targetId: string, ref: string): Promise<LatestPush | null>;
  markLatestPushes(pushes: readonly LatestPush[]): Promise<void>;
}

/** A followed deploy's next status read: the job it came from, its record, and which read this is. */
export interface FollowCheck {
  v: 1;
  job: DeployJob;
  deploymentId: string;
  check: number;
}

export interface DeliveryPorts {
  store: DeliveryStore;
  postCommitStatus(job: DeployJob, status: CommitStatus): Promise<void>;
  /** Providers are bound here so the registry stays out of the worker's decisions. */
  bindProvider(target: Target): BoundProvider;
  /** An HTTP client whose log lines carry the given logger's fields (the delivery id above all). */
  httpFor(log: Logger): HttpClient;
  /** The files a push changed, from one (paged) diffstat call comparing its commit with `base`. */
  changedFiles(job: DeployJob, base: string): Promise<ChangedFiles>;
  /** Queues deploy jobs, all in one queue push. */
  enqueueJobs(jobs: readonly DeployJob[]): Promise<void>;
  /** Queues a status read of an accepted deploy, to run after the delay. */
  followLater(check: FollowCheck, delaySeconds: number): Promise<void>;
  log: Logger;
  now: () => number;
  random?: () => number;
  /** Where a commit status links when the vendor gives no page of its own. */
  fallbackStatusUrl(job: DeployJob): string;
}

export type DeliveryResult =
  { kind: 'done'; record: Deployment | null; note: string } | { kind: 'retry'; afterSeconds: number; reason: string };

export const statusKeyFor = (targetId: string): string => `deploy-relay-${targetId}`;

/** One job being delivered or followed: what every step needs, and whether its idempotency claim is written yet. */
export interface Run {
  job: DeployJob;
  target: Target;
  attempt: number;
  ports: DeliveryPorts;
  log: Logger;
  claimed: boolean;
}

/** The arguments of a provider call for this run. */
export function providerCall(run: Run, bound: BoundProvider, secrets: Record<string, string>, doc: TargetsDocument): ProviderCall<never> {
  const { job, target, ports, log } = run;
  return {
    target,
    settings: bound.settings,
    secrets,
    repository: { uuid: job.repository.uuid, workspaceUuid: job.repository.workspaceUuid, fullName: doc.repository.fullName },
    http: ports.httpFor(log),
    log,
    now: ports.now,
  };
}

/** The idempotency claim is written with the job's first save only: later saves rewrite the record alone. */
export async function save(run: Run, record: Deployment): Promise<void> {
  await run.ports.store.saveDeployment(record, { claim: !run.claimed });
  run.claimed = true;
}

/** Seconds until the next attempt when the error is a fault and attempts remain; null otherwise. */
export function retryDelay(run: Run, error: unknown, attempts = MAX_ATTEMPTS): number | null {
  if (!(error instanceof HttpFault) || run.attempt + 1 >= attempts) return null;
  return retryDelaySeconds(run.attempt, error.retryAfterSeconds, run.ports.random);
}

/**
 * A report may be retried past the deploy's attempts: a deploy that failed on its last attempt must
 * still get FAILED onto the commit when that one post meets a Bitbucket 429 or 5xx. The extra attempts
 * only report: a settled record is never sent again.
 */
const MAX_REPORT_ATTEMPTS = 2 * MAX_ATTEMPTS;

/** Records a state, then reports it on the commit; a failed report is retried on its own. */
export async function settle(run: Run, record: Deployment): Promise<DeliveryResult> {
  const now = run.ports.now();
  const settled: Deployment = { ...record, updatedAt: now, finishedAt: isFinal(record.state) ? now : null };
  await save(run, settled);
  return report(run, settled);
}

/** Posts the commit status the record's state calls for, unless it is already there. */
export async function report(run: Run, record: Deployment): Promise<DeliveryResult> {
  const wanted = run.target.options.reportOnCommit ? commitStatusFor(record.state) : null;
  if (wanted === null || record.postedStatus === wanted) return { kind: 'done', record, note: record.message };
  try {
    await run.ports.postCommitStatus(run.job, statusOf(run, record, wanted));
  } catch (error) {
    const afterSeconds = retryDelay(run, error, MAX_REPORT_ATTEMPTS);
    if (afterSeconds !== null) {
      run.log.warn('commit status not posted; retrying', { error: messageOf(error), afterSeconds });
      return { kind: 'retry', afterSeconds, reason: 'commit status' };
    }
    run.log.error('commit status could not be posted', { error: messageOf(error) });
    return { kind: 'done', record, note: `${record.message} (the commit status could not be posted: ${messageOf(error)})` };
  }
  const posted = { ...record, postedStatus: wanted };
  await save(run, posted);
  return { kind: 'done', record: posted, note: record.message };
}

/** A progress line on the commit that is not retried: the final status is the one that must arrive. */
export async function postQuietly(run: Run, record: Deployment): Promise<void> {
  if (!run.target.options.reportOnCommit) return;
  try {
    await run.ports.postCommitStatus(run.job, statusOf(run, record, 'INPROGRESS'));
  } catch (error) {
    run.log.warn('in-progress commit status not posted', { error: messageOf(error) });
  }
}

function statusOf({ job, target, ports }: Run, record: Deployment, state: CommitStatusState): CommitStatus {
  return {
    key: statusKeyFor(target.id),
    state,
    name: `Deploy to ${target.name} (${target.environment})`,
    description: record.message.slice(0, 255),
    url: record.url ?? ports.fallbackStatusUrl(job),
    refname: job.ref.name,
  };
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
