import { planPush } from '../../core/plan';
import { parsePushEvent } from '../../core/push-event';
import { enqueueDeployJobs } from '../../forge/queue';
import { getTargets } from '../../forge/store';
import { appLogger } from '../../forge/log';

export interface PushTriggerResult {
  deliveryId: string;
  queued: number;
  ignoredBecause: string | null;
}

/**
 * avi:bitbucket:push:repository. The trigger has 25 s and must never wait on a PaaS: it parses the
 * event, reads the repository's targets (one storage read), plans, and enqueues every job in one queue
 * push. Nothing else. A malformed event throws a clear error and queues nothing.
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
  await enqueueDeployJobs(plan.jobs);
  appLogger.info('push planned', {
    deliveryId: plan.deliveryId,
    ref: `${push.ref.type}:${push.ref.name}`,
    commit: push.after?.slice(0, 12),
    queued: plan.jobs.length,
    ignoredBecause: plan.ignoredBecause,
  });
  return { deliveryId: plan.deliveryId, queued: plan.jobs.length, ignoredBecause: plan.ignoredBecause };
}
