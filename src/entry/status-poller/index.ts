import type { AsyncEvent, InvocationError } from '@forge/events';
import { InvalidInputError } from '../../core/errors';
import { follow, parseFollowCheck } from '../../core/follow';
import { answer, type ConsumerResult, refused } from '../../forge/consumer';
import { appLogger } from '../../forge/log';
import { deliveryPorts } from '../../forge/ports';
import { refreshCommentLater } from '../../forge/queue';
import { thenRefreshComment } from '../../core/preview-comment';

/**
 * Consumer of the deploy-status queue: one delayed read of an accepted deploy's outcome, which queues
 * the next read itself until the deploy ends (see core/follow.ts).
 */
export async function statusPoller(event: AsyncEvent): Promise<ConsumerResult | InvocationError> {
  try {
    const check = parseFollowCheck(event.body);
    const followed = await follow(check, deliveryPorts);
    // A preview's record moved: its pull request's comment says so.
    const result = await thenRefreshComment(
      followed,
      { uuid: check.repositoryUuid, workspaceUuid: check.workspaceUuid },
      refreshCommentLater,
    );
    // The check carries ids only: the delivery id is the record's.
    return answer(
      result.kind === 'done' ? (result.record?.deliveryId ?? check.deploymentId) : check.deploymentId,
      result,
      event.retryContext?.retryCount ?? 0,
    );
  } catch (error) {
    if (!(error instanceof InvalidInputError)) {
      appLogger.error('status poller failed', { jobId: event.jobId, error: (error as Error).message });
      throw error;
    }
    appLogger.error('status check refused', { error: error.message, jobId: event.jobId });
    return refused(error);
  }
}
