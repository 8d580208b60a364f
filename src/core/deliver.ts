import type { Deployment } from './deployment';
import { FIRST_FOLLOW_DELAY_SECONDS, followCheckOf } from './follow';
import { mergeBuilds, judgeBuilds } from './builds';
import { type ActiveFreeze, localTimeOf } from './freeze';
import { HttpFault, HttpRejected } from './http';
import { type DeployJob, laneOfJob } from './job';
import { InvalidInputError, PlatformFault, StaleStateError } from './errors';
import type { BoundProvider, DeployCall, ProviderCall, RedeployWay, StartResult } from './provider';
import { redeployWay } from './redeploy';
import { retryDelaySeconds } from './retry';
import {
  type Carried,
  commitRecord,
  platformRetrySeconds,
  type DeliveryPorts,
  type DeliveryResult,
  type JobView,
  messageOf,
  finishRecord,
  newRecord,
  post,
  providerCall,
  recordIdOf,
  report,
  type Run,
  waitingJob,
  withPasses,
} from './run';
import { LEASE_MS, markOf, type TargetStateFields, withoutVersion, withRecord, withSent } from './target-state';
import type { Target, TargetsDocument } from './targets';
import {
  ANSWER_ROWS,
  decide,
  DELIVERY_ROWS,
  type DeliveryStep,
  type FinalState,
  type PlannedPush,
  type SendAnswer,
  WAIT_STEP_MS,
} from './transitions';

/**
 * What the deploy worker does with one job: read where the job and its target stand (one read, plus
 * the planned pushes while the job may still send), look the step up in transitions.ts, carry it out.
 * A request leaves only under the target's lease, taken by a conditional write; so a job is sent by at
 * most one invocation at a time, never after a newer push, and a redelivered job finds its own record.
 */
export async function deliver(job: DeployJob, carried: Carried | null, ports: DeliveryPorts): Promise<DeliveryResult> {
  const log = ports.log.child({ deliveryId: job.deliveryId, targetId: job.targetId, commit: job.commit.hash.slice(0, 12) });
  // A lease handed on without an answer is taken over with a token of this invocation's own: Forge may
  // deliver that retry twice, and only one of the two may send.
  const token = carried?.answer ? carried.token : ports.newToken();
  const worker: Worker = {
    job,
    ports,
    log,
    token,
    answer: carried?.answer ?? null,
    handedOn: carried?.answer ? null : (carried?.token ?? null),
  };
  return withPasses(
    worker,
    () => ({ token: worker.token, answer: worker.answer }),
    () => pass(worker),
  );
}

/** A run of the worker: its lease token, the answer once its request went out, and a lease handed on to it. */
interface Worker extends Run {
  token: string;
  answer: SendAnswer | null;
  handedOn: string | null;
}

async function read(worker: Worker): Promise<JobView> {
  const { job, ports } = worker;
  const seen = await ports.store.read(job.repository.uuid, laneOfJob(job), recordIdOf(job));
  return { ...seen, target: seen.doc?.targets.find((candidate) => candidate.id === job.targetId) ?? null };
}

/**
 * What else is planned for the target: a coalescing target asks only whether a newer push is (its
 * newest came with the batch read); one that deploys every push asks which older ones wait (a query
 * of every push's own mark), and learns which marks are stale on the way.
 */
async function plannedFor(
  { job, ports }: Worker,
  target: Target,
  view: JobView,
): Promise<{ planned: PlannedPush[]; stale: PlannedPush[] }> {
  if (target.options.coalesce) return { planned: view.newest ? [view.newest] : [], stale: [] };
  return ports.store.listPlanned(job.repository.uuid, laneOfJob(job), view.state.sent);
}
const NONE_PLANNED = { planned: [], stale: [] };

/** Only a job that may still send needs to know what else is planned for its target. */
const maySend = (record: Deployment | null): boolean =>
  record === null || record.state === 'waiting' || record.state === 'retrying' || record.state === 'sending';

