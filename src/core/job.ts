import * as z from 'zod/mini';
import { digest } from './ids';
import type { Target } from './targets';
import { parseOrRefuse } from './zod-messages';

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

export const parseDeployJob = (body: unknown): DeployJob => parseOrRefuse(deployJobSchema, body, 'deploy job');

/** Deploying the same commit to the same target twice is what we refuse, whichever push carried it. */
export const idempotencyKey = (job: Pick<DeployJob, 'targetId' | 'commit' | 'trigger' | 'deliveryId'>): string =>
  job.trigger === 'manual' ? `${job.targetId}:${job.commit.hash}:${job.deliveryId}` : `${job.targetId}:${job.commit.hash}`;

export const jobKeyFor = (deliveryId: string, targetId: string): string => digest(deliveryId, targetId);

/** When the push happened: the event's own timestamp (delivery can be late), else when it was planned. */
export function pushOrder(job: Pick<DeployJob, 'pushedAt' | 'createdAt'>): number {
  const pushed = job.pushedAt === null ? Number.NaN : Date.parse(job.pushedAt);
  return Number.isNaN(pushed) ? job.createdAt : pushed;
}

/** The newest push planned to deploy a target from a branch: older jobs for it are superseded. */
export interface LatestPush {
  repositoryUuid: string;
  targetId: string;
  ref: string;
  jobKey: string;
  commit: string;
  order: number;
}

export const latestPushOf = (job: DeployJob): LatestPush => ({
  repositoryUuid: job.repository.uuid,
  targetId: job.targetId,
  ref: job.ref.name,
  jobKey: job.jobKey,
  commit: job.commit.hash,
  order: pushOrder(job),
});

/** Coalescing applies to pushes to a branch; a tag or a "deploy now" names exactly what to deploy. */
export const coalesces = (job: DeployJob, target: Target): boolean =>
  job.trigger === 'push' && job.ref.type === 'branch' && target.options.coalesce && job.skipReason === null;
