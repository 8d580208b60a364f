import * as z from 'zod/mini';
import { HttpFault } from './http';
import { PlatformFault } from './errors';
import { type DeployJob, jobKeyFor, queuedJobSchema } from './job';
import { retryDelaySeconds, MAX_ATTEMPTS } from './retry';
import { pathsMatch } from './rules';
import { type DeliveryPorts, type DeliveryResult, plannedOf } from './run';
import { hasKind, parseOrRefuse } from './zod-messages';

/**
 * Path filters: a push deploys a filtered target only when a changed file matches its filters. The
 * changed files come from ONE diffstat call per push (paged only past thousands of files), whatever the
 * number of commits or filtered targets: the trigger queues the filtered jobs together as one check,
 * and the deploy worker decides them all, then queues them (a job that matches nothing carries why).
 */

export interface ChangedFiles {
  paths: string[];
  /** False when the diff was too large to list: the filters cannot be decided, so the push deploys. */
  complete: boolean;
}

export interface PathCheck {
  kind: 'paths';
  v: 1;
  /** The job of the first filtered target; the others differ only in their target. */
  job: DeployJob;
  targetIds: string[];
}

const pathCheckSchema = z.object({
  kind: z.literal('paths'),
  v: z.literal(1),
  job: queuedJobSchema,
  targetIds: z.array(z.string().check(z.maxLength(40))).check(z.minLength(1), z.maxLength(50)),
});

export const isPathCheck = (body: unknown): boolean => hasKind(body, 'paths');

export const parsePathCheck = (body: unknown): PathCheck => parseOrRefuse(pathCheckSchema, body, 'path check');

/**
 * What the push is compared with: the commit before it, or the main branch for a new branch. Push
 * events only say whether the pushed branch IS the main branch; its name comes from Bitbucket.
 */
export async function diffBase(job: DeployJob, ports: Pick<DeliveryPorts, 'mainBranch'>): Promise<string | null> {
  if (job.previousCommit) return job.previousCommit;
  if (job.mainbranch !== false) return null;
  const main = await ports.mainBranch(job);
  return main && main !== job.ref.name ? main : null;
}

export async function checkPaths(check: PathCheck, attempt: number, ports: DeliveryPorts): Promise<DeliveryResult> {
  const log = ports.log.child({ deliveryId: check.job.deliveryId, commit: check.job.commit.hash.slice(0, 12), attempt });
  const doc = await ports.store.getTargets(check.job.repository.uuid);
  const jobs = check.targetIds.map((targetId): DeployJob => ({
    ...check.job,
    targetId,
    jobKey: jobKeyFor(check.job.deliveryId, targetId),
  }));
  let base: string | null = null;
  let changed: ChangedFiles | null = null;
  let unreadable = false;
  try {
    base = await diffBase(check.job, ports);
    if (base !== null) changed = await ports.changedFiles(check.job, base);
  } catch (error) {
    if (!(error instanceof HttpFault)) throw error;
    if (attempt + 1 < MAX_ATTEMPTS) {
      const afterSeconds = retryDelaySeconds(attempt, error.retryAfterSeconds, ports.random);
      log.warn('changed files not read; retrying', { error: error.message, afterSeconds });
      return { kind: 'retry', afterSeconds, reason: error.kind };
    }
    // A deploy the filters would have skipped is harmless; a deploy silently lost is not.
    unreadable = true;
    log.error('changed files could not be read; path filters not applied', { error: error.message });
  }
  const targets = new Map(doc?.targets.map((target) => [target.id, target]));
  const decided = jobs.map((job): DeployJob => {
    const target = targets.get(job.targetId);
    // A deleted target's job goes on: the worker records that there was nothing to deploy to.
    if (!target || !changed?.complete) return job;
    const decision = pathsMatch(target.rules.paths, changed.paths);
    return decision.deploy ? job : { ...job, skipReason: decision.reason };
  });
  await ports.enqueueJobs(decided);
  // Marked once queued, never before: a mark always has a job that will act on it.
  const deploying = decided.filter((job) => job.skipReason === null);
  await ports.store
    .markPlanned(
      check.job.repository.uuid,
      deploying.map((job) => ({
        lane: job.targetId,
        push: plannedOf(job),
        coalesce: targets.get(job.targetId)?.options.coalesce ?? false,
      })),
    )
    .catch((error: unknown) => {
      if (!(error instanceof PlatformFault)) throw error;
      log.warn('planned pushes not marked; their jobs run all the same', { error: error.message });
    });
  const skipped = decided.length - deploying.length;
  const note = `${deploying.length} of ${decided.length} path-filtered target(s) deploy (${describeChanges(base, changed, unreadable)})`;
  log.info('path filters decided', { deploy: deploying.length, skipped, files: changed?.paths.length ?? null });
  return { kind: 'done', record: null, note };
}

function describeChanges(base: string | null, changed: ChangedFiles | null, unreadable: boolean): string {
  if (unreadable) return 'changed files unreadable';
  if (base === null) return 'a new branch with nothing to compare it with';
  if (changed === null) return 'changed files unreadable';
  return changed.complete ? `${changed.paths.length} file(s) changed` : 'too many files changed to list';
}
