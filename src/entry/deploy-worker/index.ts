import type { AsyncEvent, InvocationError } from '@forge/events';
import { deliver } from '../../core/deliver';
import { InvalidInputError } from '../../core/errors';
import { parseDeployJob } from '../../core/job';
import { checkPaths, isPathCheck, parsePathCheck } from '../../core/paths';
import { isCommentRefresh, parseCommentRefresh, refreshComment, thenRefreshComment } from '../../core/preview-comment';
import {
  checkPreview,
  isClosedBranchCheck,
  isPreviewCheck,
  parseClosedBranchCheck,
  parsePreviewCheck,
  tearDownClosedBranch,
} from '../../core/previews';
import { answer, carriedFrom, type ConsumerResult, refused } from '../../forge/consumer';
import { appLogger } from '../../forge/log';
import { commentPorts, deliveryPorts } from '../../forge/ports';
import { refreshCommentLater } from '../../forge/queue';

/**
 * Consumer of the deploy-jobs queue: a deploy job, a push's path check, a pull request's preview check
 * or a deleted branch's (each queues the jobs it decides), or a refresh of a pull request's comment.
 * Faults come back as retries through the queue; a malformed event is reported, not retried.
 */
export async function deployWorker(event: AsyncEvent): Promise<ConsumerResult | InvocationError> {
  const retryCount = event.retryContext?.retryCount ?? 0;
  try {
    if (isPathCheck(event.body)) {
      const check = parsePathCheck(event.body);
      // A path check's retries are its diffstat attempts (core/paths.ts): their delay is its own.
      return answer(check.job.deliveryId, await checkPaths(check, retryCount, deliveryPorts));
    }
    if (isPreviewCheck(event.body)) {
      const check = parsePreviewCheck(event.body);
      // Its retries are its Bitbucket attempts (core/previews.ts), as a path check's are.
      return answer(check.deliveryId, await checkPreview(check, retryCount, deliveryPorts));
    }
    if (isClosedBranchCheck(event.body)) {
      const check = parseClosedBranchCheck(event.body);
      return answer(check.deliveryId, await tearDownClosedBranch(check, deliveryPorts));
    }
    if (isCommentRefresh(event.body)) {
      const refresh = parseCommentRefresh(event.body);
      // Its retry delay counts its attempts already (core/preview-comment.ts), as a path check's does.
      return answer(`comment-${refresh.pullRequestId}`, await refreshComment(refresh, commentPorts, retryCount));
    }
    const job = parseDeployJob(event.body);
    const result = await deliver(job, carriedFrom(event.retryContext), deliveryPorts);
    // A preview's record moved: its pull request's comment says so.
    return answer(job.deliveryId, await thenRefreshComment(result, job.repository, refreshCommentLater), retryCount);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) {
      appLogger.error('deploy worker failed', { jobId: event.jobId, error: (error as Error).message });
      throw error;
    }
    appLogger.error('queue event refused', { error: error.message, jobId: event.jobId });
    return refused(error);
  }
}
