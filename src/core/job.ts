import * as z from 'zod/mini';
import { InvalidInputError } from './errors';
import { describeIssues } from './zod-messages';

/**
 * One deploy job: a push (or a "deploy now") for one target. It travels through the Forge queue, so it
 * is parsed again when the worker receives it. The commit message is cut short: a queue push carries
 * at most 200 KB for up to 50 jobs.
 */
export const JOB_SCHEMA_VERSION = 1;
export const MAX_JOB_MESSAGE_LENGTH = 2000;

const commit = z.object({
  hash: z.string().check(z.regex(/^[0-9a-f]{40}$/i)),
  message: z.string().check(z.maxLength(MAX_JOB_MESSAGE_LENGTH)),
  author: z.nullable(z.string()),
  date: z.nullable(z.string()),
});

export const deployJobSchema = z.object({
  v: z.literal(JOB_SCHEMA_VERSION),
  /** Born in the push trigger; travels into the request, the commit status, the record and every log line. */
  deliveryId: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Unique per (delivery, target): tells a redelivered job from a different push of the same commit. */
  jobKey: z.string().check(z.minLength(1), z.maxLength(64)),
  trigger: z.enum(['push', 'manual']),
  repository: z.object({ uuid: z.string(), workspaceUuid: z.string() }),
  targetId: z.string().check(z.maxLength(40)),
  ref: z.object({ name: z.string().check(z.maxLength(1000)), type: z.enum(['branch', 'tag']) }),
  commit,
  previousCommit: z.nullable(z.string()),
  mainBranch: z.nullable(z.string()),
  actor: z.object({ accountId: z.nullable(z.string()), uuid: z.nullable(z.string()) }),
  pushedAt: z.nullable(z.string()),
  /** When set, the plan already decided not to deploy; the worker records why. */
  skipReason: z.nullable(z.string()),
  /** Milliseconds since the epoch when the job was planned; orders the history. */
  createdAt: z.number(),
});

export type DeployJob = z.infer<typeof deployJobSchema>;

export function parseDeployJob(body: unknown): DeployJob {
  const result = deployJobSchema.safeParse(body);
  if (!result.success) {
    const issues = describeIssues(result.error);
    throw new InvalidInputError(`Malformed deploy job: ${issues.slice(0, 5).join('; ')}`, issues);
  }
  return result.data;
}

/** Deploying the same commit to the same target twice is what we refuse, whichever push carried it. */
export const idempotencyKey = (job: Pick<DeployJob, 'targetId' | 'commit' | 'trigger' | 'deliveryId'>): string =>
  job.trigger === 'manual' ? `${job.targetId}:${job.commit.hash}:${job.deliveryId}` : `${job.targetId}:${job.commit.hash}`;
