import * as z from 'zod/mini';
import { buildSchema } from './builds';
import { digest } from './ids';
import { orderOf } from './order';
import { parseOrRefuse } from './zod-messages';

/**
 * One deploy job: a push (or a "deploy now") for one target. It travels through the Forge queue, so it
 * is parsed again when the worker receives it. The commit message is cut short: a queue push carries
 * at most 200 KB for up to 50 jobs.
 */
export const JOB_SCHEMA_VERSION = 2;
export const MAX_JOB_MESSAGE_LENGTH = 2000;

const commit = z.object({
  // Full, but for a preview whose pull request Bitbucket could not resolve (core/previews.ts): recorded as failed with the short hash the event gave.
  hash: z.string().check(z.regex(/^[0-9a-f]{7,40}$/i)),
  message: z.string().check(z.maxLength(MAX_JOB_MESSAGE_LENGTH)),
  /** A name when the source gives one (Bitbucket's commit API does; a push event carries account ids only). */
  author: z.nullable(z.string()),
  date: z.nullable(z.string()),
});

/**
 * A pull request's preview (core/previews.ts): what the preview target deploys, or tears down, for it.
 * The source commit is the job's `commit`; the source branch its `ref`.
 */
export const previewSchema = z.object({
  action: z.enum(['deploy', 'teardown']),
  pullRequest: z.object({
    id: z.number().check(z.int(), z.positive()),
    title: z.string().check(z.maxLength(500)),
    destination: z.string().check(z.maxLength(1000)),
    author: z.nullable(z.object({ accountId: z.nullable(z.string()), displayName: z.nullable(z.string()) })),
  }),
  /** The fork the source branch is in, when it is not this repository's: a branch of that name deleted here is another branch. */
  fork: z.optional(z.string().check(z.maxLength(300))),
});
export type Preview = z.infer<typeof previewSchema>;

/** What made a job: a push, *Deploy now*, or *Redeploy this commit* from the history. */
export const TRIGGERS = ['push', 'manual', 'redeploy'] as const;
export type Trigger = (typeof TRIGGERS)[number];

const jobFields = {
  /** Born in the push trigger; travels into the request, the commit status, the record and every log line. */
  deliveryId: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Unique per (push, target): a redelivered job has the same key, another push of the same commit does not. */
  jobKey: z.string().check(z.minLength(1), z.maxLength(64)),
  trigger: z.enum(TRIGGERS),
  repository: z.object({ uuid: z.string(), workspaceUuid: z.string() }),
  targetId: z.string().check(z.maxLength(40)),
  ref: z.object({ name: z.string().check(z.maxLength(1000)), type: z.enum(['branch', 'tag']) }),
  commit,
  previousCommit: z.nullable(z.string()),
  actor: z.object({ accountId: z.nullable(z.string()), uuid: z.nullable(z.string()) }),
  pushedAt: z.nullable(z.string()),
  /** When set, the plan already decided not to deploy; the worker records why. */
  skipReason: z.nullable(z.string()),
  /**
   * When set, the job may not deploy and the worker records why, posted on the commit: `blocked` (a
   * fork's pull request on a target that does not preview forks) or `failed` (a preview whose commit
   * Bitbucket could not tell).
   */
  refusal: z.optional(z.object({ state: z.enum(['blocked', 'failed']), message: z.string().check(z.maxLength(2000)) })),
  /** Set on a job queued again to wait for other pushes: when it began waiting (the wait is bounded from there). */
  waitingSince: z.optional(z.number()),
  /**
   * A redeploy: the record it repeats, the provider that made it, and the vendor's id for it (what a
   * vendor's rollback returns to).
   */
  redeployOf: z.optional(z.object({ recordId: z.string(), provider: z.string(), vendorId: z.nullable(z.string()) })),
  /**
   * A deploy now or redeploy an admin asked for with the gates overridden: it waits for no builds, no
   * approval and no freeze (the override is in the audit log and on the record).
   */
  overrideGates: z.optional(z.literal(true)),
  /** A pull request's preview: set on jobs of preview targets only. */
  preview: z.optional(previewSchema),
  /** A job woken by a build-status event: the build as that event reported it (core/builds.ts). */
  observed: z.optional(buildSchema),
  /** When the push happened (the event's timestamp), or the deploy now was asked for, in ms: orders the history. */
  createdAt: z.number(),
};

export const deployJobSchema = z.object({
  ...jobFields,
  v: z.literal(JOB_SCHEMA_VERSION),
  /** The push's place among the target's pushes (core/order.ts): microseconds of the event's timestamp. */
  order: z.number(),
  /** The event's `mainbranch`: whether the pushed branch is the repository's main branch (null for tags and deploy now). */
  mainbranch: z.nullable(z.boolean()),
});

export type DeployJob = z.infer<typeof deployJobSchema>;

/** Version 1 (before push order): the main branch's name, which push events do not carry. */
const deployJobV1Schema = z.object({ ...jobFields, v: z.literal(1), mainBranch: z.nullable(z.string()) });

/** Jobs queued by the previous version are still in the queue when an upgrade lands: read both. */
export const queuedJobSchema = z.pipe(
  z.union([deployJobSchema, deployJobV1Schema]),
  z.transform((job): DeployJob => {
    if (job.v === JOB_SCHEMA_VERSION) return job;
    const { mainBranch, ...rest } = job;
    return {
      ...rest,
      v: JOB_SCHEMA_VERSION,
      order: orderOf(job.pushedAt, job.createdAt),
      mainbranch: job.ref.type === 'branch' && mainBranch !== null ? mainBranch === job.ref.name : null,
    };
  }),
);

export const parseDeployJob = (body: unknown): DeployJob => parseOrRefuse(queuedJobSchema, body, 'deploy job');

export const jobKeyFor = (deliveryId: string, targetId: string): string => digest(deliveryId, targetId);

/**
 * Where a job stands in line: the target for its pushes, one lane per pull request for a preview
 * target, so each preview keeps its own order (the newest commit wins) and its own lease.
 */
export const laneOf = (targetId: string, pullRequestId?: number): string =>
  pullRequestId === undefined ? targetId : `${targetId}.pr${pullRequestId}`;

export const laneOfJob = (job: Pick<DeployJob, 'targetId' | 'preview'>): string => laneOf(job.targetId, job.preview?.pullRequest.id);
