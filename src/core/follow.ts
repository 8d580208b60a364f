import * as z from 'zod/mini';
import type { Deployment } from './deployment';
import { PlatformFault } from './errors';
import { HttpFault } from './http';
import { type DeployJob, JOB_SCHEMA_VERSION, laneOf, queuedJobSchema } from './job';
import type { Logger } from './log';
import type { BoundProvider } from './provider';
import {
  commitRecord,
  type DeliveryPorts,
  type DeliveryResult,
  type FollowCheck,
  type JobView,
  finishRecord,
  messageOf,
  platformRetrySeconds,
  post,
  providerCall,
  report,
  type Run,
  withPasses,
} from './run';
import type { Target, TargetsDocument } from './targets';
import { decide, FOLLOW_ROWS, READ_ROWS, type ReadAnswer } from './transitions';
import { parseOrRefuse } from './zod-messages';

/**
 * The status poller: after a vendor accepts a deploy, its outcome is read through delayed queue events
 * (never a sleep), with delays that grow from seconds to minutes, for at most FOLLOW_LIMIT_SECONDS after it
 * was accepted. Every read is numbered; the record keeps how many were done, so a duplicated or stale
 * event reads nothing. The next read is queued before the record says this one was done: if queueing
 * fails, nothing was written and the same read comes back.
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

const checkFields = {
  deploymentId: z.string().check(z.minLength(1), z.maxLength(200)),
  check: z.number().check(z.int(), z.nonnegative()),
};
const uuid = z.string().check(z.minLength(1), z.maxLength(100));
const followCheckSchema = z.object({
  v: z.literal(2),
  repositoryUuid: uuid,
  workspaceUuid: uuid,
  targetId: z.string().check(z.minLength(1), z.maxLength(40)),
  /** A preview's deploy: its pull request, whose lane (job.ts) holds its state. */
  pullRequestId: z.optional(z.number()),
  ...checkFields,
});
/** Version 1 carried the whole job; checks queued by the previous version are still in the queue when an upgrade lands. */
const followCheckV1Schema = z.pipe(
  z.object({ v: z.literal(1), job: queuedJobSchema, ...checkFields }),
  z.transform(({ job, deploymentId, check }): FollowCheck => ({
    v: 2,
    repositoryUuid: job.repository.uuid,
    workspaceUuid: job.repository.workspaceUuid,
    targetId: job.targetId,
    deploymentId,
    check,
  })),
);

export const parseFollowCheck = (body: unknown): FollowCheck =>
  // By version, so a malformed check is told what is wrong with its own version's fields.
  (body as { v?: unknown } | null)?.v === 1
    ? parseOrRefuse(followCheckV1Schema, body, 'status check')
    : parseOrRefuse(followCheckSchema, body, 'status check');

/** A status read of a record: the ids it travels with, and the read's number. */
export const followCheckOf = (record: Deployment, workspaceUuid: string): FollowCheck => ({
  v: 2,
  repositoryUuid: record.repositoryUuid,
  workspaceUuid,
  targetId: record.target.id,
  ...(record.preview ? { pullRequestId: record.preview.pullRequest.id } : {}),
  deploymentId: record.id,
  check: record.checks,
});

/**
 * The job a followed record came from, as far as following needs it (the commit status, the record's
 * writes, the log): the record keeps it, so the status reads' events carry ids only.
 */
function jobOf(record: Deployment, workspaceUuid: string): DeployJob {
  return {
    v: JOB_SCHEMA_VERSION,
    deliveryId: record.deliveryId,
    jobKey: record.jobKey,
    trigger: record.trigger,
    repository: { uuid: record.repositoryUuid, workspaceUuid },
    targetId: record.target.id,
    ...(record.preview ? { preview: record.preview } : {}),
    ref: record.ref,
    commit: { hash: record.commit.hash, message: record.commit.message, author: record.commit.author, date: null },
    previousCommit: null,
    actor: { accountId: record.actor, uuid: null },
    pushedAt: null,
    skipReason: null,
    createdAt: record.createdAt,
    order: record.order,
    mainbranch: null,
  };
}

