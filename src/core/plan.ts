import { digest } from './ids';
import { type DeployJob, JOB_SCHEMA_VERSION, MAX_JOB_MESSAGE_LENGTH } from './job';
import type { Push } from './push-event';
import { findSkipMarker, refMatches } from './rules';
import type { Target } from './targets';

export interface Plan {
  deliveryId: string;
  jobs: DeployJob[];
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
 * one storage read and its one queue push. Targets whose rules do not match get no job; targets that
 * match but are skipped by a marker get a job carrying the reason, so the skip is recorded.
 */
export function planPush(push: Push, targets: readonly Target[], now: number): Plan {
  const deliveryId = deliveryIdFor(push);
  const none = (reason: string): Plan => ({ deliveryId, jobs: [], ignoredBecause: reason });
  if (push.selfGenerated) return none('the push was made by an app');
  if (push.closed || !push.after) return none(`${push.ref.type} ${push.ref.name} was deleted`);
  const head = push.head ?? { hash: push.after, message: '', author: null, date: null };
  const marker = findSkipMarker(head.message);
  const jobs = targets
    .filter((target) => target.enabled && refMatches(target.rules, push.ref))
    .map(
      (target): DeployJob => ({
        v: JOB_SCHEMA_VERSION,
        deliveryId,
        jobKey: digest(deliveryId, target.id),
        trigger: 'push',
        repository: { uuid: push.repositoryUuid, workspaceUuid: push.workspaceUuid },
        targetId: target.id,
        ref: push.ref,
        commit: { ...head, hash: push.after as string, message: head.message.slice(0, MAX_JOB_MESSAGE_LENGTH) },
        previousCommit: push.before,
        mainBranch: push.mainBranch,
        actor: push.actor,
        pushedAt: push.pushedAt,
        skipReason: marker && target.options.skipMarkers ? `the commit message contains ${marker}` : null,
        createdAt: now,
      }),
    );
  return { deliveryId, jobs, ignoredBecause: jobs.length === 0 ? 'no enabled target matches this ref' : null };
}
