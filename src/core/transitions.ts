import { type Deployment, type DeploymentState, isFinal } from './deployment';
import type { DeployJob } from './job';
import { activeFreeze, type ActiveFreeze } from './freeze';
import { isNewer, type Ordered } from './order';
import type { StartResult, StatusResult } from './provider';
import { MAX_ATTEMPTS } from './retry';
import { deployedBySameCommit, isAccepted, leaseHeld, type PushMark, type TargetState } from './target-state';
import { isPaused, PAUSED_SKIP_REASON, type Target } from './targets';

/**
 * The delivery logic as tables: each row is a situation (a named guard, first match wins) and the
 * step it leads to. deliver.ts and follow.ts gather the situation, look the step up here and carry it
 * out; nothing else decides. Every row has a unit test (test/core/transitions.test.ts).
 *
 * A deploy job moves through these states (one record per push and target):
 *
 *   (none) ──gate──► waiting (for builds, an approval, then a freeze's end) ──► blocked | rejected | skipped, or on to claim
 *   (none) ──claim──► sending ──answer──► in_progress ──poller──► succeeded | failed | canceled | superseded | unknown
 *      │                 │  ▲                requested | succeeded (hooks)        failed (refused, or out of attempts)
 *      │                 ▼  │claim
 *      │              retrying (fault: next attempt due later)
 *      └──► skipped | superseded (decided before anything was sent)
 */

export interface Row<S, T> {
  name: string;
  when(s: S): boolean;
  then(s: S): T;
}

/** The first row whose guard holds; the last row of every table holds always. */
export function decide<S, T>(rows: readonly Row<S, T>[], situation: S): { row: string; step: T } {
  const row = rows.find((candidate) => candidate.when(situation));
  if (!row) throw new Error('no transition row matched: every table ends with a row that always holds');
  return { row: row.name, step: row.then(situation) };
}

export type FinalState = Exclude<DeploymentState, 'waiting' | 'sending' | 'retrying' | 'in_progress'>;

/** A push planned for a target whose job has not finished yet (the trigger's marker). */
export interface PlannedPush extends Ordered {
  commit: string;
}

/** What a sent request came back with, in this invocation or carried over from the one before. */
export type SendAnswer =
  | { kind: 'accepted'; result: StartResult; reconciled: boolean }
  | { kind: 'fault'; message: string; retryAfterSeconds: number | null; mayHaveArrived: boolean }
  | { kind: 'refused'; message: string };

/** How long a job of a target that does not coalesce waits for older pushes to go first, from its first wait. */
export const ORDER_WAIT_MS = 10 * 60_000;
/**
 * Between two looks at what it waits for. Every look is a queue event, and Forge takes 500 events a
 * minute per installation: a minute keeps a burst of waiting jobs from spending that on looking.
 */
export const WAIT_STEP_MS = 60_000;

// ─── The deploy worker ────────────────────────────────────────────────────────────────────────────

export interface DeliverySituation {
  now: number;
  job: DeployJob;
  /** Null when the target was deleted. */
  target: Target | null;
  /** This job's record, if anything was written for it yet. */
  record: Deployment | null;
  state: TargetState;
  /** Pushes planned for the target and not finished (read only when the job may still send). */
  planned: readonly PlannedPush[];
  /** This invocation's lease token, and the answer it holds once its request has been sent. */
  token: string;
  answer: SendAnswer | null;
  /** The lease token the previous delivery of this event handed on, before it sent anything. */
  handedOn: string | null;
}

export type DeliveryStep =
  | { do: 'nothing'; note: string }
  /** `covers`: this push now stands for its commit, deployed by an older push: nothing older may go after it. */
  | { do: 'finish'; state: FinalState; message: string; covers?: boolean }
  | { do: 'wait'; untilMs: number; why: string }
  /** Take the lease and send; `lost`: an earlier request of this job may have arrived (reconcile first). */
  | { do: 'claim'; lost: boolean }
  | { do: 'send' }
  | { do: 'record' }
  | { do: 'report' }
  | { do: 'follow' }
  /** Look at the commit's builds (core/builds.ts): wait for them, end as blocked, or go on once they pass. */
  | { do: 'gate' }
  /** Look for an admin's decision (core/approval.ts): wait for it, end as rejected or blocked, or go on once approved. */
  | { do: 'approval' }
  /** Wait, with the commit saying so, until the freeze in force ends (core/freeze.ts). */
  | { do: 'freeze'; freeze: ActiveFreeze };

