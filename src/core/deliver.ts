import type { BoundProvider } from '../providers/registry';
import { type CommitStatusState, commitStatusFor, type Deployment, DEPLOYMENT_SCHEMA_VERSION, deploymentId, isSettled } from './deployment';
import { firstLine } from './text';
import { HttpFault, type HttpClient } from './http';
import { type DeployJob, idempotencyKey } from './job';
import type { Logger } from './log';
import { MAX_ATTEMPTS, retryDelaySeconds } from './retry';
import type { Target, TargetsDocument } from './targets';

/**
 * What the deploy worker does with one job, written against ports so the core stays free of @forge
 * (src/forge implements them). The rules that keep admins' trust:
 * - a job whose commit was already deployed to the target (any push, any redelivery) sends nothing;
 * - once the provider has accepted or finally refused a deploy, later attempts only finish reporting;
 * - faults come back as a retry with a delay; after MAX_ATTEMPTS the deploy is recorded as failed.
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
  /** The record that holds an idempotency key, if any job has claimed it. */
  findByIdempotencyKey(repositoryUuid: string, key: string): Promise<Deployment | null>;
  /** Writes the record; with `claim`, also makes it the holder of its idempotency key. */
  saveDeployment(record: Deployment, options: { claim: boolean }): Promise<void>;
}

export interface DeliveryPorts {
  store: DeliveryStore;
  postCommitStatus(job: DeployJob, status: CommitStatus): Promise<void>;
  /** Providers are bound here so the registry stays out of the worker's decisions. */
  bindProvider(target: Target): BoundProvider;
  /** An HTTP client whose log lines carry the given logger's fields (the delivery id above all). */
  httpFor(log: Logger): HttpClient;
  log: Logger;
  now: () => number;
  random?: () => number;
  /** Where a commit status links when the vendor gives no page of its own. */
  fallbackStatusUrl(job: DeployJob): string;
}

export type DeliveryResult =
  | { kind: 'done'; record: Deployment | null; note: string }
  | { kind: 'retry'; afterSeconds: number; reason: string };

export const statusKeyFor = (targetId: string): string => `deploy-relay-${targetId}`;

/** One job being delivered: what every step needs, and whether its idempotency claim is written yet. */
interface Run {
  job: DeployJob;
  target: Target;
  attempt: number;
  ports: DeliveryPorts;
  log: Logger;
  claimed: boolean;
}

export async function deliver(job: DeployJob, attempt: number, ports: DeliveryPorts): Promise<DeliveryResult> {
  const log = ports.log.child({ deliveryId: job.deliveryId, targetId: job.targetId, commit: job.commit.hash.slice(0, 12), attempt });
  const repo = job.repository.uuid;
  const doc = await ports.store.getTargets(repo);
  const target = doc?.targets.find((candidate) => candidate.id === job.targetId);
  if (!doc || !target) {
    log.warn('target no longer exists; nothing deployed');
    return { kind: 'done', record: null, note: 'target deleted before the deploy ran' };
  }
  const key = idempotencyKey(job);
  const existing = await ports.store.findByIdempotencyKey(repo, key);
  const run: Run = { job, target, attempt, ports, log, claimed: existing?.jobKey === job.jobKey };
  if (existing && blocks(existing, job)) return finishDuplicate(run, existing);
  const record: Deployment = { ...(run.claimed && existing ? existing : newRecord(job, target, key, ports.now())), attempts: attempt + 1, updatedAt: ports.now() };

  if (job.skipReason) return settle(run, { ...record, state: 'skipped', message: `Skipped: ${job.skipReason}` });
  if (!target.enabled) return settle(run, { ...record, state: 'skipped', message: 'Skipped: the target was disabled' });

  let bound: BoundProvider;
  try {
    bound = ports.bindProvider(target);
  } catch (error) {
    return settle(run, { ...record, state: 'failed', message: messageOf(error) });
  }
  const secrets = await ports.store.getSecrets(repo, target.id);
  run.log = log.child({ provider: target.provider }, Object.values(secrets));

  if (attempt === 0) {
    await save(run, { ...record, state: 'sending' });
    await postQuietly(run, { ...record, state: 'sending', message: 'Deploy requested' });
  }
  try {
    const started = await bound.provider.start({
      job,
      target,
      settings: bound.settings,
      secrets,
      repository: { uuid: repo, workspaceUuid: job.repository.workspaceUuid, fullName: doc.repository.fullName },
      http: ports.httpFor(run.log),
      log: run.log,
      now: ports.now,
    });
    run.log.info('provider accepted the deploy', { state: started.state, vendorId: started.vendorId });
    return settle(run, { ...record, ...started });
  } catch (error) {
    const afterSeconds = retryDelay(run, error);
    if (afterSeconds !== null) {
      const message = `Attempt ${attempt + 1} of ${MAX_ATTEMPTS} failed (${messageOf(error)}); retrying in ${afterSeconds} s`;
      run.log.warn('deploy attempt failed; retrying', { error: messageOf(error), afterSeconds });
      await save(run, { ...record, state: 'retrying', message });
      return { kind: 'retry', afterSeconds, reason: (error as HttpFault).kind };
    }
    const message = error instanceof HttpFault ? `Failed after ${MAX_ATTEMPTS} attempts: ${error.message}` : messageOf(error);
    run.log.error('deploy failed', { error: message });
    return settle(run, { ...record, state: 'failed', message });
  }
}

