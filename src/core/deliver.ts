import type { BoundProvider } from '../providers/registry';
import { type CommitStatusState, commitStatusFor, type Deployment, DEPLOYMENT_SCHEMA_VERSION, deploymentId, isSettled } from './deployment';
import { RelayError } from './errors';
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
  /** Writes the record and claims its idempotency key. */
  saveDeployment(record: Deployment): Promise<void>;
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
  if (existing && blocks(existing, job)) {
    return finishDuplicate(job, existing, target, attempt, ports, log);
  }
  let record = existing ?? newRecord(job, target, key, ports.now());
  record = { ...record, attempts: attempt + 1, updatedAt: ports.now() };

  if (job.skipReason) return settle(job, target, { ...record, state: 'skipped', message: `Skipped: ${job.skipReason}` }, attempt, ports, log);
  if (!target.enabled) return settle(job, target, { ...record, state: 'skipped', message: 'Skipped: the target was disabled' }, attempt, ports, log);

  let bound: BoundProvider;
  try {
    bound = ports.bindProvider(target);
  } catch (error) {
    return settle(job, target, { ...record, state: 'failed', message: messageOf(error) }, attempt, ports, log);
  }
  const secrets = await ports.store.getSecrets(repo, target.id);
  const secretValues = Object.values(secrets);
  const callLog = log.child({ provider: target.provider }, secretValues);

  if (attempt === 0) {
    await ports.store.saveDeployment({ ...record, state: 'sending' });
    await postQuietly(job, target, { ...record, state: 'sending', message: 'Deploy requested' }, ports, callLog);
  }
  try {
    const started = await bound.provider.start({
      job,
      target,
      settings: bound.settings,
      secrets,
      repository: { uuid: repo, workspaceUuid: job.repository.workspaceUuid, fullName: doc.repository.fullName },
      http: ports.httpFor(callLog),
      log: callLog,
      now: ports.now,
    });
    callLog.info('provider accepted the deploy', { state: started.state, vendorId: started.vendorId });
    return settle(job, target, { ...record, ...started }, attempt, ports, callLog);
  } catch (error) {
    if (error instanceof HttpFault && attempt + 1 < MAX_ATTEMPTS) {
      const afterSeconds = retryDelaySeconds(attempt, error.retryAfterSeconds, ports.random);
      const message = `Attempt ${attempt + 1} of ${MAX_ATTEMPTS} failed (${error.message}); retrying in ${afterSeconds} s`;
      callLog.warn('deploy attempt failed; retrying', { error: error.message, afterSeconds });
      await ports.store.saveDeployment({ ...record, state: 'retrying', message });
      return { kind: 'retry', afterSeconds, reason: error.kind };
    }
    const message = error instanceof HttpFault ? `Failed after ${MAX_ATTEMPTS} attempts: ${error.message}` : messageOf(error);
    callLog.error('deploy failed', { error: message });
    return settle(job, target, { ...record, state: 'failed', message }, attempt, ports, callLog);
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

/** Records a settled state, then reports it on the commit; a failed report is retried on its own. */
async function settle(job: DeployJob, target: Target, record: Deployment, attempt: number, ports: DeliveryPorts, log: Logger): Promise<DeliveryResult> {
  const now = ports.now();
  const settled: Deployment = { ...record, updatedAt: now, finishedAt: record.state === 'in_progress' ? null : now };
  await ports.store.saveDeployment(settled);
  return report(job, target, settled, attempt, ports, log);
}

async function report(job: DeployJob, target: Target, record: Deployment, attempt: number, ports: DeliveryPorts, log: Logger): Promise<DeliveryResult> {
  const wanted = target.options.reportOnCommit ? commitStatusFor(record.state) : null;
  if (wanted === null || record.postedStatus === wanted) return { kind: 'done', record, note: record.message };
  try {
    await ports.postCommitStatus(job, statusOf(job, target, record, wanted, ports));
  } catch (error) {
    if (error instanceof HttpFault && attempt + 1 < MAX_ATTEMPTS) {
      const afterSeconds = retryDelaySeconds(attempt, error.retryAfterSeconds, ports.random);
      log.warn('commit status not posted; retrying', { error: error.message, afterSeconds });
      return { kind: 'retry', afterSeconds, reason: 'commit status' };
    }
    log.error('commit status could not be posted', { error: messageOf(error) });
    return { kind: 'done', record, note: `${record.message} (the commit status could not be posted: ${messageOf(error)})` };
  }
  const posted = { ...record, postedStatus: wanted };
  await ports.store.saveDeployment(posted);
  return { kind: 'done', record: posted, note: record.message };
}

/** A second job for a commit already deployed to this target: send nothing, finish any missing report. */
async function finishDuplicate(job: DeployJob, existing: Deployment, target: Target, attempt: number, ports: DeliveryPorts, log: Logger): Promise<DeliveryResult> {
  if (existing.jobKey !== job.jobKey) {
    log.info('commit already handled for this target; nothing sent', { by: existing.deliveryId, state: existing.state });
    return { kind: 'done', record: existing, note: `already handled by delivery ${existing.deliveryId}` };
  }
  return report(job, target, existing, attempt, ports, log);
}

async function postQuietly(job: DeployJob, target: Target, record: Deployment, ports: DeliveryPorts, log: Logger): Promise<void> {
  if (!target.options.reportOnCommit) return;
  try {
    await ports.postCommitStatus(job, statusOf(job, target, record, 'INPROGRESS', ports));
  } catch (error) {
    // The progress line is a courtesy; the final status is the one that is retried.
    log.warn('in-progress commit status not posted', { error: messageOf(error) });
  }
}

function statusOf(job: DeployJob, target: Target, record: Deployment, state: CommitStatusState, ports: DeliveryPorts): CommitStatus {
  return {
    key: statusKeyFor(target.id),
    state,
    name: `Deploy to ${target.name} (${target.environment})`,
    description: record.message.slice(0, 255),
    url: record.url ?? ports.fallbackStatusUrl(job),
    refname: job.ref.name,
  };
}

const messageOf = (error: unknown): string => (error instanceof RelayError || error instanceof Error ? error.message : String(error));
