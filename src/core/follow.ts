import * as z from 'zod/mini';
import type { BoundProvider } from './provider';
import type { StatusResult } from './provider';
import { type Deployment, isFinal } from './deployment';
import { HttpFault } from './http';
import { deployJobSchema } from './job';
import { type DeliveryPorts, type DeliveryResult, type FollowCheck, messageOf, providerCall, report, type Run, save, settle } from './run';
import { parseOrRefuse } from './zod-messages';

/**
 * The status poller: after a vendor accepts a deploy, its outcome is read through delayed queue events
 * (never a sleep), with delays that grow from seconds to minutes, for at most FOLLOW_LIMIT_SECONDS after it
 * was accepted. Every read is numbered; the record keeps how many were done, so a duplicated or stale
 * event reads nothing.
 */

/** Most deploys finish in minutes: read often at first, then every five minutes. */
const FOLLOW_DELAYS_SECONDS = [10, 15, 20, 30, 45, 60, 90, 120, 180, 300] as const;
export const FIRST_FOLLOW_DELAY_SECONDS = FOLLOW_DELAYS_SECONDS[0];
/** Builds that take longer than an hour are left to the vendor's page; the commit says so. */
export const FOLLOW_LIMIT_SECONDS = 60 * 60;

const delayBefore = (check: number): number => FOLLOW_DELAYS_SECONDS[Math.min(check, FOLLOW_DELAYS_SECONDS.length - 1)] as number;

/**
 * The delay before read number `check` (counting from 0), or null once the reads' delays would add up
 * past the limit. The bound counts the scheduled waits, not a clock: the queue may run a read late,
 * never early, so following never ends before the limit and the number of reads is fixed (19).
 */
export function followDelaySeconds(check: number): number | null {
  let waited = 0;
  for (let read = 0; read <= check; read += 1) waited += delayBefore(read);
  return waited > FOLLOW_LIMIT_SECONDS ? null : delayBefore(check);
}

const followCheckSchema = z.object({
  v: z.literal(1),
  job: deployJobSchema,
  deploymentId: z.string().check(z.minLength(1), z.maxLength(200)),
  check: z.number().check(z.int(), z.nonnegative()),
});

export const parseFollowCheck = (body: unknown): FollowCheck => parseOrRefuse(followCheckSchema, body, 'status check');

export async function follow(check: FollowCheck, attempt: number, ports: DeliveryPorts): Promise<DeliveryResult> {
  const { job } = check;
  const log = ports.log.child({
    deliveryId: job.deliveryId,
    targetId: job.targetId,
    commit: job.commit.hash.slice(0, 12),
    check: check.check,
  });
  const repo = job.repository.uuid;
  const record = await ports.store.getDeployment(repo, check.deploymentId);
  if (!record) {
    log.warn('followed deployment record is gone; nothing to do');
    return { kind: 'done', record: null, note: 'the deployment record no longer exists' };
  }
  const doc = await ports.store.getTargets(repo);
  const target = doc?.targets.find((candidate) => candidate.id === job.targetId);
  if (!doc || !target) {
    log.warn('target deleted while its deploy was followed');
    // Reporting needs the target's options; with the target gone the record alone says what happened.
    if (isFinal(record.state)) return { kind: 'done', record, note: record.message };
    const unknown = {
      ...record,
      state: 'unknown' as const,
      message: 'Outcome unknown: the target was deleted while its deploy was followed',
      updatedAt: ports.now(),
      finishedAt: ports.now(),
    };
    await ports.store.saveDeployment(unknown, { claim: false });
    return { kind: 'done', record: unknown, note: unknown.message };
  }
  const run: Run = { job, target, attempt, ports, log, claimed: true };
  // A final record may still owe its commit status (the post that ended the last read failed).
  if (isFinal(record.state)) return report(run, record);
  if (record.state !== 'in_progress' || record.checks !== check.check) {
    log.info('stale status check; nothing read', { recordChecks: record.checks, state: record.state });
    return { kind: 'done', record, note: 'stale status check' };
  }
  const giveUp = (message: string) => settle(run, { ...record, state: 'unknown', message, checks: record.checks + 1 });
  const { vendorId } = record;
  if (vendorId === null) return giveUp('Outcome unknown: the vendor accepted the deploy without an id to follow it by');

  let bound: BoundProvider;
  try {
    bound = ports.bindProvider(target);
  } catch (error) {
    return giveUp(`Outcome unknown: ${messageOf(error)}`);
  }
  const { status } = bound.provider;
  if (!status) return giveUp(`Outcome unknown: ${bound.provider.title} cannot report a deploy's outcome`);
  const secrets = await ports.store.getSecrets(repo, target.id);
  run.log = log.child({ provider: target.provider }, Object.values(secrets));

  let answer: StatusResult;
  try {
    answer = await status.call(bound.provider, providerCall(run, bound, secrets, doc), vendorId);
  } catch (error) {
    if (!(error instanceof HttpFault)) return giveUp(`Outcome unknown: ${bound.provider.title} could not be asked (${messageOf(error)})`);
    run.log.warn('status read failed; reading again later', { error: messageOf(error) });
    return readAgain(
      run,
      { ...record, checks: record.checks + 1, updatedAt: ports.now() },
      `its status could not be read (${messageOf(error)})`,
    );
  }
  const read: Deployment = {
    ...record,
    message: answer.message,
    url: answer.url ?? record.url,
    checks: record.checks + 1,
    updatedAt: ports.now(),
  };
  if (answer.state !== 'in_progress') {
    run.log.info('deploy finished', { state: answer.state });
    return settle(run, { ...read, state: answer.state });
  }
  // The vendor's page became known: the commit's progress line should link to it.
  const relinked = read.url !== record.url ? { ...read, postedStatus: null } : read;
  return readAgain(run, relinked, 'it is still in progress');
}

/** Saves the read and queues the next one, unless the time for following is over. */
async function readAgain(run: Run, record: Deployment, why: string): Promise<DeliveryResult> {
  const delay = followDelaySeconds(record.checks);
  if (delay === null) {
    const minutes = Math.round(FOLLOW_LIMIT_SECONDS / 60);
    return settle(run, { ...record, state: 'unknown', message: `Outcome unknown: after ${minutes} minutes ${why}; see the vendor's page` });
  }
  await save(run, record);
  await run.ports.followLater({ v: 1, job: run.job, deploymentId: record.id, check: record.checks }, delay);
  // Only a progress line (a new link) can be owed here: if it fails, the next read posts it.
  const reported = await report(run, record);
  return reported.kind === 'done' ? reported : { kind: 'done', record, note: `${record.message} (progress line not posted yet)` };
}
