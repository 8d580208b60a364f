import * as z from 'zod/mini';
import { approvalDecisionSchema } from './approval';
import { buildSchema } from './builds';
import { previewSchema, TRIGGERS } from './job';

/**
 * A deployment record, one per push and target: what the history shows, and what makes a redelivered
 * job a no-op.
 * `requested` is final for providers that cannot report an outcome (hooks): the request was accepted.
 * `rejected` is final for a deploy an admin rejected while it waited for approval: nothing was sent.
 * `blocked` is final for a deploy whose builds failed or did not pass in time (core/builds.ts), or that
 * was not approved in time (core/approval.ts): nothing was sent.
 * `unknown` is final for a followed deploy whose outcome could not be read, or that was still running
 * when following stopped: the vendor's page has the answer, and the commit says so (STOPPED).
 */
export const DEPLOYMENT_STATES = [
  'waiting',
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
  'blocked',
  'rejected',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** A deploy still under way; every other state is final. `waiting`: for its builds, before anything is sent. */
const UNDER_WAY: readonly DeploymentState[] = ['waiting', 'sending', 'retrying', 'in_progress'];
const FINAL_STATES: ReadonlySet<DeploymentState> = new Set(DEPLOYMENT_STATES.filter((state) => !UNDER_WAY.includes(state)));
export const isFinal = (state: DeploymentState): boolean => FINAL_STATES.has(state);

export type CommitStatusState = 'INPROGRESS' | 'SUCCESSFUL' | 'FAILED' | 'STOPPED';

const COMMIT_STATUS_BY_STATE: Record<DeploymentState, CommitStatusState | null> = {
  waiting: 'INPROGRESS',
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
  // Nothing was deployed: a build failed, or did not pass in time (the description says which).
  blocked: 'STOPPED',
  // An admin rejected it on the settings page: nothing was sent.
  rejected: 'STOPPED',
};
export const commitStatusFor = (state: DeploymentState): CommitStatusState | null => COMMIT_STATUS_BY_STATE[state];

export const DEPLOYMENT_SCHEMA_VERSION = 3;

const recordFields = {
  /** Sorts newest first in storage: reversed creation time, then the job. */
  id: z.string(),
  deliveryId: z.string(),
  jobKey: z.string(),
  trigger: z.enum(TRIGGERS),
  /** A redeploy: the id of the record whose commit it deploys again. */
  redeployOf: z.optional(z.string()),
  /** Asked for from the page with the gates (builds, approval, freeze) overridden. */
  overrideGates: z.optional(z.literal(true)),
  /** A pull request's preview, deployed or torn down (core/previews.ts). */
  preview: z.optional(previewSchema),
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

const followFields = {
  /** When the vendor accepted the deploy: the build's own time starts here. */
  acceptedAt: z.nullable(z.number()),
  /** How many times the status poller has read the vendor's answer; a poll event for another count is stale. */
  checks: z.number(),
};

export const deploymentSchema = z.object({
  ...recordFields,
  ...followFields,
  schemaVersion: z.literal(DEPLOYMENT_SCHEMA_VERSION),
  /** The push's place among the target's pushes (core/order.ts). */
  order: z.number(),
  /** When the current attempt's request was allowed to leave. */
  sentAt: z.nullable(z.number()),
  /** When a `retrying` record's next attempt is due. */
  nextAttemptAt: z.nullable(z.number()),
  /** The last attempt's answer was lost (a time-out, a dropped connection, a stopped function): it may have arrived. */
  answerLost: z.boolean(),
  /** Found at the vendor after its answer was lost, so it was followed instead of sent again. */
  reconciled: z.boolean(),
  /** Sent again after an answer was lost to a vendor that cannot list its deploys: it may have deployed twice. */
  resent: z.boolean(),
  /**
   * A target that waits for builds: when the wait began, whether the commit's statuses were read yet,
   * the builds as last reported, and whether they passed (then the deploy goes on as any other).
   */
  builds: z.optional(z.object({ since: z.number(), read: z.boolean(), seen: z.array(buildSchema), passed: z.boolean() })),
  /** A target that requires approval: when the wait began, and the decision once an admin made it (core/approval.ts). */
  approval: z.optional(z.object({ since: z.number(), decision: z.nullable(approvalDecisionSchema) })),
});

/** Version 2 (one record per target and commit, claimed through an idempotency key). */
const deploymentV2Schema = z.object({ ...recordFields, ...followFields, idempotencyKey: z.string(), schemaVersion: z.literal(2) });
/** Version 1 (before outcomes were followed): no acceptance time, no status reads. */
const deploymentV1Schema = z.object({ ...recordFields, idempotencyKey: z.string(), schemaVersion: z.literal(1) });

/**
 * What the read path accepts: every shape ever stored, migrated to the current one (Forge keeps
 * storage across app versions, so records written by an older version are still read). Older records
 * are of pushes long finished: their order is their creation time.
 */
export const storedDeploymentSchema = z.pipe(
  z.union([deploymentSchema, deploymentV2Schema, deploymentV1Schema]),
  z.transform((record): Deployment => {
    if (record.schemaVersion === DEPLOYMENT_SCHEMA_VERSION) return record;
    const { idempotencyKey: _claimedBy, ...fields } = record;
    return {
      acceptedAt: null,
      checks: 0,
      ...fields,
      schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
      order: record.createdAt * 1000,
      sentAt: null,
      nextAttemptAt: null,
      answerLost: false,
      reconciled: false,
      resent: false,
    };
  }),
);

export type Deployment = z.infer<typeof deploymentSchema>;

export const durationMs = (d: Pick<Deployment, 'createdAt' | 'finishedAt'>): number | null =>
  d.finishedAt === null ? null : d.finishedAt - d.createdAt;

/** Milliseconds below 10^13 (until the year 2286) reversed, so an ascending key scan lists newest first. */
const REVERSE_TIME_BASE = 9_999_999_999_999;

export const deploymentId = (createdAt: number, jobKey: string): string =>
  `${String(REVERSE_TIME_BASE - createdAt).padStart(13, '0')}-${jobKey}`;
