import { InternalServerError, PartialSuccessError, Queue, RateLimitError } from '@forge/events';
import { PlatformFault } from '../core/errors';
import { MAX_DELAY_SECONDS } from '../core/retry';
import { bareUuid } from '../core/ids';
import { type DeployJob, laneOf, laneOfJob } from '../core/job';
import type { PathCheck } from '../core/paths';
import type { CommentRefresh } from '../core/preview-comment';
import type { ClosedBranchCheck, PreviewCheck } from '../core/previews';
import type { FollowCheck } from '../core/run';

/** The queue manifest.yml's deploy-consumer reads: deploy jobs, and path and preview checks that become deploy jobs. */
const DEPLOY_QUEUE = 'deploy-jobs';
/** The queue manifest.yml's status-consumer reads: delayed reads of accepted deploys' outcomes. */
const STATUS_QUEUE = 'deploy-status';

const deployQueue = new Queue({ key: DEPLOY_QUEUE });
const statusQueue = new Queue({ key: STATUS_QUEUE });

// Jobs of one target (of one preview: its lane) run one at a time, mostly: Forge does not promise it, and the lane's state decides.
const targetKey = (repositoryUuid: string, lane: string) => `target-${bareUuid(repositoryUuid)}-${lane}`;

/** @forge/events refuses a push of more than 50 events or 200 KB of JSON (it measures the array). */
const MAX_EVENTS_PER_PUSH = 50;
const MAX_PUSH_BYTES = 200 * 1024;

interface QueuedEvent {
  body: Record<string, unknown>;
  concurrency: { key: string; limit: number };
}

/**
 * Events in as few queue pushes as the limits allow, in order. Almost every push is one: it takes 50
 * targets with long non-ASCII commit messages (3 bytes a character) to pass 200 KB.
 */
function packEvents<E>(events: readonly E[]): E[][] {
  const packs: E[][] = [];
  let pack: E[] = [];
  let bytes = 2; // the array's brackets
  for (const event of events) {
    const size = Buffer.byteLength(JSON.stringify(event)) + 1; // and its comma
    if (pack.length > 0 && (pack.length === MAX_EVENTS_PER_PUSH || bytes + size > MAX_PUSH_BYTES)) {
      packs.push(pack);
      pack = [];
      bytes = 2;
    }
    pack.push(event);
    bytes += size;
  }
  if (pack.length > 0) packs.push(pack);
  return packs;
}

/**
 * A push's jobs, and its path check if any, in one queue push (two when they pass the size limit; a
 * job queued twice by a retried trigger is still deployed once).
 */
export async function enqueueDeployJobs(jobs: readonly DeployJob[], pathCheck: PathCheck | null = null): Promise<void> {
  const events: QueuedEvent[] = jobs.map((job) => ({
    body: job as unknown as Record<string, unknown>,
    concurrency: { key: targetKey(job.repository.uuid, laneOfJob(job)), limit: 1 },
  }));
  // One repository's path checks one at a time, mostly (Forge keeps no order within a key: each check stands alone).
  if (pathCheck)
    events.push({
      body: pathCheck as unknown as Record<string, unknown>,
      concurrency: { key: `paths-${bareUuid(pathCheck.job.repository.uuid)}`, limit: 1 },
    });
  for (const pack of packEvents(events)) await pushed('deploy jobs', () => deployQueue.push(pack));
}

/**
 * A pull-request event's preview check, or a deleted branch's (core/previews.ts): one queue push; a
 * repository's checks one at a time, mostly.
 */
export async function enqueuePreviewCheck(check: PreviewCheck | ClosedBranchCheck): Promise<void> {
  await pushed('preview check', () =>
    deployQueue.push([
      {
        body: check as unknown as Record<string, unknown>,
        concurrency: { key: `previews-${bareUuid(check.repository.uuid)}`, limit: 1 },
      },
    ]),
  );
}

/** A refresh of a pull request's comment (core/preview-comment.ts), once one of its previews' records changed. */
export async function refreshCommentLater(refresh: CommentRefresh): Promise<void> {
  await pushed('comment refresh', () =>
    deployQueue.push([
      {
        body: refresh as unknown as Record<string, unknown>,
        concurrency: { key: `comment-${bareUuid(refresh.repository.uuid)}-${refresh.pullRequestId}`, limit: 1 },
      },
    ]),
  );
}

/** The job again, after a delay: a retry of its deploy, or another look at what it waits for. */
export async function continueLater(job: DeployJob, delaySeconds: number): Promise<void> {
  await pushed('deploy job', () =>
    deployQueue.push([
      {
        body: job as unknown as Record<string, unknown>,
        delayInSeconds: Math.min(MAX_DELAY_SECONDS, delaySeconds),
        concurrency: { key: targetKey(job.repository.uuid, laneOfJob(job)), limit: 1 },
      },
    ]),
  );
}

/**
 * The queue service refusing a push for now (429, 5xx, a partial push, the proxy failing) is a
 * PlatformFault: the caller asks Forge to run it again. A push too big or malformed is a bug.
 */
async function pushed(what: string, push: () => Promise<unknown>): Promise<void> {
  try {
    await push();
  } catch (error) {
    const transient =
      error instanceof RateLimitError ||
      error instanceof InternalServerError ||
      error instanceof PartialSuccessError ||
      /PROXY_ERR/.test(`${(error as Error).name} ${(error as Error).message}`);
    if (transient)
      throw new PlatformFault(`Forge queue (${what}) refused the push: ${(error as Error).message}`, null, error instanceof RateLimitError);
    throw error;
  }
}

/** One delayed status read; reads of one target's deploys run one at a time, like its deploys. */
export async function followLater(check: FollowCheck, delaySeconds: number): Promise<void> {
  await pushed('status read', () =>
    statusQueue.push([
      {
        body: check as unknown as Record<string, unknown>,
        delayInSeconds: delaySeconds,
        concurrency: { key: targetKey(check.repositoryUuid, laneOf(check.targetId, check.pullRequestId)), limit: 1 },
      },
    ]),
  );
}
