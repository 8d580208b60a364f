import { digest } from './ids';
import { type DeployJob, JOB_SCHEMA_VERSION, jobKeyFor, MAX_JOB_MESSAGE_LENGTH } from './job';
import { orderOf } from './order';
import type { PathCheck } from './paths';
import { type ClosedBranchCheck, planClosedBranch } from './previews';
import type { Push } from './push-event';
import { findSkipMarker, hasPathFilters, refMatches } from './rules';
import { type PlannedMark, plannedOf } from './run';
import { isPaused, isPreviewTarget, PAUSED_SKIP_REASON, type Target } from './targets';

export interface Plan {
  deliveryId: string;
  /** Jobs ready for the deploy queue. */
  jobs: DeployJob[];
  /** Jobs whose targets filter by path: one diffstat call decides them all, in the deploy worker. */
  pathCheck: PathCheck | null;
  /** Pushes planned for their targets, marked once the jobs are queued: what coalescing and ordering look at. */
  planned: PlannedMark[];
  /** Why the push deploys nothing at all, when that is decided before looking at targets. */
  ignoredBecause: string | null;
  /** A deleted branch's check of the previews made from it (core/previews.ts), for the deploy worker. */
  closedBranch: ClosedBranchCheck | null;
}

/**
 * A delivery id derived from the push itself, so a redelivered event carries the same id as the
 * first delivery and the worker recognises it; a later push of the same commit (a git rollback) has
 * another timestamp and another id.
 */
export const deliveryIdFor = (push: Push): string =>
  `d-${digest(push.repositoryUuid, push.ref.type, push.ref.name, push.before ?? '', push.after ?? '', push.timestamp)}`;

/**
 * Turns one push and the repository's targets into deploy jobs. Pure: the trigger calls it between its
 * one storage read and its queue push. Targets whose rules do not match get no job; targets that
 * match but are skipped (by a marker, or paused) get a job carrying the reason, so the skip is recorded.
 */
export function planPush(push: Push, targets: readonly Target[], now: number): Plan {
  const deliveryId = deliveryIdFor(push);
  const none = (reason: string): Plan => ({
    deliveryId,
    jobs: [],
    pathCheck: null,
    planned: [],
    ignoredBecause: reason,
    closedBranch: null,
  });
  if (push.selfGenerated) return none('the push was made by an app');
  if (push.closed || !push.after) {
    const closedBranch = planClosedBranch(push, deliveryId, targets, now);
    const deleted = `${push.ref.type} ${push.ref.name} was deleted`;
    return { ...none(closedBranch ? `${deleted}: its previews are checked for teardown` : deleted), closedBranch };
  }
  const head = push.head ?? { hash: push.after, message: '', authorAccountId: null, date: null };
  const marker = findSkipMarker(head.message);
  // A preview target's rules name pull requests' destinations: pushes are not its to deploy.
  const matching = targets.filter((target) => target.enabled && !isPreviewTarget(target) && refMatches(target.rules, push.ref));
  if (matching.length === 0) return none('no enabled target matches this ref');

  // From the event, not the clock: a redelivered push makes the same jobs, down to their records' ids.
  const order = orderOf(push.timestamp, now);
  const createdAt = Math.floor(order / 1000);
  const jobs: DeployJob[] = [];
  const filtered: DeployJob[] = [];
  const planned: Plan['planned'] = [];
  for (const target of matching) {
    const job: DeployJob = {
      v: JOB_SCHEMA_VERSION,
      deliveryId,
      jobKey: jobKeyFor(deliveryId, target.id),
      trigger: 'push',
      repository: { uuid: push.repositoryUuid, workspaceUuid: push.workspaceUuid },
      targetId: target.id,
      ref: push.ref,
      // Push events carry the author's account id, not a name.
      commit: { hash: push.after, message: head.message.slice(0, MAX_JOB_MESSAGE_LENGTH), author: null, date: head.date },
      previousCommit: push.before,
      mainbranch: push.mainbranch,
      actor: push.actor,
      pushedAt: push.timestamp,
      order,
      skipReason: isPaused(target)
        ? PAUSED_SKIP_REASON
        : marker && target.options.skipMarkers
          ? `the commit message contains ${marker}`
          : null,
      createdAt,
    };
    // Path filters need the push's changed files, which only Bitbucket knows: decided after the queue.
    if (job.skipReason === null && push.ref.type === 'branch' && hasPathFilters(target)) filtered.push(job);
    else jobs.push(job);
    if (job.skipReason === null && !filtered.includes(job))
      planned.push({ lane: target.id, push: plannedOf(job), coalesce: target.options.coalesce });
  }
  const [first] = filtered;
  const pathCheck: PathCheck | null = first ? { kind: 'paths', v: 1, job: first, targetIds: filtered.map((job) => job.targetId) } : null;
  return { deliveryId, jobs, pathCheck, planned, ignoredBecause: null, closedBranch: null };
}
