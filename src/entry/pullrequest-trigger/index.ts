import type { InvocationError } from '@forge/events';
import { InvalidInputError, PlatformFault } from '../../core/errors';
import { planPullRequest } from '../../core/previews';
import { parsePullRequestEvent } from '../../core/pull-request-event';
import { appLogger } from '../../forge/log';
import { enqueuePreviewCheck } from '../../forge/queue';
import { getTargets } from '../../forge/store';
import { retryCountOf, retryTrigger } from '../../forge/trigger-retry';

export interface PullRequestTriggerResult {
  deliveryId: string | null;
  /** How many preview targets the event's check is queued for. */
  queued: number;
  ignoredBecause: string | null;
}

/**
 * avi:bitbucket:{created,updated,fulfilled,rejected}:pullrequest. Like the push trigger it never waits
 * on a PaaS or on Bitbucket: it parses the event, reads the repository's targets (one storage read) and
 * queues one preview check for the preview targets whose rules take the pull request's destination
 * (one queue push). The deploy worker asks Bitbucket what the event does not say (core/previews.ts).
 * A malformed event is refused with a clear log line; when storage or the queue fails, Forge delivers
 * the event again (a check queued twice makes the same jobs, which deploy once).
 */
export async function pullRequestTrigger(event: unknown): Promise<PullRequestTriggerResult | InvocationError> {
  let pullRequest;
  try {
    pullRequest = parsePullRequestEvent(event);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    appLogger.error('pull request event refused', { error: error.message });
    return { deliveryId: null, queued: 0, ignoredBecause: error.message };
  }
  const retryCount = retryCountOf(event);
  let plan;
  try {
    const doc = await getTargets(pullRequest.repositoryUuid);
    plan = planPullRequest(pullRequest, doc?.targets ?? [], Date.now());
    if (plan.check) await enqueuePreviewCheck(plan.check);
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    appLogger.warn('pull request not queued yet; Forge delivers it again', { error: error.message, retryCount });
    return retryTrigger(error, retryCount);
  }
  const queued = plan.check?.targetIds.length ?? 0;
  appLogger.info('pull request planned', {
    deliveryId: plan.deliveryId,
    pullRequest: pullRequest.pullRequest.id,
    action: pullRequest.action,
    commit: pullRequest.pullRequest.source.commit,
    queued,
    ignoredBecause: plan.ignoredBecause,
  });
  return { deliveryId: plan.deliveryId, queued, ignoredBecause: plan.ignoredBecause };
}