const finish = (state: FinalState, message: string): DeliveryStep => ({ do: 'finish', state, message });
const short = (commit: string) => commit.slice(0, 7);
const describe = (push: { commit: string; ref?: PushMark['ref'] }) => `${push.ref ? `${push.ref.name} ` : ''}${short(push.commit)}`;

const holdsLease = (s: DeliverySituation) => s.state.lease?.jobKey === s.job.jobKey && s.state.lease.token === s.token;
const sending = (s: DeliverySituation) => s.record?.state === 'sending';
/** An earlier request of this job left and its answer never came back. */
const lost = (s: DeliverySituation) => sending(s) || (s.record?.answerLost ?? false);
const otherSent = (s: DeliverySituation): PushMark | null => (s.state.sent && s.state.sent.jobKey !== s.job.jobKey ? s.state.sent : null);
/** The newest push decided for the target other than this one: sent, or covering its commit. */
function ahead(s: DeliverySituation): PushMark | null {
  const covered = s.state.covered && s.state.covered.jobKey !== s.job.jobKey ? s.state.covered : null;
  const sent = otherSent(s);
  if (!covered) return sent;
  return !sent || isNewer(covered, sent) ? covered : sent;
}
const coalesces = (s: DeliverySituation) => s.target?.options.coalesce ?? false;
/** A preview's teardown: it only removes what a deploy made, so no gate, pause or earlier deploy holds it back. */
const tearsDown = (s: DeliverySituation) => s.job.preview?.action === 'teardown';
/** The gates (builds, approval, freeze) a job passes, unless an admin asked for it with them overridden (or it is a teardown). */
const gated = (s: DeliverySituation) => s.job.overrideGates !== true && !tearsDown(s);
const freezeNow = (s: DeliverySituation): ActiveFreeze | null =>
  s.target && gated(s) ? activeFreeze(s.target.options.freeze, s.now) : null;
const mayWaitForOrder = (s: DeliverySituation) => s.now < (s.job.waitingSince ?? s.now) + ORDER_WAIT_MS;

function newestPlanned(s: DeliverySituation): PlannedPush | null {
  let newest: PlannedPush | null = null;
  for (const push of s.planned) if (push.jobKey !== s.job.jobKey && (!newest || isNewer(push, newest))) newest = push;
  return newest && isNewer(newest, s.job) ? newest : null;
}

/** A planned push older than this job and newer than the last one sent: with coalescing off it goes first. */
const olderPlanned = (s: DeliverySituation): PlannedPush | undefined =>
  s.planned.find((push) => push.jobKey !== s.job.jobKey && isNewer(s.job, push) && (!s.state.sent || isNewer(push, s.state.sent)));

/**
 * A newer push makes this one pointless. When it carries the same commit, this push's commit status is
 * that push's to report: skipped, so nothing is posted over it. When this job's own answer was lost, the
 * vendor may have started it before the newer one: only the vendor's page knows which is live.
 */
function overtakenBy(s: DeliverySituation, newer: { commit: string; ref?: PushMark['ref'] }, how: string): DeliveryStep {
  if (newer.commit === s.job.commit.hash) return finish('skipped', `Skipped: a newer push of this commit (${describe(newer)}) ${how}`);
  const sameCommit = deployedBySameCommit(s.state, s.job);
  if (sameCommit) return finish('skipped', `Skipped: another push of this commit (${describe(sameCommit)}) deploys it`);
  if (lost(s)) {
    return finish(
      'unknown',
      `Outcome unknown: the answer to its request was lost, and a newer push (${describe(newer)}) ${how}; see the vendor's page`,
    );
  }
  return finish('superseded', `Superseded: a newer push (${describe(newer)}) ${how}`);
}

/**
 * A job the target no longer takes (disabled, or paused for pushes) is skipped, unless an earlier
 * request of it may have reached the vendor: then only the vendor's page knows whether it deployed.
 */
function stopUnsent(s: DeliverySituation, why: string): DeliveryStep {
  if (lost(s)) return finish('unknown', `Outcome unknown: the answer to its request was lost, and then ${why}; see the vendor's page`);
  return finish('skipped', `Skipped: ${why}`);
}