async function pass(worker: Worker): Promise<DeliveryResult> {
  const { job, ports } = worker;
  const seen = await read(worker);
  // The record and the state are written together; one batch read is not promised to see both at
  // the same moment. A state that knows this job better than its record does is read again.
  const mark = [seen.state.sent, ...seen.state.recent].find((m) => m?.jobKey === job.jobKey);
  if (mark && mark.state !== seen.record?.state) throw new StaleStateError(`the record of job ${job.jobKey}`);
  const { planned, stale } = seen.target && maySend(seen.record) ? await plannedFor(worker, seen.target, seen) : NONE_PLANNED;
  // The stale marks go with this job's next write.
  const view: JobView = { ...seen, stale };
  const { row, step } = decide(DELIVERY_ROWS, {
    now: ports.now(),
    job,
    target: view.target,
    record: view.record,
    state: view.state,
    planned,
    token: worker.token,
    handedOn: worker.handedOn,
    answer: worker.answer,
  });
  worker.log.info('deliver', { row, step: step.do });
  return act(worker, view, step);
}

async function act(worker: Worker, view: JobView, step: DeliveryStep): Promise<DeliveryResult> {
  switch (step.do) {
    case 'nothing':
      return { kind: 'done', record: view.record, note: step.note };
    case 'finish':
      return finishUnsent(worker, view, step.state, step.message, step.covers ?? false);
    case 'wait':
      return waitFor(worker, view, Math.max(1, Math.ceil((step.untilMs - worker.ports.now()) / 1000)), step.why);
    case 'claim':
      return claimAndSend(worker, view, step.lost);
    case 'send':
      return sendAndRecord(worker, view);
    case 'record':
      return recordAnswer(worker, view);
    case 'report':
      return report(worker, view);
    case 'follow':
      // A redelivered job whose deploy is followed: its first status read may never have been queued.
      return followFrom(worker, view);
    case 'gate':
      return gate(worker, view);
    case 'approval':
      return awaitApproval(worker, view);
    case 'freeze':
      return awaitFreezeEnd(worker, view, step.freeze);
  }
}

/** Between two looks at the commit's statuses when Bitbucket could not list them. */
const BUILDS_READ_AGAIN_SECONDS = 60;

/**
 * A target that waits for builds (core/builds.ts). The first look writes the job's wait mark and
 * only then reads the commit's statuses: a build that reports in between wakes the job through the mark,
 * one that reported before is in the list. From then on each build-status event of the commit wakes the
 * job with its report, and a timer, not Bitbucket, ends the wait at the target's limit. While it waits
 * the commit shows INPROGRESS with how many builds passed; a failed build ends it as blocked, with the
 * build's name and link; once they pass the job is decided again from the top (lease, order of pushes).
 */
async function gate(worker: Worker, view: JobView): Promise<DeliveryResult> {
  const { job, ports } = worker;
  const target = view.target as Target;
  const now = ports.now();
  const base = view.record ?? newRecord(job, target, now);
  const before = base.builds ?? { since: now, read: false, seen: [], passed: false };
  let seen = mergeBuilds(before.seen, job.observed ? [job.observed] : []);
  let read = before.read;
  let current = view;
  if (!read) {
    if (base.state !== 'waiting') {
      current = await commitRecord(worker, view, { ...base, state: 'waiting', message: 'Waiting for builds', builds: { ...before, seen } });
    }
    try {
      seen = mergeBuilds(seen, await ports.buildStatuses(job));
      read = true;
    } catch (error) {
      if (!(error instanceof HttpFault || error instanceof HttpRejected || error instanceof PlatformFault)) throw error;
      worker.log.warn('commit statuses not read; looking again later', { error: messageOf(error) });
    }
  }
  const record = current.record ?? base;
  const builds = { since: before.since, read, seen, passed: false };
  const verdict = judgeBuilds(seen, target.options.buildKeys);
  const released = { ...withoutVersion(current.state), lease: leaseOfOther(worker, current) };
  if (verdict.kind === 'blocked') {
    worker.log.info('blocked by a build', { message: verdict.message });
    return finish(worker, current, { ...record, state: 'blocked', message: verdict.message, url: verdict.url, builds }, released);
  }
  // Green events alone prove nothing: a build that failed before the push is only in the list not yet read.
  if (verdict.kind === 'passed' && read) {
    await commitRecord(worker, current, { ...record, state: 'waiting', message: verdict.message, builds: { ...builds, passed: true } });
    return pass(worker);
  }
  const waitingMessage = verdict.kind === 'passed' ? 'Waiting for builds: reading the commit’s statuses from Bitbucket' : verdict.message;
  const limit = target.options.buildWaitMinutes;
  const deadline = before.since + limit * 60_000;
  if (now >= deadline) {
    const message = read
      ? `Blocked: builds still running after ${limit} minutes (${verdict.message.replace(/^Waiting for builds: /, '')})`
      : `Blocked: the commit's builds could not be read from Bitbucket within ${limit} minutes`;
    return finish(worker, current, { ...record, state: 'blocked', message, builds }, released);
  }
  const waiting: Deployment = { ...record, state: 'waiting', message: waitingMessage, builds };
  // Only a look of its own keeps the timer going: the job woken by an event has one running already.
  const afterSeconds = Math.ceil((deadline - now) / 1000);
  return stayWaiting(
    worker,
    current,
    record,
    waiting,
    job.observed ? null : read ? afterSeconds : Math.min(BUILDS_READ_AGAIN_SECONDS, afterSeconds),
  );
}

