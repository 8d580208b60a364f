import type { BoundProvider } from './provider';
import { type Deployment, DEPLOYMENT_SCHEMA_VERSION, deploymentId, isSettled } from './deployment';
import { FIRST_FOLLOW_DELAY_SECONDS } from './follow';
import { HttpFault } from './http';
import { type DeployJob, idempotencyKey, pushOrder } from './job';
import { MAX_ATTEMPTS, retryDelaySeconds } from './retry';
import {
  type DeliveryPorts,
  type DeliveryResult,
  messageOf,
  postQuietly,
  providerCall,
  report,
  retryDelay,
  type Run,
  save,
  settle,
} from './run';
import type { Target } from './targets';
import { firstLine } from './text';

/**
 * What the deploy worker does with one job. The rules that keep admins' trust:
 * - a job whose commit was already deployed to the target (any push, any redelivery) sends nothing;
 * - a job overtaken by a newer push to the same branch and target, before it was sent, is superseded;
 * - once the provider has accepted or finally refused a deploy, later attempts only finish reporting;
 * - faults come back as a retry with a delay; after MAX_ATTEMPTS the deploy is recorded as failed;
 * - a deploy the vendor can report on is handed to the status poller.
 */
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
  // The claim may have passed to another push's job (after this one failed): this job's own record is
  // then read by its id, so a settled result is never sent again (found by the 10,000-push fault run).
  const own =
    existing === null || existing.jobKey === job.jobKey
      ? existing
      : await ports.store.getDeployment(repo, deploymentId(job.createdAt, job.jobKey));
  const other = existing !== null && existing !== own ? existing : null;
  const run: Run = { job, target, attempt, ports, log, claimed: own !== null };
  if (own && isSettled(own.state)) {
    // Another push of the commit has since taken it over: the commit's status line is that push's now.
    if (other) return { kind: 'done', record: own, note: `${own.message} (delivery ${other.deliveryId} has since taken this commit over)` };
    return finishDuplicate(run, own);
  }
  if (other && waitsFor(other) && attempt + 1 < MAX_ATTEMPTS) {
    log.info('another push of this commit is not sent yet; waiting for its outcome', { by: other.deliveryId, state: other.state });
    return { kind: 'retry', afterSeconds: retryDelaySeconds(attempt, null, ports.random), reason: 'same commit in flight' };
  }
  if (other && blocks(other)) return finishDuplicate(run, other);
  const record: Deployment = { ...(own ?? newRecord(job, target, key, ports.now())), attempts: attempt + 1, updatedAt: ports.now() };

  if (job.skipReason) return settle(run, { ...record, state: 'skipped', message: `Skipped: ${job.skipReason}` });
  if (!target.enabled) return settle(run, { ...record, state: 'skipped', message: 'Skipped: the target was disabled' });
  const newer = await newerPush(run);
  if (newer)
    return settle(run, {
      ...record,
      state: 'superseded',
      message: `Superseded by a newer push of ${newer.slice(0, 7)} before it was sent`,
    });

  let bound: BoundProvider;
  try {
    bound = ports.bindProvider(target);
  } catch (error) {
    return settle(run, { ...record, state: 'failed', message: messageOf(error) });
  }
  const secrets = await ports.store.getSecrets(repo, target.id);
  run.log = log.child({ provider: target.provider }, Object.values(secrets));

  // The first time this job acts (a job that waited for another push of its commit acts later).
  if (!run.claimed) {
    await save(run, { ...record, state: 'sending' });
    await postQuietly(run, { ...record, state: 'sending', message: 'Deploy requested' });
  }
  try {
    const started = await bound.provider.start({ ...providerCall(run, bound, secrets, doc), job });
    run.log.info('provider accepted the deploy', { state: started.state, vendorId: started.vendorId });
    const result = await settle(run, { ...record, ...started, acceptedAt: ports.now() });
    return result.kind === 'done' ? follow(run, result) : result;
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
 * Another job's deploy of the same commit stops this one when it is still running or went through. A
 * failed, skipped or superseded one does not: pushing the commit again is how an admin retries it.
 */
const blocks = (other: Deployment): boolean => other.state !== 'failed' && other.state !== 'skipped' && other.state !== 'superseded';

/**
 * Another push's deploy of the same commit that is not sent yet may still be superseded by a newer push
 * to its branch, and then nothing would deploy this push's branch: this job waits for its outcome
 * rather than count on it (found by test/reliability: a release cut at main's head while main's deploy
 * was retrying).
 */
const waitsFor = (other: Deployment): boolean => !isSettled(other.state);

/** The commit of a newer push that will deploy this target from the same branch, if one was planned. */
async function newerPush({ job, target, ports }: Run): Promise<string | null> {
  if (job.trigger !== 'push' || job.ref.type !== 'branch' || !target.options.coalesce) return null;
  const latest = await ports.store.getLatestPush(job.repository.uuid, target.id, job.ref.name);
  return latest && latest.jobKey !== job.jobKey && latest.order > pushOrder(job) ? latest.commit : null;
}

/**
 * Hands a deploy the vendor is still running to the status poller, which follows it to an outcome (or
 * says why it cannot: no record stays in progress for good).
 */
async function follow(run: Run, result: DeliveryResult & { kind: 'done' }): Promise<DeliveryResult> {
  const record = result.record;
  if (!record || record.state !== 'in_progress') return result;
  await run.ports.followLater({ v: 1, job: run.job, deploymentId: record.id, check: record.checks }, FIRST_FOLLOW_DELAY_SECONDS);
  return result;
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
    acceptedAt: null,
    checks: 0,
    postedStatus: null,
  };
}

/**
 * A second job for a commit already handled for this target: send nothing. This job's own record only
 * finishes its report, and an accepted deploy is handed to the poller again in case the first hand-over
 * was lost (a stale status read is dropped by its check number, so two hand-overs read once).
 */
async function finishDuplicate(run: Run, existing: Deployment): Promise<DeliveryResult> {
  if (existing.jobKey !== run.job.jobKey) {
    run.log.info('commit already handled for this target; nothing sent', { by: existing.deliveryId, state: existing.state });
    return { kind: 'done', record: existing, note: `already handled by delivery ${existing.deliveryId}` };
  }
  const result = await report(run, existing);
  return result.kind === 'done' ? follow(run, result) : result;
}
