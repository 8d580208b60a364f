import type { InvocationError } from '@forge/events';
import { InvalidInputError, PlatformFault } from '../../core/errors';
import { planPush } from '../../core/plan';
import { parsePushEvent } from '../../core/push-event';
import { appLogger } from '../../forge/log';
import { enqueueDeployJobs, enqueuePreviewCheck } from '../../forge/queue';
import { getTargets, markPlanned } from '../../forge/store';
import { retryCountOf, retryTrigger } from '../../forge/trigger-retry';

export interface PushTriggerResult {
  deliveryId: string | null;
  queued: number;
  ignoredBecause: string | null;
}

/**
 * avi:bitbucket:push:repository. The trigger has 25 s and must never wait on a PaaS: it parses the
 * event, reads the repository's targets (one storage read), plans, queues every job in one queue push,
 * then marks the push as planned for its targets (one batch write). Nothing else. A deleted branch
 * queues one check of the previews made from it instead (core/previews.ts).
 * - A malformed event is refused with a clear log line and queues nothing (a retry could not fix it).
 * - When Forge's storage or queue fails, the trigger asks Forge to deliver the event again
 *   (InvocationError: the documented way, at most four times for product events). Queued jobs of a
 *   push delivered twice find their own records and deploy once.
 * - The marks come after the queue push: a mark never stands for a job that was not queued. A failed
 *   mark costs coalescing; on a target that deploys every push, a newer push may then go before this
 *   one, which is superseded (never sent after the newer).
 */
export async function pushTrigger(event: unknown): Promise<PushTriggerResult | InvocationError> {
  let push;
  try {
    push = parsePushEvent(event);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    appLogger.error('push event refused', { error: error.message });
    return { deliveryId: null, queued: 0, ignoredBecause: error.message };
  }
  const retryCount = retryCountOf(event);
  let plan;
  try {
    const doc = await getTargets(push.repositoryUuid);
    plan = planPush(push, doc?.targets ?? [], Date.now());
    await enqueueDeployJobs(plan.jobs, plan.pathCheck);
    // A deleted branch queues no job: only its previews' check, so still one queue push.
    if (plan.closedBranch) await enqueuePreviewCheck(plan.closedBranch);
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    appLogger.warn('push not queued yet; Forge delivers it again', { error: error.message, retryCount });
    return retryTrigger(error, retryCount);
  }
  await markPlanned(push.repositoryUuid, plan.planned).catch((error: unknown) => {
    if (!(error instanceof PlatformFault)) throw error;
    appLogger.warn('planned pushes not marked; their jobs run all the same', { deliveryId: plan.deliveryId, error: error.message });
  });
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
