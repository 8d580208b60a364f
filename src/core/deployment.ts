import * as z from 'zod/mini';

/**
 * A deployment record: what the history shows and what makes a redelivered job a no-op.
 * `requested` is final for providers that cannot report an outcome (hooks): the request was accepted.
 * `unknown` is final for a followed deploy whose outcome could not be read, or that was still running
 * when following stopped: the vendor's page has the answer, and the commit says so (STOPPED).
 */
export const DEPLOYMENT_STATES = [
  'sending',
  'retrying',
  'in_progress',
  'requested',
  'succeeded',
  'failed',
  'superseded',
  'canceled',
  'skipped',
  'unknown',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

const FINAL_STATES: ReadonlySet<DeploymentState> = new Set([
  'requested',
  'succeeded',
  'failed',
  'superseded',
  'canceled',
  'skipped',
  'unknown',
]);
export const isFinal = (state: DeploymentState): boolean => FINAL_STATES.has(state);

/** Once the provider has accepted (or finally refused) a deploy, no later attempt may send it again. */
export const isSettled = (state: DeploymentState): boolean => state !== 'sending' && state !== 'retrying';

export type CommitStatusState = 'INPROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'STOPPED';

const COMMIT_STATUS_BY_STATE: Record<DeploymentState, CommitStatusState | null> = {
  sending: 'INPROGRESS',
  retrying: 'INPROGRESS',
  in_progress: 'INPROGRESS',
  requested: 'SUCCESSFUL',
  succeeded: 'SUCCESSFUL',
  failed: 'FAILED',
  superseded: 'STOPPED',
  canceled: 'STOPPED',
  // A skipped deploy leaves the commit alone: nothing ran.
  skipped: null,
  unknown: 'STOPPED',
};
export const commitStatusFor = (state: DeploymentState): CommitStatusState | null => COMMIT_STATUS_BY_STATE[state];

export const DEPLOYMENT_SCHEMA_VERSION = 2;

const recordFields = {
  /** Sorts newest first in storage: reversed creation time, then the job. */
  id: z.string(),
  deliveryId: z.string(),
  jobKey: z.string(),
  idempotencyKey: z.string(),
  trigger: z.enum(['push', 'manual']),
  repositoryUuid: z.string(),
  target: z.object({ id: z.string(), name: z.string(), environment: z.string(), provider: z.string() }),
  ref: z.object({ name: z.string(), type: z.enum(['branch', 'tag']) }),
  commit: z.object({ hash: z.string(), message: z.string(), author: z.nullable(z.string()) }),
  actor: z.nullable(z.string()),
  state: z.enum(DEPLOYMENT_STATES),
  /** One line a person can act on: the provider's answer, the failure, or why it was skipped. */
  message: z.string(),
  attempts: z.number(),
  vendorId: z.nullable(z.string()),
  url: z.nullable(z.string()),
  createdAt: z.number(),
  updatedAt: z.number(),
  finishedAt: z.nullable(z.number()),
  /** The commit status last posted for this record, so a retry only posts what is missing. */
  postedStatus: z.nullable(z.enum(['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'STOPPED'])),
};

export const deploymentSchema = z.object({
  ...recordFields,
  schemaVersion: z.literal(DEPLOYMENT_SCHEMA_VERSION),
  /** When the vendor accepted the deploy: the build's own time starts here. */
  acceptedAt: z.nullable(z.number()),
  /** How many times the status poller has read the vendor's answer; a poll event for another count is stale. */
  checks: z.number(),
});

/** Version 1 (before outcomes were followed): no acceptance time, no status reads. */
const deploymentV1Schema = z.object({ ...recordFields, schemaVersion: z.literal(1) });

/**
 * What the read path accepts: every shape ever stored, migrated to the current one (Forge keeps
 * storage across app versions, so records written by an older version are still read).
 */
export const storedDeploymentSchema = z.pipe(
  z.union([deploymentSchema, deploymentV1Schema]),
  z.transform((record): Deployment =>
    record.schemaVersion === DEPLOYMENT_SCHEMA_VERSION
      ? record
      : { ...record, schemaVersion: DEPLOYMENT_SCHEMA_VERSION, acceptedAt: null, checks: 0 },
  ),
);

export type Deployment = z.infer<typeof deploymentSchema>;

export const durationMs = (d: Pick<Deployment, 'createdAt' | 'finishedAt'>): number | null =>
  d.finishedAt === null ? null : d.finishedAt - d.createdAt;

/** Milliseconds below 10^13 (until the year 2286) reversed, so an ascending key scan lists newest first. */
const REVERSE_TIME_BASE = 9_999_999_999_999;

export const deploymentId = (createdAt: number, jobKey: string): string =>
  `${String(REVERSE_TIME_BASE - createdAt).padStart(13, '0')}-${jobKey}`;