export const DELIVERY_ROWS: readonly Row<DeliverySituation, DeliveryStep>[] = [
  {
    name: 'target deleted',
    when: (s) => s.target === null,
    then: (s) =>
      s.record && !isFinal(s.record.state)
        ? finish('unknown', 'Outcome unknown: the target was deleted while its deploy was being sent')
        : { do: 'nothing', note: 'target deleted before the deploy ran' },
  },
  { name: 'already finished', when: (s) => s.record !== null && isFinal(s.record.state), then: () => ({ do: 'report' }) },
  { name: 'accepted and followed', when: (s) => s.record?.state === 'in_progress', then: () => ({ do: 'follow' }) },
  { name: 'answer in hand', when: (s) => sending(s) && holdsLease(s) && s.answer !== null, then: () => ({ do: 'record' }) },
  { name: 'lease taken, not sent yet', when: (s) => sending(s) && holdsLease(s), then: () => ({ do: 'send' }) },
  {
    name: 'lease handed on, not sent yet',
    when: (s) => sending(s) && s.handedOn !== null && s.state.lease?.token === s.handedOn,
    // Taken over by a conditional write: of two deliveries of the retried event, one wins and sends.
    then: () => ({ do: 'claim', lost: false }),
  },
  {
    name: 'another delivery of this job is sending',
    when: (s) => sending(s) && s.state.lease?.jobKey === s.job.jobKey && leaseHeld(s.state, s.now),
    then: (s) => ({ do: 'wait', untilMs: s.state.lease?.until ?? s.now, why: 'another delivery of this job is sending it' }),
  },
  {
    name: 'retry not due',
    when: (s) => s.record?.state === 'retrying' && (s.record.nextAttemptAt ?? 0) > s.now,
    // Most often a duplicate of the event; but the scheduled one itself may come a little early.
    then: (s) => ({ do: 'wait', untilMs: s.record?.nextAttemptAt ?? s.now, why: 'its next attempt is not due yet' }),
  },
  // From here on the job has not been sent, or its last attempt is over: may it send now?
  { name: 'skip marker', when: (s) => s.job.skipReason !== null, then: (s) => finish('skipped', `Skipped: ${s.job.skipReason}`) },
  {
    name: 'refused when planned',
    when: (s) => s.job.refusal !== undefined,
    then: (s) => finish(s.job.refusal?.state ?? 'failed', s.job.refusal?.message ?? ''),
  },
  { name: 'target disabled', when: (s) => !s.target?.enabled, then: (s) => stopUnsent(s, 'the target was disabled') },
  {
    // Queued (or waiting at a gate) before the pause: a push still deploys nothing; Deploy now and Redeploy do.
    name: 'automatic deploys paused',
    when: (s) => s.job.trigger === 'push' && !tearsDown(s) && s.target !== null && isPaused(s.target),
    then: (s) => stopUnsent(s, PAUSED_SKIP_REASON),
  },
  {
    name: 'a newer push was sent',
    when: (s) => ahead(s) !== null && isNewer(ahead(s) as PushMark, s.job),
    then: (s) => overtakenBy(s, ahead(s) as PushMark, 'was already sent'),
  },
  {
    // A decline and the deletion of the source branch both tear a preview down: the second has nothing to
    // remove, unless the first failed.
    name: 'preview torn down already',
    when: (s) => tearsDown(s) && otherSent(s)?.teardown === true && otherSent(s)?.state !== 'failed',
    then: (s) => finish('skipped', `Skipped: the preview was torn down already (${describe(otherSent(s) as PushMark)})`),
  },
  {
    name: 'a newer push is queued (coalescing)',
    when: (s) => coalesces(s) && newestPlanned(s) !== null,
    then: (s) => overtakenBy(s, newestPlanned(s) as PlannedPush, 'is queued for this target'),
  },
  {
    name: 'commit already deployed',
    when: (s) =>
      s.job.trigger === 'push' &&
      !tearsDown(s) &&
      otherSent(s)?.commit === s.job.commit.hash &&
      isAccepted((otherSent(s) as PushMark).state),
    then: (s) => ({
      ...finish('skipped', `Skipped: push ${(otherSent(s) as PushMark).ref.name} already deployed this commit`),
      covers: true,
    }),
  },
  {
    name: 'builds not passed yet',
    when: (s) => gated(s) && (s.target?.options.waitForBuilds ?? false) && !(s.record?.builds?.passed ?? false),
    then: () => ({ do: 'gate' }),
  },
  {
    name: 'not approved yet',
    when: (s) => gated(s) && (s.target?.options.requireApproval ?? false) && s.record?.approval?.decision?.decision !== 'approve',
    then: () => ({ do: 'approval' }),
  },
  {
    // Last of the gates: a deploy approved, or built, during a freeze goes out when the freeze ends.
    name: 'frozen',
    when: (s) => freezeNow(s) !== null,
    then: (s) => {
      const freeze = freezeNow(s) as ActiveFreeze;
      return s.target?.options.freeze.during === 'skip' && s.job.trigger === 'push'
        ? finish('skipped', `Skipped: the target is frozen (${freeze.why})`)
        : { do: 'freeze', freeze };
    },
  },
  {
    name: 'another request in flight',
    when: (s) => leaseHeld(s.state, s.now) && s.state.lease?.jobKey !== s.job.jobKey,
    then: (s) => ({ do: 'wait', untilMs: s.state.lease?.until ?? s.now, why: 'another deploy to this target is being sent' }),
  },
  {
    name: 'an older push is still being sent (no coalescing)',
    when: (s) => !coalesces(s) && mayWaitForOrder(s) && ['sending', 'retrying'].includes(otherSent(s)?.state ?? ''),
    then: (s) => ({ do: 'wait', untilMs: s.now + WAIT_STEP_MS, why: `the older push ${describe(otherSent(s) as PushMark)} goes first` }),
  },
  {
    name: 'an older push is queued (no coalescing)',
    when: (s) => !coalesces(s) && mayWaitForOrder(s) && olderPlanned(s) !== undefined,
    then: (s) => ({ do: 'wait', untilMs: s.now + WAIT_STEP_MS, why: `the older push ${short(olderPlanned(s)?.commit ?? '')} goes first` }),
  },
  {
    name: 'out of attempts, last answer lost',
    when: (s) => lost(s) && (s.record?.attempts ?? 0) >= MAX_ATTEMPTS,
    then: () => finish('unknown', `Outcome unknown: the answer to its last attempt (of ${MAX_ATTEMPTS}) was lost; see the vendor's page`),
  },
  { name: 'ready to send', when: () => true, then: (s) => ({ do: 'claim', lost: lost(s) }) },
];