const WAITING_FOR_APPROVAL = 'Waiting for approval';

/**
 * A target that requires approval (core/approval.ts), once any builds passed. The first look writes the
 * job's wait mark, then reads the decision: one made later finds the mark and wakes the job. Approved,
 * the job is decided again from the top; rejected, it ends as rejected; no decision within the
 * target's limit, it ends as blocked. Nothing is sent before an approval. The first write keeps the
 * record's message, so that the wait below sees the change and posts "Waiting for approval" on the commit.
 */
async function awaitApproval(worker: Worker, view: JobView): Promise<DeliveryResult> {
  const { job, ports } = worker;
  const target = view.target as Target;
  const now = ports.now();
  const base = view.record ?? newRecord(job, target, now);
  const asked = base.approval ?? { since: now, decision: null };
  const current =
    base.state === 'waiting' && base.approval ? view : await commitRecord(worker, view, { ...base, state: 'waiting', approval: asked });
  const record = current.record ?? base;
  const decision = await ports.store.getApproval(job.repository.uuid, job.jobKey);
  const released = { ...withoutVersion(current.state), lease: leaseOfOther(worker, current) };
  if (decision?.decision === 'reject') {
    const rejected: Deployment = {
      ...record,
      state: 'rejected',
      message: 'Rejected on the settings page',
      approval: { ...asked, decision },
    };
    return finish(worker, current, rejected, released);
  }
  if (decision?.decision === 'approve') {
    await commitRecord(worker, current, { ...record, state: 'waiting', message: 'Approved', approval: { ...asked, decision } });
    return pass(worker);
  }
  const limit = target.options.approvalWaitHours;
  const deadline = asked.since + limit * 3_600_000;
  if (now >= deadline) {
    return finish(
      worker,
      current,
      { ...record, state: 'blocked', message: `Blocked: not approved within ${limit} hours`, approval: asked },
      released,
    );
  }
  const waiting: Deployment = { ...record, state: 'waiting', message: WAITING_FOR_APPROVAL, approval: asked };
  return stayWaiting(worker, current, record, waiting, job.observed ? null : Math.ceil((deadline - now) / 1000));
}

/**
 * A deploy that would go out during a freeze (core/freeze.ts) waits for its end: the commit shows
 * until when, in the freeze's time zone, and the job's timer looks again then. Nothing else wakes it
 * early, and it is decided again from the top when it wakes (a newer push may have come meanwhile).
 */
async function awaitFreezeEnd(worker: Worker, view: JobView, freeze: ActiveFreeze): Promise<DeliveryResult> {
  const { job, ports } = worker;
  const target = view.target as Target;
  const now = ports.now();
  const record = view.record ?? newRecord(job, target, now);
  const message = `Waiting for the freeze to end at ${localTimeOf(freeze.endsAt, target.options.freeze.timeZone)}: ${freeze.why}`;
  const waiting: Deployment = { ...record, state: 'waiting', message };
  return stayWaiting(worker, view, record, waiting, job.observed ? null : Math.max(1, Math.ceil((freeze.endsAt - now) / 1000)));
}

/**
 * A job that goes on waiting: the commit shows why (posted again when the reason changed; a failed post
 * waits for the next change), the record is written when it changed, and the job's own timer, when
 * `afterSeconds` is given, looks again then (at most the queue's longest delay away).
 */
async function stayWaiting(
  worker: Worker,
  current: JobView,
  record: Deployment,
  waiting: Deployment,
  afterSeconds: number | null,
): Promise<DeliveryResult> {
  if (waiting.message !== record.message) {
    const posted = await post(worker, current, { ...waiting, postedStatus: null });
    if ('posted' in posted) waiting.postedStatus = posted.posted;
  }
  const saved = JSON.stringify(waiting) === JSON.stringify(record) ? current : await commitRecord(worker, current, waiting);
  if (afterSeconds !== null) {
    try {
      await worker.ports.continueLater(waitingJob(worker.job), afterSeconds);
    } catch (error) {
      if (!(error instanceof PlatformFault)) throw error;
      return { kind: 'retry', afterSeconds: platformRetrySeconds(error, BUILDS_READ_AGAIN_SECONDS), reason: 'waiting' };
    }
  }
  return { kind: 'done', record: saved.record, note: waiting.message };
}