export async function follow(check: FollowCheck, ports: DeliveryPorts): Promise<DeliveryResult> {
  const log = ports.log.child({ deploymentId: check.deploymentId, targetId: check.targetId, check: check.check });
  return withPasses(
    { ports, log },
    () => undefined,
    () => pass(ports, log, check),
  );
}

async function pass(ports: DeliveryPorts, log: Logger, check: FollowCheck): Promise<DeliveryResult> {
  const seen = await ports.store.read(check.repositoryUuid, laneOf(check.targetId, check.pullRequestId), check.deploymentId);
  const target = seen.doc?.targets.find((candidate) => candidate.id === check.targetId) ?? null;
  const view: JobView = { ...seen, target };
  let bound: BoundProvider | null = null;
  let cannotRead: string | null = null;
  if (target) {
    try {
      bound = ports.bindProvider(target);
      if (!bound.provider.status) cannotRead = `${bound.provider.title} cannot report a deploy's outcome`;
    } catch (error) {
      cannotRead = messageOf(error);
    }
  }
  const { row, step } = decide(FOLLOW_ROWS, { check: check.check, record: view.record, target, cannotRead });
  // The record's delivery id joins every line from here: the one id a deploy's lines share.
  const recordLog = view.record ? log.child({ deliveryId: view.record.deliveryId, commit: view.record.commit.hash.slice(0, 12) }) : log;
  recordLog.info('follow', { row, step: step.do });
  if (step.do === 'nothing') return { kind: 'done', record: view.record, note: step.note };
  // Every other step has a record: the rows end at 'nothing' without one.
  const record = view.record as Deployment;
  const run: Run = { job: jobOf(record, check.workspaceUuid), ports, log: recordLog };
  switch (step.do) {
    case 'report':
      return report(run, view);
    case 'finish':
      return finishRecord(run, view, { ...record, state: step.state, message: step.message });
    case 'read':
      return read(run, view, bound as BoundProvider);
  }
}

async function read(run: Run, view: JobView, bound: BoundProvider): Promise<DeliveryResult> {
  const { job, ports } = run;
  const record = view.record as Deployment;
  const target = view.target as Target;
  let answer: ReadAnswer;
  try {
    const call = await providerCall(run, target, bound, view.doc as TargetsDocument);
    const result = await bound.provider.status!.call(bound.provider, call, record.vendorId as string);
    answer = { kind: 'status', result };
  } catch (error) {
    if (error instanceof PlatformFault) throw error;
    answer = error instanceof HttpFault ? { kind: 'fault', message: error.message } : { kind: 'refused', message: messageOf(error) };
  }
  const { row, step } = decide(READ_ROWS, {
    answer,
    vendor: bound.provider.title,
    nextDelaySeconds: followDelaySeconds(record.checks + 1),
    limitMinutes: Math.round(FOLLOW_LIMIT_SECONDS / 60),
  });
  run.log.info('status read', { row });
  const read: Deployment = {
    ...record,
    checks: record.checks + 1,
    ...(answer.kind === 'status' ? { message: answer.result.message, url: answer.result.url ?? record.url } : {}),
  };
  if (step.do === 'finish') return finishRecord(run, view, { ...read, state: step.state, message: step.message });

  try {
    await ports.followLater(followCheckOf(read, job.repository.workspaceUuid), step.delaySeconds);
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    // Nothing was written: this read comes back and reads again.
    return { kind: 'retry', afterSeconds: platformRetrySeconds(error, step.delaySeconds), reason: 'next status read not queued' };
  }
  // The vendor's page became known: the commit's progress line should link to it.
  const relinked = read.url !== record.url ? { ...read, postedStatus: null } : read;
  const posted = await post(run, view, relinked);
  const saved = await commitRecord(run, view, { ...relinked, postedStatus: 'posted' in posted ? posted.posted : null });
  return { kind: 'done', record: saved.record, note: step.note };
}
