import * as z from 'zod/mini';
import { DEPLOYMENT_STATES, type Deployment, type DeploymentState } from './deployment';
import type { DeployJob } from './job';
import { isNewer } from './order';

/**
 * Where one target stands: the one record every decision about the target is made against. It only
 * moves forward, and every write of it (and of the target's deployment records, written in the same
 * transaction) is conditional on the version that was read, so two invocations that decide at once
 * cannot both win (src/forge/store.ts says which Forge primitive does it).
 *
 * - `sent`: the newest push whose request was allowed to leave, with how it is going. Nothing older is
 *   ever sent after it: this is what keeps a target from moving back to an older push.
 * - `recent`: the last pushes sent, newest first, so a push can tell that a newer one carried its commit
 *   (a release branch cut at main's head): that one then owns the commit's status line.
 * - `covered`: the newest push decided without sending because an older push had already deployed its
 *   commit (a forced push back to a commit the target runs): nothing older may be sent after it either.
 * - `live`: the newest push the vendor accepted and that did not fail: what is, or is becoming, live.
 * - `lease`: a request in flight. While it holds, no other request leaves for the target, so requests
 *   reach the vendor in the order they were decided. It expires after LEASE_MS: the holder was stopped.
 */
export const TARGET_STATE_SCHEMA_VERSION = 1;

/** Longer than the deploy worker may run (manifest.yml: 120 s), so a live holder never loses its lease. */
export const LEASE_MS = 150_000;

// Every write of the target rewrites its state, so a mark holds only what decisions read (a stored
// mark's `deliveryId`, from before, is dropped on read): KVS writes are billed by volume.
const pushMarkSchema = z.object({
  jobKey: z.string(),
  order: z.number(),
  commit: z.string(),
  ref: z.object({ name: z.string(), type: z.enum(['branch', 'tag']) }),
  state: z.enum(DEPLOYMENT_STATES),
  /** A preview's teardown (core/previews.ts): a later teardown of the same preview has nothing left to remove. */
  teardown: z.optional(z.literal(true)),
});
export type PushMark = z.infer<typeof pushMarkSchema>;

const leaseSchema = z.object({ jobKey: z.string(), token: z.string(), until: z.number() });
export type Lease = z.infer<typeof leaseSchema>;

export const targetStateSchema = z.object({
  v: z.literal(TARGET_STATE_SCHEMA_VERSION),
  sent: z.nullable(pushMarkSchema),
  recent: z.array(pushMarkSchema),
  covered: z._default(z.nullable(pushMarkSchema), null),
  live: z.nullable(pushMarkSchema),
  lease: z.nullable(leaseSchema),
});
export type TargetStateFields = z.infer<typeof targetStateSchema>;

/** The fields and the version they were read at (the condition of the next write). */
export interface TargetState extends TargetStateFields {
  version: number;
}

export const EMPTY_TARGET_STATE: TargetStateFields = {
  v: TARGET_STATE_SCHEMA_VERSION,
  sent: null,
  recent: [],
  covered: null,
  live: null,
  lease: null,
};

/** Enough to cover any burst still in flight (same-commit pushes are told apart among these); the state stays about a kilobyte. */
const RECENT_SENDS = 10;

/** The state once `mark` is the newest push sent. */
export const withSent = (fields: TargetStateFields, mark: PushMark): Pick<TargetStateFields, 'sent' | 'recent'> => ({
  sent: mark,
  recent: [mark, ...fields.recent.filter((other) => other.jobKey !== mark.jobKey)].slice(0, RECENT_SENDS),
});

type Pushed = { jobKey: string; order: number; commit: { hash: string } };

/** A push sent after `push` that carried the same commit, if the state still remembers one. */
export const newerOfSameCommit = (state: TargetStateFields, push: Pushed): PushMark | undefined =>
  state.recent.find((mark) => mark.jobKey !== push.jobKey && mark.commit === push.commit.hash && isNewer(mark, push));

/** The states of a sent push that deployed its commit, or may still: it has not failed or been stopped. */
const DEPLOYING: ReadonlySet<DeploymentState> = new Set(['sending', 'retrying', 'in_progress', 'requested', 'succeeded']);

/**
 * Another push sent with the same commit that deploys it (newer, or older and not failed): then a push
 * overtaken before it was sent is no news for that commit, and posts nothing over it.
 */
export const deployedBySameCommit = (state: TargetStateFields, push: Pushed): PushMark | undefined =>
  newerOfSameCommit(state, push) ??
  state.recent.find((mark) => mark.jobKey !== push.jobKey && mark.commit === push.commit.hash && DEPLOYING.has(mark.state));

/** A job or a record, as the target's state remembers it. */
type Markable = Pick<DeployJob, 'jobKey' | 'order' | 'ref' | 'preview'> & { commit: { hash: string } };

export const markOf = (job: Markable, state: DeploymentState): PushMark => ({
  jobKey: job.jobKey,
  order: job.order,
  commit: job.commit.hash,
  ref: job.ref,
  state,
  ...(job.preview?.action === 'teardown' ? { teardown: true as const } : {}),
});

/** The states in which a sent push counts as deployed (or deploying): another push of its commit need not send. */
const ACCEPTED: ReadonlySet<DeploymentState> = new Set(['in_progress', 'requested', 'succeeded']);
export const isAccepted = (state: DeploymentState): boolean => ACCEPTED.has(state);

export const leaseHeld = (state: TargetState, now: number): boolean => state.lease !== null && state.lease.until > now;

/**
 * The target's state once a record of its has moved on: `sent` follows its push's state, `live` moves
 * to it when the vendor accepted it and it is newer than what was live.
 */
export function withRecord(state: TargetState, record: Deployment): TargetStateFields {
  const fields = withoutVersion(state);
  const mark = markOf(record, record.state);
  const sent = fields.sent?.jobKey === record.jobKey ? { ...fields.sent, state: record.state } : fields.sent;
  const recent = fields.recent.map((other) => (other.jobKey === record.jobKey ? { ...other, state: record.state } : other));
  const becomesLive = isAccepted(record.state) && record.state !== 'in_progress' && (!fields.live || isNewer(mark, fields.live));
  return { ...fields, sent, recent, live: becomesLive ? mark : fields.live };
}

export const withoutVersion = ({ version: _version, ...fields }: TargetState): TargetStateFields => fields;

/**
 * The fields as written: written unparsed (src/forge/store.ts), so the type refuses a TargetState, whose
 * `version` would otherwise ride along into storage; withoutVersion makes one.
 */
export type StateToWrite = TargetStateFields & { version?: never };