/** Decided before anything was sent: the record says why (and a superseded deploy shows STOPPED). */
async function finishUnsent(worker: Worker, view: JobView, state: FinalState, message: string, covers: boolean): Promise<DeliveryResult> {
  // A target deleted before its job ran leaves nothing to record (a record has the target's name in it).
  if (!view.target && !view.record) return { kind: 'done', record: null, note: message };
  const base = view.record ?? newRecord(worker.job, view.target as Target, worker.ports.now());
  const fields = withoutVersion(view.state);
  // The lease goes too: a record whose attempt was lost may still hold it.
  const covered = covers ? markOf(worker.job, state) : fields.covered;
  worker.log.info('deploy finished without sending', { state, message });
  return finish(worker, view, { ...base, state, message, nextAttemptAt: null }, { ...fields, covered, lease: leaseOfOther(worker, view) });
}

/** The target's lease as it should stay: someone else's stays, this job's goes. */
const leaseOfOther = (worker: Worker, view: JobView) => (view.state.lease?.jobKey === worker.job.jobKey ? null : view.state.lease);

async function waitFor(worker: Worker, view: JobView, seconds: number, why: string): Promise<DeliveryResult> {
  // A little spread, so jobs that wait for the same thing do not all come back at once.
  const afterSeconds = seconds + Math.round((worker.ports.random ?? Math.random)() * (WAIT_STEP_MS / 4000));
  worker.log.info('waiting', { why, afterSeconds });
  try {
    await worker.ports.continueLater({ ...worker.job, waitingSince: worker.job.waitingSince ?? worker.ports.now() }, afterSeconds);
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    return { kind: 'retry', afterSeconds: platformRetrySeconds(error, afterSeconds), reason: 'waiting', carry: carried(worker) };
  }
  return { kind: 'done', record: view.record, note: `waiting: ${why}` };
}

/**
 * Takes the target's lease and makes this job the newest sent, in one conditional write; then sends.
 * When an earlier request of the job may have arrived, a vendor that lists its deploys is asked first.
 */
async function claimAndSend(worker: Worker, view: JobView, lost: boolean): Promise<DeliveryResult> {
  const { job, ports } = worker;
  const target = view.target as Target;
  // Refused before the claim: a redeploy that cannot run must not become the target's newest sent.
  const refusal = redeployRefusal(worker, target);
  if (refusal) return finishUnsent(worker, view, 'failed', refusal, false);
  const now = ports.now();
  const base = view.record ?? newRecord(job, target, now);
  // After a lost answer the window to look for it at the vendor opens when that request left.
  const sentAt = lost ? (base.sentAt ?? base.createdAt) : now;
  // A vendor that cannot list its deploys cannot say whether the lost request arrived: this one may
  // deploy twice, and the record says so before it leaves.
  const resent = base.resent || (lost && !canFind(worker, target));
  const record: Deployment = {
    ...base,
    state: 'sending',
    attempts: base.attempts + 1,
    sentAt,
    nextAttemptAt: null,
    answerLost: lost,
    resent,
  };
  const fields = withoutVersion(view.state);
  const claimed = await commitRecord(worker, view, record, {
    ...fields,
    ...withSent(fields, markOf(job, 'sending')),
    lease: { jobKey: job.jobKey, token: worker.token, until: now + LEASE_MS },
  });
  worker.answer = null;
  return sendAndRecord(worker, claimed);
}

