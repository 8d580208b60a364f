import * as z from 'zod/mini';
import { PlatformFault } from './errors';
import { HttpFault } from './http';
import { digest } from './ids';
import { abbreviatedHash, type PullRequestAction, type PullRequestEvent } from './pull-request-event';
import { type DeployJob, JOB_SCHEMA_VERSION, jobKeyFor, laneOfJob, MAX_JOB_MESSAGE_LENGTH, type Preview, previewSchema } from './job';
import { orderOf } from './order';
import { MAX_ATTEMPTS, retryDelaySeconds } from './retry';
import { refMatches } from './rules';
import { type DeliveryPorts, type DeliveryResult, messageOf, plannedOf } from './run';
import type { Logger } from './log';
import type { Push } from './push-event';
import { isPaused, isPreviewTarget, PAUSED_SKIP_REASON, type Target } from './targets';
import { hasKind, parseOrRefuse } from './zod-messages';

/**
 * Pull-request previews. A preview target deploys each open pull request whose destination branch its
 * rules match, in a preview of its own: a new commit on the pull request deploys again (the newest
 * wins, as with pushes), a merge or a decline tears the preview down. Each pull request is a lane of
 * its own (job.ts, laneOf): its deploys and its teardown are ordered by their events' timestamps, so a
 * deploy delivered late, after the teardown, is superseded and never brings the preview back.
 *
 * The trigger has the event only, which names commits by Bitbucket's short hash and does not say
 * whether the source is a fork. So it queues ONE check per event (no Bitbucket call in the trigger);
 * the deploy worker asks Bitbucket for the pull request (its source repository) and the source commit
 * (its full hash and message), then queues the previews' jobs. A Bitbucket fault is retried with
 * back-off; a refusal, or faults past the last attempt, are recorded as failed deploys of the preview.
 */

const ACTION_OF: Record<PullRequestAction, Preview['action']> = {
  created: 'deploy',
  updated: 'deploy',
  merged: 'teardown',
  declined: 'teardown',
};

/** What a pull request's check and a deleted branch's share: the event they come from, and its place in line. */
const checkFields = {
  v: z.literal(1),
  deliveryId: z.string().check(z.minLength(1), z.maxLength(64)),
  repository: z.object({ uuid: z.string(), workspaceUuid: z.string() }),
  actor: z.object({ accountId: z.nullable(z.string()), uuid: z.nullable(z.string()) }),
  timestamp: z.string(),
  order: z.number(),
};

const previewCheckSchema = z.object({
  kind: z.literal('pullrequest'),
  ...checkFields,
  createdAt: z.number(),
  preview: previewSchema,
  source: z.object({ branch: z.string().check(z.maxLength(1000)), commit: abbreviatedHash }),
  targetIds: z.array(z.string().check(z.maxLength(40))).check(z.minLength(1), z.maxLength(50)),
});
export type PreviewCheck = z.infer<typeof previewCheckSchema>;

export const isPreviewCheck = (body: unknown): boolean => hasKind(body, 'pullrequest');

export const parsePreviewCheck = (body: unknown): PreviewCheck => parseOrRefuse(previewCheckSchema, body, 'preview check');

export interface PreviewPlan {
  deliveryId: string;
  check: PreviewCheck | null;
  ignoredBecause: string | null;
}

/** The preview targets an event concerns, as one check for the worker. Pure: the trigger's one storage read comes before it. */
export function planPullRequest(event: PullRequestEvent, targets: readonly Target[], now: number): PreviewPlan {
  const { pullRequest } = event;
  const deliveryId = `p-${digest(event.repositoryUuid, String(pullRequest.id), event.action, pullRequest.source.commit, event.timestamp)}`;
  const destination = { type: 'branch' as const, name: pullRequest.destination };
  const matching = targets.filter((target) => target.enabled && isPreviewTarget(target) && refMatches(target.rules, destination));
  if (matching.length === 0)
    return { deliveryId, check: null, ignoredBecause: `no enabled preview target takes pull requests into ${destination.name}` };
  // From the event, not the clock: a redelivered event makes the same jobs, down to their records' ids.
  const order = orderOf(event.timestamp, now);
  return {
    deliveryId,
    ignoredBecause: null,
    check: {
      kind: 'pullrequest',
      v: 1,
      deliveryId,
      repository: { uuid: event.repositoryUuid, workspaceUuid: event.workspaceUuid },
      actor: event.actor,
      timestamp: event.timestamp,
      order,
      createdAt: Math.floor(order / 1000),
      preview: {
        action: ACTION_OF[event.action],
        pullRequest: {
          id: pullRequest.id,
          title: pullRequest.title.slice(0, 500),
          destination: pullRequest.destination,
          author: pullRequest.author,
        },
      },
      source: pullRequest.source,
      targetIds: matching.map((target) => target.id),
    },
  };
}

