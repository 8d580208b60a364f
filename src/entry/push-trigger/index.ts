import { planPush } from '../../core/plan';
import { parsePushEvent } from '../../core/push-event';
import { enqueueDeployJobs } from '../../forge/queue';
import { getTargets, markLatestPushes, unmarkLatestPushes } from '../../forge/store';
import { appLogger } from '../../forge/log';

export interface PushTriggerResult {
  deliveryId: string;
  queued: number;
  ignoredBecause: string | null;
}

/**
 * avi:bitbucket:push:repository. The trigger has 25 s and must never wait on a PaaS: it parses the
 * event, reads the repository's targets (one storage read), plans, marks the push as the newest for
 * its coalescing targets (one batch write, only when there are some), and enqueues every job in one
 * queue push. Nothing else. A malformed event throws a clear error and queues nothing.
 */
export async function pushTrigger(event: unknown): Promise<PushTriggerResult> {
  let push;
  try {
    push = parsePushEvent(event);
  } catch (error) {
    appLogger.error('push event refused', { error: (error as Error).message });
    throw error;
  }
  const doc = await getTargets(push.repositoryUuid);
  const plan = planPush(push, doc?.targets ?? [], Date.now());
  // Marked before queueing: an older job that runs before this push's jobs must already see it.
  await markLatestPushes(plan.latest);
  try {
    await enqueueDeployJobs(plan.jobs, plan.pathCheck);
  } catch (error) {
    await unmarkLatestPushes(plan.latest).catch((undo: unknown) =>
      appLogger.error('newest-push marks not taken back', { error: (undo as Error).message }),
    );
    appLogger.error('push not queued', { deliveryId: plan.deliveryId, error: (error as Error).message });
    throw error;
  }
  const queued = plan.jobs.length + (plan.pathCheck?.targetIds.length ?? 0);
  appLogger.info('push planned', {
    deliveryId: plan.deliveryId,
    ref: `${push.ref.type}:${push.ref.name}`,
    commit: push.after?.slice(0, 12),
    queued,
    pathFiltered: plan.pathCheck?.targetIds.length ?? 0,
    ignoredBecause: plan.ignoredBecause,
  });
  return { deliveryId: plan.deliveryId, queued, ignoredBecause: plan.ignoredBecause };
}