/** The request itself (or, after a lost answer, the vendor's list of deploys), then its answer recorded. */
async function sendAndRecord(worker: Worker, view: JobView): Promise<DeliveryResult> {
  const { job, ports } = worker;
  const target = view.target as Target;
  const doc = view.doc as TargetsDocument;
  let bound: BoundProvider;
  let call: ProviderCall<never>;
  let request: (call: DeployCall<never>) => Promise<StartResult>;
  try {
    bound = ports.bindProvider(target);
    request = requestOf(bound, job, target);
    call = await providerCall(worker, target, bound, doc);
  } catch (error) {
    if (error instanceof PlatformFault) throw error;
    worker.answer = { kind: 'refused', message: messageOf(error) };
    return recordAnswer(worker, view);
  }
  let record = view.record as Deployment;
  const { findDeploy } = bound.provider;
  if (record.answerLost && findDeploy) {
    try {
      const found = await findDeploy.call(bound.provider, call, { commit: job.commit.hash, sentAt: record.sentAt ?? record.createdAt });
      if (found) {
        worker.log.info('lost answer reconciled: the vendor has the deploy', { vendorId: found.vendorId });
        worker.answer = { kind: 'accepted', result: found, reconciled: true };
        return recordAnswer(worker, view);
      }
      // The vendor never got the lost request: this one is the first it will act on.
      record = { ...record, answerLost: false };
    } catch (error) {
      // Not known yet whether the lost request arrived: the next attempt asks again.
      worker.answer = { ...answerOf(error), ...(error instanceof HttpFault ? { mayHaveArrived: true } : {}) };
      if (worker.answer.kind === 'fault') return recordAnswer(worker, view);
      // The list was refused: send again all the same, and say it may deploy twice (written before it leaves).
      record = { ...record, resent: true };
      worker.answer = null;
      view = await commitRecord(worker, view, record, withoutVersion(view.state));
    }
  }
  try {
    const started = await request({ ...call, job });
    worker.answer = { kind: 'accepted', result: started, reconciled: false };
  } catch (error) {
    worker.answer = answerOf(error);
  }
  return recordAnswer(worker, { ...view, record });
}

/**
 * Which request a job sends: the deploy a push makes; a preview's deploy or teardown; for a redeploy, that same deploy of its commit or
 * the vendor's rollback to the deploy it repeats. The target may have changed since the redeploy was
 * asked for: one that cannot redeploy it any more is refused here, before its secrets are even read.
 */
function requestOf(bound: BoundProvider, job: DeployJob, target: Target): (call: DeployCall<never>) => Promise<StartResult> {
  const { provider, settings } = bound;
  if (job.preview) {
    const { previews } = provider;
    if (!previews)
      throw new InvalidInputError(`${provider.title} cannot make pull-request previews: edit the target to deploy pushes instead`);
    const unavailable = previews.unavailable?.(settings);
    if (unavailable) throw new InvalidInputError(unavailable);
    // A target edited back to deploying pushes makes no new previews; a teardown queued before the edit still runs.
    if (!target.preview && job.preview.action === 'deploy')
      throw new InvalidInputError(`${target.name} deploys pushes now, not pull-request previews: nothing was deployed`);
    return job.preview.action === 'teardown' ? (call) => previews.teardown(call) : (call) => previews.deploy(call);
  }
  // A push or Deploy now queued before its target became a preview target must not deploy it as one.
  if (target.preview)
    throw new InvalidInputError(`${target.name} makes pull-request previews now, not deploys of a branch: nothing was deployed`);
  const origin = job.redeployOf;
  if (!origin) return (call) => provider.start(call);
  // Checked before the claim (redeployRefusal); again here, where the request is chosen, for `how.by`.
  const how = redeployWay(origin, target, provider.redeploy(settings));
  if (!how.ok) throw new InvalidInputError(`Redeploy refused: ${how.why}`);
  if (how.by === 'commit') return (call) => provider.start(call);
  const { rollback } = provider;
  if (!rollback) throw new Error(`${provider.title} says it rolls back, yet has no rollback call`);
  return (call) => rollback.call(provider, call, { commit: job.commit.hash, vendorId: origin.vendorId });
}

/** Why a redeploy job cannot run against the target as it is now (null for one that can, and for a push). */
function redeployRefusal(worker: Worker, target: Target): string | null {
  const origin = worker.job.redeployOf;
  if (!origin) return null;
  let way: RedeployWay | null;
  try {
    const { provider, settings } = worker.ports.bindProvider(target);
    way = provider.redeploy(settings);
  } catch {
    // Settings that no longer bind: redeployWay says so.
    way = null;
  }
  const how = redeployWay(origin, target, way);
  return how.ok ? null : `Redeploy refused: ${how.why}`;
}

/** Whether the target's vendor can be asked if a lost request arrived. */
function canFind(worker: Worker, target: Target): boolean {
  try {
    return worker.ports.bindProvider(target).provider.findDeploy !== undefined;
  } catch {
    return false;
  }
}