/** What Bitbucket says of a pull request's source: the repository it comes from (a fork is another one). */
export interface PullRequestSource {
  repository: { uuid: string; fullName: string | null };
}

/** A repository as Bitbucket's paths name it: workspace slug or `{uuid}`, repository slug or `{uuid}`. */
export interface RepositoryPath {
  workspace: string;
  repository: string;
}

/** A commit as Bitbucket's commit API gives it: the full hash the event abbreviated. */
export interface ResolvedCommit {
  hash: string;
  message: string;
  author: string | null;
  date: string | null;
}

/** Bitbucket's part in deciding a check: the source commit, and (for the fork rule) where the pull request comes from. */
async function askBitbucket(check: PreviewCheck, ports: DeliveryPorts): Promise<{ fork: string | null; commit: ResolvedCommit }> {
  const { repository: from } = await ports.pullRequestSource(check.repository, check.preview.pullRequest.id);
  const own = from.uuid.toLowerCase() === check.repository.uuid.toLowerCase();
  // A fork's commits are in the fork (another workspace, perhaps): asked of it by its full name.
  const [workspace, slug] = from.fullName?.split('/') ?? [];
  const where =
    own || !workspace || !slug
      ? { workspace: check.repository.workspaceUuid, repository: check.repository.uuid }
      : { workspace, repository: slug };
  const commit = await ports.resolveCommit(where, check.source.commit);
  return { fork: own ? null : (from.fullName ?? from.uuid), commit };
}

export async function checkPreview(check: PreviewCheck, attempt: number, ports: DeliveryPorts): Promise<DeliveryResult> {
  const { pullRequest, action } = check.preview;
  const log = ports.log.child({ deliveryId: check.deliveryId, pullRequest: pullRequest.id, action, attempt });
  let asked: Awaited<ReturnType<typeof askBitbucket>> | null = null;
  let refusal: string | null = null;
  try {
    asked = await askBitbucket(check, ports);
  } catch (error) {
    if (!(error instanceof HttpFault || error instanceof PlatformFault)) {
      // Bitbucket refused (the commit or the pull request is unknown): no retry can change that.
      refusal = `Bitbucket could not tell this pull request's commit ${check.source.commit}: ${messageOf(error)}`;
    } else if (attempt + 1 < MAX_ATTEMPTS) {
      const afterSeconds = retryDelaySeconds(attempt, error.retryAfterSeconds, ports.random);
      log.warn('pull request not read from Bitbucket; retrying', { error: error.message, afterSeconds });
      return { kind: 'retry', afterSeconds, reason: error instanceof HttpFault ? error.kind : 'platform' };
    } else {
      refusal = `Bitbucket could not be asked for this pull request's commit after ${MAX_ATTEMPTS} attempts: ${error.message}`;
    }
  }
  const targets = await targetsOf(check.repository.uuid, ports);
  const jobs = check.targetIds.map((targetId) => previewJob(check, targetId, targets.get(targetId), asked, refusal));
  const deploying = await queueAndMark(jobs, targets, ports, log);
  if (action === 'deploy' && asked && !asked.fork && deploying.length > 0) {
    // Noted before the branch's deletion is read (see tearDownClosedBranch): a deletion that misses the note is read here.
    // Only the targets that deploy: a paused one made no preview to tear down.
    const source = { pullRequest, commit: asked.commit.hash, targetIds: deploying.map((job) => job.targetId) };
    const { deletion, corrupt } = await ports.store.notePreviewSource(check.repository.uuid, check.source.branch, source);
    if (corrupt > 0) log.warn("the source branch's deletion note is unreadable; if the branch is gone, this preview stays up", { corrupt });
    if (deletion && deletion.order > check.order) {
      log.info('source branch deleted after this event; its preview is torn down', { deletedBy: deletion.deliveryId });
      await queueAndMark(teardownJobs(check.repository, check.source.branch, deletion, [source], targets), targets, ports, log);
    }
  }
  const note =
    refusal ?? `${action} of pull request #${pullRequest.id}'s preview queued for ${deploying.length} of ${jobs.length} target(s)`;
  log.info('preview check decided', { queued: jobs.length, deploying: deploying.length, refused: refusal !== null });
  return { kind: 'done', record: null, note };
}

