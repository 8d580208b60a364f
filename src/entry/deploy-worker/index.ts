import { type AsyncEvent, InvocationError, InvocationErrorCode } from '@forge/events';
import { deliver, type DeliveryPorts } from '../../core/deliver';
import { parseDeployJob } from '../../core/job';
import { bindProvider } from '../../providers/registry';
import { postCommitStatus } from '../../forge/bitbucket';
import { forgeHttpClient } from '../../forge/http';
import { appLogger } from '../../forge/log';
import { deliveryStore } from '../../forge/store';

const ports: DeliveryPorts = {
  store: deliveryStore,
  postCommitStatus: (job, status) => postCommitStatus(job.repository.workspaceUuid, job.repository.uuid, job.commit.hash, status),
  bindProvider,
  httpFor: forgeHttpClient,
  log: appLogger,
  now: Date.now,
  // Bitbucket resolves UUID paths, so the link works without knowing the repository's slug.
  fallbackStatusUrl: (job) =>
    `https://bitbucket.org/${encodeURIComponent(job.repository.workspaceUuid)}/${encodeURIComponent(job.repository.uuid)}/commits/${job.commit.hash}`,
};

export interface DeployWorkerResult {
  deliveryId: string | null;
  state: string | null;
  note: string;
}

/**
 * Consumer of the deploy-jobs queue. Faults come back as InvocationError with retryAfter, so the queue
 * itself waits (never a sleep here); a malformed job is reported and not retried, since retrying
 * cannot fix it.
 */
export async function deployWorker(event: AsyncEvent): Promise<DeployWorkerResult | InvocationError> {
  let job;
  try {
    job = parseDeployJob(event.body);
  } catch (error) {
    appLogger.error('deploy job refused', { error: (error as Error).message, jobId: event.jobId });
    return { deliveryId: null, state: null, note: (error as Error).message };
  }
  const result = await deliver(job, event.retryContext?.retryCount ?? 0, ports);
  if (result.kind === 'retry') {
    return new InvocationError({
      retryAfter: result.afterSeconds,
      retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
      retryData: { deliveryId: job.deliveryId, reason: result.reason },
    });
  }
  return { deliveryId: job.deliveryId, state: result.record?.state ?? null, note: result.note };
}