const answerOf = (error: unknown): SendAnswer =>
  error instanceof HttpFault
    ? { kind: 'fault', message: error.message, retryAfterSeconds: error.retryAfterSeconds, mayHaveArrived: error.mayHaveArrived }
    : { kind: 'refused', message: messageOf(error) };

/** The answer held by this invocation, written down: the commit status first (the lease makes this run the only writer). */
async function recordAnswer(worker: Worker, view: JobView): Promise<DeliveryResult> {
  const { ports } = worker;
  const answer = worker.answer as SendAnswer;
  const record = view.record as Deployment;
  const retryAfter = answer.kind === 'fault' ? answer.retryAfterSeconds : null;
  const { row, step } = decide(ANSWER_ROWS, {
    now: ports.now(),
    answer,
    attempts: record.attempts,
    retryInSeconds: retryDelaySeconds(record.attempts - 1, retryAfter, ports.random),
  });
  // One line for the answer, whatever it was (Forge bills log volume): the row says which, the vendor's id where it gave one.
  worker.log.info('answer', {
    row,
    ...(answer.kind === 'accepted' ? { state: answer.result.state, vendorId: answer.result.vendorId } : {}),
  });
  const released = { ...withoutVersion(view.state), lease: null };
  switch (step.do) {
    case 'finish': {
      const result = answer.kind === 'accepted' ? acceptedFields(answer.result, answer.reconciled, ports.now()) : {};
      return finish(worker, view, { ...record, ...result, state: step.state, message: step.message }, released);
    }
    case 'accepted': {
      const accepted: Deployment = {
        ...record,
        ...acceptedFields(step.result, (answer as { reconciled: boolean }).reconciled, ports.now()),
      };
      const posted = await post(worker, view, accepted);
      const saved = await commitRecord(
        worker,
        view,
        { ...accepted, postedStatus: 'posted' in posted ? posted.posted : null },
        withRecord({ ...view.state, ...released }, accepted),
      );
      worker.answer = null;
      return followFrom(worker, saved);
    }
    case 'retry': {
      const retrying: Deployment = {
        ...record,
        state: 'retrying',
        message: step.message,
        nextAttemptAt: step.atMs,
        answerLost: step.answerLost,
      };
      const afterSeconds = Math.max(1, Math.ceil((step.atMs - ports.now()) / 1000));
      worker.log.warn('deploy attempt failed; retrying', { message: step.message, afterSeconds });
      // Queued before the record says it is: a write that lands unseen must not leave a retry nobody runs.
      try {
        await ports.continueLater(worker.job, afterSeconds);
      } catch (error) {
        if (!(error instanceof PlatformFault)) throw error;
        return { kind: 'retry', afterSeconds: platformRetrySeconds(error, afterSeconds), reason: 'deploy attempt', carry: carried(worker) };
      }
      const saved = await commitRecord(worker, view, retrying, withRecord({ ...view.state, ...released }, retrying));
      worker.answer = null;
      return { kind: 'done', record: saved.record, note: step.message };
    }
  }
}

const carried = (worker: Worker): Carried => ({ token: worker.token, answer: worker.answer });

function acceptedFields(result: StartResult, reconciled: boolean, now: number): Partial<Deployment> {
  return {
    state: result.state,
    message: reconciled ? `${result.message} (its answer was lost; found at the vendor)` : result.message,
    vendorId: result.vendorId,
    url: result.url,
    acceptedAt: now,
    answerLost: false,
    reconciled,
  };
}

/** A sent deploy's final record; a deploy sent again after a lost answer says it may have deployed twice. */
async function finish(worker: Worker, view: JobView, record: Deployment, fields: TargetStateFields): Promise<DeliveryResult> {
  const note = record.resent ? `${record.message} (sent again after its answer was lost: it may have deployed twice)` : record.message;
  const result = await finishRecord(worker, view, { ...record, message: note }, fields);
  worker.answer = null;
  return result;
}

/** Hands an accepted deploy to the status poller, which follows it to an outcome. */
async function followFrom(worker: Worker, view: JobView): Promise<DeliveryResult> {
  const record = view.record as Deployment;
  try {
    await worker.ports.followLater(followCheckOf(record, worker.job.repository.workspaceUuid), FIRST_FOLLOW_DELAY_SECONDS);
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    // Redelivered, the job finds its record followed and queues the read again.
    return { kind: 'retry', afterSeconds: platformRetrySeconds(error, FIRST_FOLLOW_DELAY_SECONDS), reason: 'status read not queued' };
  }
  return { kind: 'done', record, note: record.message };
}