async function targetsOf(repositoryUuid: string, ports: DeliveryPorts): Promise<Map<string, Target>> {
  const doc = await ports.store.getTargets(repositoryUuid);
  return new Map(doc?.targets.map((target) => [target.id, target]));
}

/** Queues the previews' jobs, then marks those that may send as planned; returns those. */
async function queueAndMark(jobs: DeployJob[], targets: Map<string, Target>, ports: DeliveryPorts, log: Logger): Promise<DeployJob[]> {
  const [first] = jobs;
  if (!first) return [];
  await ports.enqueueJobs(jobs);
  // Marked once queued, never before: a mark always has a job that will act on it.
  const deploying = jobs.filter((job) => job.skipReason === null && job.refusal === undefined);
  await ports.store
    .markPlanned(
      first.repository.uuid,
      deploying.map((job) => ({
        lane: laneOfJob(job),
        push: plannedOf(job),
        coalesce: targets.get(job.targetId)?.options.coalesce ?? false,
      })),
    )
    .catch((error: unknown) => {
      if (!(error instanceof PlatformFault)) throw error;
      log.warn('planned previews not marked; their jobs run all the same', { error: error.message });
    });
  return deploying;
}

/**
 * A branch deleted (a push with `closed: true`) tears down the previews made from it, as a merge or a
 * decline does, whether or not a decline of its pull request comes too (then only one tears down). Like a
 * pull-request event, the trigger queues one check (no listing in the trigger); the worker lists the
 * repository's previews and queues a teardown for each one still up from that branch. A fork's branch of
 * the same name is another branch, and keeps its preview. Redelivered, the check finds the same
 * previews and makes the same jobs, which tear down once; a teardown already done is skipped.
 *
 * Forge may deliver the deletion before a pull request's earlier `created` or `updated`, whose preview
 * then did not exist when the deletion listed them. So the two meet in the store, each writing before it
 * reads: the deletion is noted for its branch, then the branch's previews (sent, and checked but not yet
 * sent) are listed; a pull request's check notes its preview's source, then reads the branch's deletion.
 * Whichever comes second sees the other, and queues the teardown; both may, and the jobs are the same.
 */
const closedBranchCheckSchema = z.object({
  kind: z.literal('closedbranch'),
  ...checkFields,
  branch: z.string().check(z.minLength(1), z.maxLength(1000)),
});
export type ClosedBranchCheck = z.infer<typeof closedBranchCheckSchema>;

export const isClosedBranchCheck = (body: unknown): boolean => hasKind(body, 'closedbranch');

export const parseClosedBranchCheck = (body: unknown): ClosedBranchCheck =>
  parseOrRefuse(closedBranchCheckSchema, body, 'closed branch check');

/** A deleted branch's place in line, as its pull requests' later checks read it: what their teardown is made of. */
export const branchDeletionSchema = z.object({
  deliveryId: checkFields.deliveryId,
  actor: checkFields.actor,
  timestamp: checkFields.timestamp,
  order: checkFields.order,
});
export type BranchDeletion = z.infer<typeof branchDeletionSchema>;

/** A pull request checked for a preview of this repository's branch, kept until its jobs have surely acted. */
export const previewSourceSchema = z.object({
  pullRequest: previewSchema.shape.pullRequest,
  commit: z.string(),
  targetIds: z.array(z.string()),
});
export type PreviewSource = z.infer<typeof previewSourceSchema>;

/** The check a deleted branch makes when the repository has a preview target; null otherwise. Pure, as planPush is. */
export function planClosedBranch(push: Push, deliveryId: string, targets: readonly Target[], now: number): ClosedBranchCheck | null {
  if (!push.closed || push.ref.type !== 'branch' || !targets.some((target) => target.enabled && isPreviewTarget(target))) return null;
  return {
    kind: 'closedbranch',
    v: 1,
    deliveryId,
    repository: { uuid: push.repositoryUuid, workspaceUuid: push.workspaceUuid },
    actor: push.actor,
    timestamp: push.timestamp,
    order: orderOf(push.timestamp, now),
    branch: push.ref.name,
  };
}

