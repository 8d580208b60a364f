import { Queue } from '@forge/events';
import { bareUuid } from '../core/ids';
import type { DeployJob } from '../core/job';
import type { PathCheck } from '../core/paths';
import type { FollowCheck } from '../core/run';

/** The queue manifest.yml's deploy-consumer reads: deploy jobs, and path checks that become deploy jobs. */
export const DEPLOY_QUEUE = 'deploy-jobs';
/** The queue manifest.yml's status-consumer reads: delayed reads of accepted deploys' outcomes. */
export const STATUS_QUEUE = 'deploy-status';

const deployQueue = new Queue({ key: DEPLOY_QUEUE });
const statusQueue = new Queue({ key: STATUS_QUEUE });

// Jobs for the same target run one at a time, so a redelivered job always finds its twin's record.
const targetKey = (repositoryUuid: string, targetId: string) => `target-${bareUuid(repositoryUuid)}-${targetId}`;

/** A push's jobs, and its path check if any, in ONE queue push (at most 50 events, as the plan guarantees). */
export async function enqueueDeployJobs(jobs: readonly DeployJob[], pathCheck: PathCheck | null = null): Promise<void> {
  const events = jobs.map((job) => ({
    body: job as unknown as Record<string, unknown>,
    concurrency: { key: targetKey(job.repository.uuid, job.targetId), limit: 1 },
  }));
  // A repository's path checks run in push order, so the newest push is also the last one marked newest.
  if (pathCheck) events.push({ body: pathCheck as unknown as Record<string, unknown>, concurrency: { key: `paths-${bareUuid(pathCheck.job.repository.uuid)}`, limit: 1 } });
  if (events.length > 0) await deployQueue.push(events);
}

/** One delayed status read; reads of one target's deploys run one at a time, like its deploys. */
export async function followLater(check: FollowCheck, delaySeconds: number): Promise<void> {
  await statusQueue.push([
    {
      body: check as unknown as Record<string, unknown>,
      delayInSeconds: delaySeconds,
      concurrency: { key: targetKey(check.job.repository.uuid, check.job.targetId), limit: 1 },
    },
  ]);
}