// ─── The answer to a request ──────────────────────────────────────────────────────────────────────

export interface AnswerSituation {
  now: number;
  answer: SendAnswer;
  /** Attempts made, this one included. */
  attempts: number;
  /** Seconds to the next attempt, from the retry policy (back-off with jitter, or Retry-After). */
  retryInSeconds: number;
}

export type AnswerStep =
  | { do: 'finish'; state: FinalState; message: string }
  | { do: 'accepted'; result: StartResult }
  | { do: 'retry'; atMs: number; message: string; answerLost: boolean };

export const ANSWER_ROWS: readonly Row<AnswerSituation, AnswerStep>[] = [
  {
    name: 'accepted, to be followed',
    when: (s) => s.answer.kind === 'accepted' && s.answer.result.state === 'in_progress',
    then: (s) => ({ do: 'accepted', result: (s.answer as { result: StartResult }).result }),
  },
  {
    name: 'accepted, final',
    when: (s) => s.answer.kind === 'accepted',
    then: (s) => {
      const { result } = s.answer as { result: StartResult };
      return { do: 'finish', state: result.state as FinalState, message: result.message };
    },
  },
  {
    name: 'fault, attempts left',
    when: (s) => s.answer.kind === 'fault' && s.attempts < MAX_ATTEMPTS,
    then: (s) => {
      const fault = s.answer as Extract<SendAnswer, { kind: 'fault' }>;
      return {
        do: 'retry',
        atMs: s.now + s.retryInSeconds * 1000,
        answerLost: fault.mayHaveArrived,
        message: `Attempt ${s.attempts} of ${MAX_ATTEMPTS} failed (${fault.message}); retrying in ${s.retryInSeconds} s`,
      };
    },
  },
  {
    name: 'fault, out of attempts, the last may have arrived',
    when: (s) => s.answer.kind === 'fault' && s.answer.mayHaveArrived,
    then: (s) => ({
      do: 'finish',
      state: 'unknown',
      message: `Outcome unknown: the answer to its last attempt (of ${MAX_ATTEMPTS}) was lost (${(s.answer as { message: string }).message}); see the vendor's page`,
    }),
  },
  {
    name: 'fault, out of attempts',
    when: (s) => s.answer.kind === 'fault',
    then: (s) => ({
      do: 'finish',
      state: 'failed',
      message: `Failed after ${MAX_ATTEMPTS} attempts: ${(s.answer as { message: string }).message}`,
    }),
  },
  {
    name: 'refused',
    when: () => true,
    then: (s) => ({ do: 'finish', state: 'failed', message: (s.answer as { message: string }).message }),
  },
];