export async function tearDownClosedBranch(check: ClosedBranchCheck, ports: DeliveryPorts): Promise<DeliveryResult> {
  const log = ports.log.child({ deliveryId: check.deliveryId, branch: check.branch });
  const deletion: BranchDeletion = { deliveryId: check.deliveryId, actor: check.actor, timestamp: check.timestamp, order: check.order };
  // Noted before the previews are listed (see above): a check that misses the note is in the lists.
  const noted = await ports.store.noteBranchDeleted(check.repository.uuid, check.branch, deletion);
  const [targets, { previews, corrupt }] = await Promise.all([
    targetsOf(check.repository.uuid, ports),
    ports.store.listRepositoryPreviews(check.repository.uuid),
  ]);
  // A summary or note that no longer parses cannot say which preview it stands for: that one is left up, and said so.
  if (corrupt + noted.corrupt > 0)
    log.warn('stored previews unreadable; any of them from this branch stay up', { corrupt: corrupt + noted.corrupt });
  const sent = previews
    .filter((summary) => summary.sourceBranch === check.branch && summary.preview.action === 'deploy' && !summary.preview.fork)
    .map((summary) => ({ pullRequest: summary.preview.pullRequest, commit: summary.commit, targetIds: [summary.targetId] }));
  const jobs = teardownJobs(check.repository, check.branch, deletion, [...sent, ...noted.sources], targets);
  await queueAndMark(jobs, targets, ports, log);
  const pullRequests = [...new Set(jobs.map((job) => job.preview?.pullRequest.id))];
  log.info('closed branch checked', { teardowns: jobs.length, pullRequests: pullRequests.join(',') });
  const note = jobs.length
    ? `branch ${check.branch} was deleted: ${jobs.length} preview(s) of pull request(s) ${pullRequests.map((id) => `#${id}`).join(', ')} torn down`
    : `branch ${check.branch} was deleted: no preview was made from it`;
  return { kind: 'done', record: null, note };
}

/** The teardown of each source's previews, one job per pull request and target (the same jobs however often they are made). */
function teardownJobs(
  repository: ClosedBranchCheck['repository'],
  branch: string,
  deletion: BranchDeletion,
  sources: readonly PreviewSource[],
  targets: Map<string, Target>,
): DeployJob[] {
  const jobs = new Map<string, DeployJob>();
  for (const { pullRequest, commit, targetIds } of sources) {
    const teardown: PreviewOfPullRequest = {
      // One delivery per pull request: its jobs' keys are the delivery's and the target's.
      deliveryId: `c-${digest(deletion.deliveryId, String(pullRequest.id))}`,
      repository,
      actor: deletion.actor,
      timestamp: deletion.timestamp,
      order: deletion.order,
      createdAt: Math.floor(deletion.order / 1000),
      preview: { action: 'teardown', pullRequest },
      source: { branch, commit },
    };
    const asked = { fork: null, commit: { hash: commit, message: '', author: null, date: null } };
    for (const targetId of targetIds) {
      const job = previewJob(teardown, targetId, targets.get(targetId), asked, null);
      jobs.set(job.jobKey, job);
    }
  }
  return [...jobs.values()];
}

/** What a preview's jobs are made from: a pull request's check, or one pull request of a deleted branch. */
type PreviewOfPullRequest = Omit<PreviewCheck, 'kind' | 'v' | 'targetIds'>;

function previewJob(
  check: PreviewOfPullRequest,
  targetId: string,
  target: Target | undefined,
  asked: { fork: string | null; commit: ResolvedCommit } | null,
  refusal: string | null,
): DeployJob {
  const teardown = check.preview.action === 'teardown';
  const forkRefused = asked?.fork != null && !(target?.preview?.allowForks ?? false);
  return {
    v: JOB_SCHEMA_VERSION,
    deliveryId: check.deliveryId,
    jobKey: jobKeyFor(check.deliveryId, targetId),
    trigger: 'push',
    repository: check.repository,
    targetId,
    ref: { name: check.source.branch, type: 'branch' },
    commit: asked
      ? {
          hash: asked.commit.hash,
          message: asked.commit.message.slice(0, MAX_JOB_MESSAGE_LENGTH),
          author: asked.commit.author,
          date: asked.commit.date,
        }
      : { hash: check.source.commit, message: '', author: null, date: null },
    previousCommit: null,
    mainbranch: null,
    actor: check.actor,
    pushedAt: check.timestamp,
    order: check.order,
    createdAt: check.createdAt,
    preview: asked?.fork ? { ...check.preview, fork: asked.fork } : check.preview,
    // A teardown goes on while the target is paused: it only removes what a deploy made.
    skipReason: target && isPaused(target) && !teardown ? PAUSED_SKIP_REASON : null,
    ...(refusal !== null
      ? { refusal: { state: 'failed' as const, message: refusal } }
      : forkRefused
        ? {
            refusal: {
              state: 'blocked' as const,
              message: `Not previewed: the pull request comes from a fork (${asked?.fork}), and this target does not preview forks (its code is not this repository's)`,
            },
          }
        : {}),
  };
}
