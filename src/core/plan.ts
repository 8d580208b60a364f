import { digest } from './ids';
import { coalesces, type DeployJob, JOB_SCHEMA_VERSION, jobKeyFor, type LatestPush, latestPushOf, MAX_JOB_MESSAGE_LENGTH } from './job';
import type { PathCheck } from './paths';
import type { Push } from './push-event';
import { findSkipMarker, hasPathFilters, refMatches } from './rules';
import type { Target } from './targets';

export interface Plan {
  deliveryId: string;
  /** Jobs ready for the deploy queue. */
  jobs: DeployJob[];
  /** Jobs whose targets filter by path: one diffstat call decides them all, in the deploy worker. */
  pathCheck: PathCheck | null;
  /** This push is now the newest for these coalescing targets: recorded before anything is queued. */
  latest: LatestPush[];
  /** Why the push deploys nothing at all, when that is decided before looking at targets. */
  ignoredBecause: string | null;
}

/**
 * A delivery id derived from the push itself, so a redelivered event carries the same id as the
 * first delivery and the worker recognises it.
 */
export const deliveryIdFor = (push: Push): string =>
  `d-${digest(push.repositoryUuid, push.ref.type, push.ref.name, push.before ?? '', push.after ?? '', push.pushedAt ?? '')}`;

/**
 * Turns one push and the repository's targets into deploy jobs. Pure: the trigger calls it between its
 * one storage read and its queue push. Targets whose rules do not match get no job; targets that
 * match but are skipped by a marker get a job carrying the reason, so the skip is recorded.
 */
export function planPush(push: Push, targets: readonly Target[], now: number): Plan {
  const deliveryId = deliveryIdFor(push);
  const none = (reason: string): Plan => ({ deliveryId, jobs: [], pathCheck: null, latest: [], ignoredBecause: reason });
  if (push.selfGenerated) return none('the push was made by an app');
  if (push.closed || !push.after) return none(`${push.ref.type} ${push.ref.name} was deleted`);
  const head = push.head ?? { hash: push.after, message: '', author: null, date: null };
  const marker = findSkipMarker(head.message);
  const matching = targets.filter((target) => target.enabled && refMatches(target.rules, push.ref));
  if (matching.length === 0) return none('no enabled target matches this ref');

  const jobs: DeployJob[] = [];
  const filtered: DeployJob[] = [];
  const latest: LatestPush[] = [];
  for (const target of matching) {
    const job: DeployJob = {
      v: JOB_SCHEMA_VERSION,
      deliveryId,
      jobKey: jobKeyFor(deliveryId, target.id),
      trigger: 'push',
      repository: { uuid: push.repositoryUuid, workspaceUuid: push.workspaceUuid },
      targetId: target.id,
      ref: push.ref,
      commit: { ...head, hash: push.after, message: head.message.slice(0, MAX_JOB_MESSAGE_LENGTH) },
      previousCommit: push.before,
      mainBranch: push.mainBranch,
      actor: push.actor,
      pushedAt: push.pushedAt,
      skipReason: marker && target.options.skipMarkers ? `the commit message contains ${marker}` : null,
      createdAt: now,
    };
    // Path filters need the push's changed files, which only Bitbucket knows: decided after the queue.
    if (job.skipReason === null && push.ref.type === 'branch' && hasPathFilters(target)) filtered.push(job);
    else jobs.push(job);
    if (coalesces(job, target) && !filtered.includes(job)) latest.push(latestPushOf(job));
  }
  const [first] = filtered;
  const pathCheck: PathCheck | null = first ? { kind: 'paths', v: 1, job: first, targetIds: filtered.map((job) => job.targetId) } : null;
  return { deliveryId, jobs, pathCheck, latest, ignoredBecause: null };
}
