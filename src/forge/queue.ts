import { Queue } from '@forge/events';
import { bareUuid } from '../core/ids';
import type { DeployJob } from '../core/job';

/** The queue manifest.yml's deploy-consumer reads. */
export const DEPLOY_QUEUE = 'deploy-jobs';

const deployQueue = new Queue({ key: DEPLOY_QUEUE });

/**
 * All jobs of a push in ONE queue push (at most 50, as the plan guarantees). Jobs for the same target
 * run one at a time, so a redelivered job always finds its twin's record.
 */
export async function enqueueDeployJobs(jobs: readonly DeployJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await deployQueue.push(
    jobs.map((job) => ({
      body: job as unknown as Record<string, unknown>,
      concurrency: { key: `target-${bareUuid(job.repository.uuid)}-${job.targetId}`, limit: 1 },
    })),
  );
}