/**
 * An earlier record stops this job when it is this job's own settled result, or another job's deploy of
 * the same commit that is still running or went through. A failed or skipped one does not: pushing the
 * commit again is how an admin retries it.
 */
function blocks(existing: Deployment, job: DeployJob): boolean {
  if (existing.jobKey === job.jobKey) return isSettled(existing.state);
  return existing.state !== 'failed' && existing.state !== 'skipped';
}

function newRecord(job: DeployJob, target: Target, idempotency: string, now: number): Deployment {
  return {
    schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
    id: deploymentId(job.createdAt, job.jobKey),
    deliveryId: job.deliveryId,
    jobKey: job.jobKey,
    idempotencyKey: idempotency,
    trigger: job.trigger,
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
    postedStatus: null,
  };
}

/** The idempotency claim is written with the job's first save only: later saves rewrite the record alone. */
async function save(run: Run, record: Deployment): Promise<void> {
  await run.ports.store.saveDeployment(record, { claim: !run.claimed });
  run.claimed = true;
}

/** Seconds until the next attempt when the error is a fault and attempts remain; null otherwise. */
function retryDelay(run: Run, error: unknown): number | null {
  if (!(error instanceof HttpFault) || run.attempt + 1 >= MAX_ATTEMPTS) return null;
  return retryDelaySeconds(run.attempt, error.retryAfterSeconds, run.ports.random);
}

/** Records a settled state, then reports it on the commit; a failed report is retried on its own. */
async function settle(run: Run, record: Deployment): Promise<DeliveryResult> {
  const now = run.ports.now();
  const settled: Deployment = { ...record, updatedAt: now, finishedAt: record.state === 'in_progress' ? null : now };
  await save(run, settled);
  return report(run, settled);
}

async function report(run: Run, record: Deployment): Promise<DeliveryResult> {
  const wanted = run.target.options.reportOnCommit ? commitStatusFor(record.state) : null;
  if (wanted === null || record.postedStatus === wanted) return { kind: 'done', record, note: record.message };
  try {
    await run.ports.postCommitStatus(run.job, statusOf(run, record, wanted));
  } catch (error) {
    const afterSeconds = retryDelay(run, error);
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

/** A second job for a commit already deployed to this target: send nothing, finish any missing report. */
async function finishDuplicate(run: Run, existing: Deployment): Promise<DeliveryResult> {
  if (existing.jobKey !== run.job.jobKey) {
    run.log.info('commit already handled for this target; nothing sent', { by: existing.deliveryId, state: existing.state });
    return { kind: 'done', record: existing, note: `already handled by delivery ${existing.deliveryId}` };
  }
  return report(run, existing);
}

async function postQuietly(run: Run, record: Deployment): Promise<void> {
  if (!run.target.options.reportOnCommit) return;
  try {
    await run.ports.postCommitStatus(run.job, statusOf(run, record, 'INPROGRESS'));
  } catch (error) {
    // The progress line is a courtesy; the final status is the one that is retried.
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

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