// ─── The status poller ────────────────────────────────────────────────────────────────────────────

export interface FollowSituation {
  check: number;
  record: Deployment | null;
  target: Target | null;
  /** Why the vendor cannot be asked (no status call, settings no longer valid), or null. */
  cannotRead: string | null;
}

export type FollowStep =
  { do: 'nothing'; note: string } | { do: 'finish'; state: FinalState; message: string } | { do: 'report' } | { do: 'read' };

export const FOLLOW_ROWS: readonly Row<FollowSituation, FollowStep>[] = [
  { name: 'record gone', when: (s) => s.record === null, then: () => ({ do: 'nothing', note: 'the deployment record no longer exists' }) },
  { name: 'already finished', when: (s) => isFinal((s.record as Deployment).state), then: () => ({ do: 'report' }) },
  {
    name: 'target deleted',
    when: (s) => s.target === null,
    // With the target gone, its options are too: the record alone says what happened (nothing is posted).
    then: () => ({
      do: 'finish',
      state: 'unknown',
      message: 'Outcome unknown: the target was deleted while its deploy was followed',
    }),
  },
  {
    name: 'stale check',
    when: (s) => s.record?.state !== 'in_progress' || s.record.checks !== s.check,
    then: () => ({ do: 'nothing', note: 'stale status check' }),
  },
  {
    name: 'no id to follow',
    when: (s) => s.record?.vendorId === null,
    then: () => ({
      do: 'finish',
      state: 'unknown',
      message: 'Outcome unknown: the vendor accepted the deploy without an id to follow it by',
    }),
  },
  {
    name: 'vendor cannot be asked',
    when: (s) => s.cannotRead !== null,
    then: (s) => ({ do: 'finish', state: 'unknown', message: `Outcome unknown: ${s.cannotRead}` }),
  },
  { name: 'read it', when: () => true, then: () => ({ do: 'read' }) },
];

export type ReadAnswer =
  { kind: 'status'; result: StatusResult } | { kind: 'fault'; message: string } | { kind: 'refused'; message: string };

export interface ReadSituation {
  answer: ReadAnswer;
  vendor: string;
  /** Seconds until the next read, or null once following is over (follow.ts). */
  nextDelaySeconds: number | null;
  limitMinutes: number;
}

export type ReadStep = { do: 'finish'; state: FinalState; message: string } | { do: 'again'; delaySeconds: number; note: string };

export const READ_ROWS: readonly Row<ReadSituation, ReadStep>[] = [
  {
    name: 'finished at the vendor',
    when: (s) => s.answer.kind === 'status' && s.answer.result.state !== 'in_progress',
    then: (s) => {
      const { result } = s.answer as { result: StatusResult };
      return { do: 'finish', state: result.state as FinalState, message: result.message };
    },
  },
  {
    name: 'refused by the vendor',
    when: (s) => s.answer.kind === 'refused',
    then: (s) => ({
      do: 'finish',
      state: 'unknown',
      message: `Outcome unknown: ${s.vendor} could not be asked (${(s.answer as { message: string }).message})`,
    }),
  },
  {
    name: 'following is over',
    when: (s) => s.nextDelaySeconds === null,
    then: (s) => ({
      do: 'finish',
      state: 'unknown',
      message: `Outcome unknown: after ${s.limitMinutes} minutes ${
        s.answer.kind === 'fault' ? `its status could not be read (${s.answer.message})` : 'it is still in progress'
      }; see the vendor's page`,
    }),
  },
  {
    name: 'still running, or unreadable for now',
    when: () => true,
    then: (s) => ({
      do: 'again',
      delaySeconds: s.nextDelaySeconds as number,
      note: s.answer.kind === 'fault' ? `status not read (${s.answer.message}); reading again` : 'still in progress',
    }),
  },
];
