import { Filter, FilterConditions, ForgeKvsAPIError, kvs, WhereConditions } from '@forge/kvs';
import * as z from 'zod/mini';
import { type ApprovalDecision, approvalDecisionSchema } from '../core/approval';
import { AUDIT_RETENTION_DAYS, type AuditEntry, auditEntrySchema } from '../core/audit';
import { type Deployment, storedDeploymentSchema } from '../core/deployment';
import { type DeployJob, deployJobSchema } from '../core/job';
import { type CommentEntry, type PreviewSummary, previewSummarySchema } from '../core/preview-comment';
import { type BranchDeletion, branchDeletionSchema, type PreviewSource, previewSourceSchema } from '../core/previews';
import { CorruptRecordError, PlatformFault, StaleStateError } from '../core/errors';
import { bareUuid, digest } from '../core/ids';
import { isNewer, type Ordered } from '../core/order';
import type { Change, DeliveryStore, PlannedMark } from '../core/run';
import { NO_SECRETS, secretBindingSchema, type StoredSecrets } from '../core/secrets';
import { EMPTY_TARGET_STATE, type TargetState, targetStateSchema } from '../core/target-state';
import { MAX_TARGETS_PER_REPOSITORY, type TargetsDocument, targetsDocumentSchema } from '../core/targets';
import type { PlannedPush } from '../core/transitions';
import { describeIssues } from '../core/zod-messages';

/**
 * Everything the app keeps, in Forge's KVS and Custom Entity Store. Keys use bare UUIDs (KVS refuses braces):
 *   targets:<repo>                         all targets of a repository, one value: one read per push
 *   deploy:<repo>:<reversed time>-<job>    a deployment record (one per push and target); a prefix scan lists newest first
 *   plan:<repo>:<target>:<order>:<job>     a push planned for a target whose job has not acted yet (expires)
 *   newest:<repo>:<target>                 the newest push planned for a coalescing target, as the last trigger wrote it (expires)
 *   entity target-state, <repo>:<target>   where the target stands (core/target-state.ts), with its version
 *   entity targets-revision, <repo>        counts the page's changes to the targets: a save conditioned on it loses no other
 *   secrets:<repo>:<target>                the target's secrets and what they were saved for, in the encrypted secret store
 *   egress-grants                          the customer-managed egress a workspace admin approved (one per installation)
 *   wait:<repo>:<commit>:<job>            a job waiting for builds or an approval: a build-status event or an approval wakes it (expires)
 *   approval:<repo>:<job>                 an admin's decision on a deploy waiting for approval, written once (expires)
 *   audit:<repo>:<reversed time>-<id>     an entry of the audit log (expires after a year)
 *   admin:<repo>:<account>                 whether the person administers the repository, as Bitbucket said (a minute)
 *   preview:<repo>:<pr>:<target>          what a preview target's lane last sent for a pull request (core/preview-comment.ts)
 *   entity preview-comment, <repo>:<pr>    the pull request's one comment: its id, what it says, who may post it, with a version
 *   closed:<repo>:<branch>:<rev. order>    a branch deleted, for its pull requests' checks delivered after it (expires)
 *   source:<repo>:<branch>:<pr>            a pull request checked for a preview of the branch, until its jobs surely acted (expires)
 * Every stored value is parsed when read; a value that does not parse is reported, never trusted.
 *
 * Exclusion, from the primitives Forge documents: the target state is a custom entity, and every write
 * of it is a Custom Entity Store transaction conditioned on the version that was read (`version`
 * EQUAL_TO n), which carries the target's deployment records and planned-push markers with it, all or
 * nothing. Two invocations that decided on the same version cannot both write: the loser gets
 * CONDITIONAL_CHECK_FAILED and reads again. A target's state is created once with `keyPolicy:
 * 'FAIL_IF_EXISTS'`, the documented create-if-absent (what a condition does on a missing entity is not
 * documented, so nothing relies on it).
 */

export const TARGET_STATE_ENTITY = 'target-state';
export const TARGETS_REVISION_ENTITY = 'targets-revision';
export const PREVIEW_COMMENT_ENTITY = 'preview-comment';
const revisionSchema = z.object({ revision: z.number() });

const targetsKey = (repo: string) => `targets:${bareUuid(repo)}`;
const secretsKey = (repo: string, targetId: string) => `secrets:${bareUuid(repo)}:${targetId}`;
const deploymentPrefix = (repo: string) => `deploy:${bareUuid(repo)}:`;
export const deploymentKey = (repo: string, id: string) => `${deploymentPrefix(repo)}${id}`;
const auditPrefix = (repo: string) => `audit:${bareUuid(repo)}:`;
const auditKey = (repo: string, id: string) => `${auditPrefix(repo)}${id}`;
const approvalKey = (repo: string, jobKey: string) => `approval:${bareUuid(repo)}:${jobKey}`;
const waitPrefix = (repo: string) => `wait:${bareUuid(repo)}:`;
const waitKey = (repo: string, commit: string, jobKey: string) => `${waitPrefix(repo)}${commit.toLowerCase()}:${jobKey}`;
// A lane is a target's id, or a preview's (core/job.ts, laneOf): `web.pr7` keeps its own state and marks.
const plannedPrefix = (repo: string, lane: string) => `plan:${bareUuid(repo)}:${lane}:`;
// Zero-padded so keys sort in push order: the oldest planned push is the first a scan returns.
const plannedKey = (repo: string, lane: string, push: PlannedPush) =>
  `${plannedPrefix(repo, lane)}${String(push.order).padStart(17, '0')}:${push.jobKey}`;
const stateKey = (repo: string, lane: string) => `${bareUuid(repo)}:${lane}`;
const previewPrefix = (repo: string, pullRequestId: number) => `preview:${bareUuid(repo)}:${pullRequestId}:`;
const commentKey = (repo: string, pullRequestId: number) => `${bareUuid(repo)}:${pullRequestId}`;
const newestKey = (repo: string, lane: string) => `newest:${bareUuid(repo)}:${lane}`;
// Orders (microseconds, core/order.ts) below it, until the year 2255, reversed within a safe integer.
const REVERSE_ORDER_BASE = 9_000_000_000_000_000;
// A branch's name may hold characters a key may not (`feature/login`): its digest stands for it.
const closedPrefix = (repo: string, branch: string) => `closed:${bareUuid(repo)}:${digest(branch)}:`;
const sourcePrefix = (repo: string, branch: string) => `source:${bareUuid(repo)}:${digest(branch)}:`;

const plannedSchema = z.object({ jobKey: z.string(), order: z.number(), commit: z.string() });
const storedStateSchema = z.object({ version: z.number(), state: targetStateSchema });
/** Outlives the longest wait a target can set (a week, for an approval), and is removed when the wait ends. */
const WAIT_TTL = { unit: 'DAYS', value: 8 } as const;
/** Pages of waiting jobs one build-status event wakes: 100 jobs of one commit is 50 targets pushed twice. */
const WAIT_PAGES = 5;
/** A mark outlives any job it stands for (a job acts within the day, or its events are gone); then it only takes room. */
const PLANNED_TTL = { unit: 'DAYS', value: 7 } as const;
const TORN_DOWN_TTL = { unit: 'DAYS', value: 30 } as const;
/** A checked preview's note outlives its job's longest wait for builds or an approval (WAIT_TTL), unsent all that time. */
const PREVIEW_SOURCE_TTL = { unit: 'DAYS', value: 30 } as const;
/**
 * The most values one KVS query returns: "Limit the result size to 10 values, up to a maximum of 20"
 * (https://developer.atlassian.com/platform/forge/runtime-reference/storage-api-query/).
 */
const QUERY_PAGE = 20;
/**
 * A job of a target deploying every push needs only the oldest live mark of its target's (its own, or
 * an older push's that goes first), and the front is almost always live: so its first page is small,
 * a quarter of the read a full page of marks would be. Stale marks (whose jobs acted before they
 * landed: a redelivered trigger marks again) can pile up there; then it reads on in full pages, past
 * up to this many marks in all (each job's write removes those it saw).
 */
const FIRST_PLANNED_PAGE = 5;
const PLANNED_READ_PAST = 100;
/** A transaction holds at most 25 operations: the state, the record, the job's three marks, and this many stale marks. */
const MAX_STALE_DELETES = 20;
/** @forge/kvs takes at most 25 items a batch. */
const BATCH_SIZE = 25;
const secretValues = z.record(z.string(), z.string());
const storedSecretsSchema = z.object({ boundTo: z.nullable(secretBindingSchema), values: secretValues });

/**
 * Storage errors that say "try again" (the service failed or is rate-limited) become PlatformFault,
 * which the queue retries; anything else (a malformed request) is a bug and stays what it was.
 */
async function platform<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransient(error)) {
      const rateLimited =
        error instanceof ForgeKvsAPIError && (error.responseDetails.status === 429 || error.code !== 'INTERNAL_SERVER_ERROR');
      throw new PlatformFault(`Forge storage (${what}) failed: ${(error as Error).message}`, null, rateLimited);
    }
    throw error;
  }
}

const RATE_CODES = new Set(['RATE_LIMIT_EXCEEDED', 'TOO_MANY_REQUESTS']);
const TRANSIENT_CODES = new Set([...RATE_CODES, 'INTERNAL_SERVER_ERROR', 'UNKNOWN_ERROR']);
function isTransient(error: unknown): boolean {
  if (error instanceof ForgeKvsAPIError) {
    const status = error.responseDetails.status;
    return status === 429 || status >= 500 || TRANSIENT_CODES.has(error.code);
  }
  // The product proxy itself failing (ProxyRequestError and its kin from @forge/api).
  return error instanceof Error && /PROXY_ERR|fetch failed/i.test(`${error.name} ${error.message}`);
}

const isCode = (error: unknown, code: string): boolean => error instanceof ForgeKvsAPIError && error.code === code;

function parseStored<T extends z.ZodMiniType>(schema: T, key: string, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new CorruptRecordError(key, describeIssues(result.error).slice(0, 3).join('; '));
  return result.data;
}

export async function getTargets(repo: string): Promise<TargetsDocument | null> {
  const key = targetsKey(repo);
  const value = await platform('targets', () => kvs.get(key));
  return value === undefined ? null : parseStored(targetsDocumentSchema, key, value);
}

export async function putTargets(doc: TargetsDocument): Promise<void> {
  await kvs.set(targetsKey(doc.repository.uuid), targetsDocumentSchema.parse(doc));
}

/**
 * The targets as an admin's change reads them: the document and its revision, a custom entity counted
 * up by every change made through the page (created at 0 the first time). The document stays a plain
 * key, so a push still reads it in its one batch.
 */
export async function readTargetsForChange(repo: string): Promise<{ doc: TargetsDocument | null; revision: number | null }> {
  const key = bareUuid(repo);
  // The revision first, then the document: a change committed in between leaves the document newer than
  // the revision, so the write fails its condition and is made again, instead of writing over that change.
  const value = await platform('targets revision', () => kvs.entity(TARGETS_REVISION_ENTITY).get(key));
  const doc = await getTargets(repo);
  return { doc, revision: value === undefined ? null : parseStored(revisionSchema, `${TARGETS_REVISION_ENTITY}/${key}`, value).revision };
}

/**
 * Writes the targets only if no other change was written since `revision` was read: one transaction,
 * the document, the revision's next value (conditioned on the revision) and the change's audit entry.
 * StaleStateError otherwise.
 */
export async function putTargetsIfUnchanged(doc: TargetsDocument, read: number | null, audit?: AuditEntry): Promise<void> {
  const repo = doc.repository.uuid;
  // The first change counts from 0, created by whichever change gets there first (the documented create-if-absent).
  if (read === null) {
    try {
      await platform('targets revision', () =>
        kvs.entity(TARGETS_REVISION_ENTITY).set(bareUuid(repo), { revision: 0 }, { keyPolicy: 'FAIL_IF_EXISTS' }),
      );
    } catch (error) {
      if (isCode(error, 'KEY_CONFLICT')) throw new StaleStateError('the targets of this repository');
      throw error;
    }
  }
  const revision = read ?? 0;
  let tx = kvs
    .transact()
    .set(targetsKey(repo), targetsDocumentSchema.parse(doc))
    .set(
      bareUuid(repo),
      { revision: revision + 1 },
      {
        entityName: TARGETS_REVISION_ENTITY,
        conditions: new Filter<{ revision: number }>().and('revision', FilterConditions.equalTo(revision)),
      },
    );
  // The change's audit entry lands with it or not at all.
  if (audit) tx = tx.set(auditKey(repo, audit.id), auditEntrySchema.parse(audit), undefined, { ttl: AUDIT_TTL });
  try {
    await platform('targets', () => tx.execute());
  } catch (error) {
    if (isCode(error, 'CONDITIONAL_CHECK_FAILED')) throw new StaleStateError('the targets of this repository');
    throw error;
  }
}

/**
 * Whether a person administers a repository, as Bitbucket last said, for at most a minute: the page
 * refreshes every few seconds, and a revoked admin must still be refused within the minute.
 */
export const ADMIN_CHECK_MS = 60_000;
const adminCheckKey = (repo: string, accountId: string) => `admin:${bareUuid(repo)}:${accountId}`;
const adminCheckSchema = z.object({ admin: z.boolean(), checkedAt: z.number() });
export type AdminCheck = z.infer<typeof adminCheckSchema>;

export async function getAdminCheck(repo: string, accountId: string): Promise<AdminCheck | null> {
  const key = adminCheckKey(repo, accountId);
  const value = await platform('permission check', () => kvs.get(key));
  return value === undefined ? null : parseStored(adminCheckSchema, key, value);
}

/** Expires on its own (KVS TTL) so checks of people who never come back do not pile up. */
export async function putAdminCheck(repo: string, accountId: string, check: AdminCheck): Promise<void> {
  const key = adminCheckKey(repo, accountId);
  await platform('permission check', () => kvs.set(key, adminCheckSchema.parse(check), { ttl: { unit: 'MINUTES', value: 10 } }));
}

const EGRESS_GRANTS_KEY = 'egress-grants';
/** Forge takes at most 10 groups of 10 domains an installation (40 in all; forge-platform.md). */
export const MAX_EGRESS_DOMAINS = 40;
const egressGrantsSchema = z.object({ domains: z.array(z.string().check(z.maxLength(300))).check(z.maxLength(MAX_EGRESS_DOMAINS)) });

/** The domains of the app's customer-managed egress, as the page last read them from Forge. */
export async function getEgressGrants(): Promise<string[]> {
  const value = await platform('egress grants', () => kvs.get(EGRESS_GRANTS_KEY));
  return value === undefined ? [] : parseStored(egressGrantsSchema, EGRESS_GRANTS_KEY, value).domains;
}

export async function putEgressGrants(domains: readonly string[]): Promise<void> {
  await kvs.set(EGRESS_GRANTS_KEY, egressGrantsSchema.parse({ domains: [...new Set(domains)] }));
}

/** A target's secrets and what they were saved for; those stored before bindings existed are a bare record. */
export async function getSecrets(repo: string, targetId: string): Promise<StoredSecrets> {
  const key = secretsKey(repo, targetId);
  const value = await platform('secrets', () => kvs.getSecret(key));
  if (value === undefined) return NO_SECRETS;
  const bound = storedSecretsSchema.safeParse(value);
  return bound.success ? bound.data : { boundTo: null, values: parseStored(secretValues, key, value) };
}

export async function putSecrets(repo: string, targetId: string, secrets: StoredSecrets): Promise<void> {
  const key = secretsKey(repo, targetId);
  if (Object.keys(secrets.values).length === 0) await kvs.deleteSecret(key);
  else await kvs.setSecret(key, storedSecretsSchema.parse(secrets));
}

const toState = (key: string, value: unknown): TargetState => {
  const stored = parseStored(storedStateSchema, `${TARGET_STATE_ENTITY}/${key}`, value);
  return { ...stored.state, version: stored.version };
};

/** A lane's state, created (empty, version 0) the first time a job of the lane looks for it. */
async function createState(repo: string, lane: string): Promise<TargetState> {
  const key = stateKey(repo, lane);
  try {
    await platform('target state', () =>
      kvs.entity(TARGET_STATE_ENTITY).set(key, { version: 0, state: EMPTY_TARGET_STATE }, { keyPolicy: 'FAIL_IF_EXISTS' }),
    );
    return { ...EMPTY_TARGET_STATE, version: 0 };
  } catch (error) {
    if (!isCode(error, 'KEY_CONFLICT')) throw error;
    const value = await platform('target state', () => kvs.entity(TARGET_STATE_ENTITY).get(key));
    return toState(key, value);
  }
}

/** The targets, one record, the target's state and its newest planned push in ONE batch read. */
async function readJobView(repo: string, lane: string, recordId: string) {
  const keys = {
    targets: targetsKey(repo),
    record: deploymentKey(repo, recordId),
    state: stateKey(repo, lane),
    newest: newestKey(repo, lane),
  };
  const result = await platform('batch read', () =>
    kvs.batchGet([{ key: keys.targets }, { key: keys.record }, { key: keys.state, entityName: TARGET_STATE_ENTITY }, { key: keys.newest }]),
  );
  if (result.failedKeys.length > 0) {
    throw new PlatformFault(
      `Forge storage (batch read) failed for ${result.failedKeys.map((f) => `${f.key}: ${f.error.message}`).join(', ')}`,
    );
  }
  const found = (key: string, entity?: string) =>
    result.successfulKeys.find((item) => item.key === key && (item.entityName ?? undefined) === entity)?.value;
  const targets = found(keys.targets);
  const record = found(keys.record);
  const state = found(keys.state, TARGET_STATE_ENTITY);
  const newest = found(keys.newest);
  return {
    doc: targets === undefined ? null : parseStored(targetsDocumentSchema, keys.targets, targets),
    record: record === undefined ? null : parseStored(storedDeploymentSchema, keys.record, record),
    state: state === undefined ? await createState(repo, lane) : toState(keys.state, state),
    newest: newest === undefined ? null : parseStored(plannedSchema, keys.newest, newest),
  };
}

/**
 * The place (core/order.ts) of the newest push the target has sent, decided on or, coalescing, planned;
 * null when it has none. A deploy asked for from the page goes after it, whatever the clocks say: a
 * push's place is Bitbucket's timestamp, and the page's is this function's clock.
 */
export async function newestOrder(repo: string, targetId: string): Promise<number | null> {
  const keys = { state: stateKey(repo, targetId), newest: newestKey(repo, targetId) };
  const result = await platform('batch read', () =>
    kvs.batchGet([{ key: keys.state, entityName: TARGET_STATE_ENTITY }, { key: keys.newest }]),
  );
  if (result.failedKeys.length > 0)
    throw new PlatformFault(`Forge storage (batch read) failed for ${result.failedKeys.map((f) => f.key).join(', ')}`);
  const orders: number[] = [];
  for (const item of result.successfulKeys) {
    if (item.entityName === TARGET_STATE_ENTITY) {
      const state = toState(keys.state, item.value);
      for (const mark of [state.sent, state.covered, ...state.recent]) if (mark) orders.push(mark.order);
    } else orders.push(parseStored(plannedSchema, keys.newest, item.value).order);
  }
  return orders.length === 0 ? null : Math.max(...orders);
}

/** The job a wait mark holds, or null when the job waits no more. */
export async function getWaitingJob(repo: string, commit: string, jobKey: string): Promise<DeployJob | null> {
  const key = waitKey(repo, commit, jobKey);
  const value = await platform('wait mark', () => kvs.get(key));
  return value === undefined ? null : parseStored(deployJobSchema, key, value);
}

export async function getApproval(repo: string, jobKey: string): Promise<ApprovalDecision | null> {
  const key = approvalKey(repo, jobKey);
  const value = await platform('approval', () => kvs.get(key));
  return value === undefined ? null : parseStored(approvalDecisionSchema, key, value);
}

/**
 * Writes an admin's decision only if none was made yet (`FAIL_IF_EXISTS`, the documented
 * create-if-absent): of two admins deciding at once, the first wins; the other gets the decision made.
 */
export async function decideApproval(repo: string, jobKey: string, decision: ApprovalDecision): Promise<ApprovalDecision> {
  try {
    await platform('approval', () =>
      kvs.set(approvalKey(repo, jobKey), approvalDecisionSchema.parse(decision), { keyPolicy: 'FAIL_IF_EXISTS', ttl: WAIT_TTL }),
    );
    return decision;
  } catch (error) {
    if (!isCode(error, 'KEY_CONFLICT')) throw error;
    return (await getApproval(repo, jobKey)) ?? decision;
  }
}

/**
 * The jobs waiting (for builds or an approval) of a commit, by the hash a build-status event gives (a prefix of the full
 * hash the marks are keyed by, so a short one finds them too): at most WAIT_PAGES pages of them.
 */
export async function listWaiting(repo: string, commit: string): Promise<{ jobs: DeployJob[]; corrupt: number }> {
  const jobs: DeployJob[] = [];
  let corrupt = 0;
  let cursor: string | undefined;
  for (let page = 0; page < WAIT_PAGES; page += 1) {
    const found = await listPrefix(`${waitPrefix(repo)}${commit.toLowerCase()}`, deployJobSchema, QUERY_PAGE, cursor);
    jobs.push(...found.items);
    corrupt += found.corrupt.length;
    cursor = found.nextCursor ?? undefined;
    if (!cursor) break;
  }
  return { jobs, corrupt };
}

/**
 * The planned pushes newer than `sent`, oldest first (a page of them), and the stale ones read on the
 * way: marks whose jobs acted before they landed (a redelivered trigger marks again) pile up at the
 * front, so pages are read past them, up to PLANNED_READ_PAST marks, until a page holds a live mark.
 */
export async function listPlanned(
  repo: string,
  lane: string,
  sent: Ordered | null,
): Promise<{ planned: PlannedPush[]; stale: PlannedPush[] }> {
  const planned: PlannedPush[] = [];
  const stale: PlannedPush[] = [];
  let cursor: string | undefined;
  for (let read = 0; read < PLANNED_READ_PAST && planned.length === 0;) {
    const limit = read === 0 ? FIRST_PLANNED_PAGE : QUERY_PAGE;
    read += limit;
    let query = kvs
      .query()
      .where('key', WhereConditions.beginsWith(plannedPrefix(repo, lane)))
      .limit(limit);
    if (cursor) query = query.cursor(cursor);
    const found = await platform('planned pushes', () => query.getMany());
    for (const { key, value } of found.results) {
      const push = parseStored(plannedSchema, key, value);
      (sent && !isNewer(push, sent) ? stale : planned).push(push);
    }
    cursor = found.nextCursor;
    if (!cursor) break;
  }
  return { planned, stale };
}

/**
 * Marks pushes as planned for their targets: one batch write (per 25 marks). Every push gets its own
 * mark, which the targets that deploy every push list; a coalescing target's newest push is also kept
 * under one key its jobs read with their batch. Of two triggers of one coalescing target at once, the
 * last to write decides that key: a newer push hidden so deploys after the older one instead of
 * replacing it, still in order (the target's state keeps that). The marks stay for a target switched
 * to deploying every push while its pushes are queued: its jobs still see which older ones wait.
 */
export async function markPlanned(repo: string, marks: readonly PlannedMark[]): Promise<void> {
  const items = marks.flatMap(({ lane, push, coalesce }) => {
    const value = plannedSchema.parse(push);
    const mark = { key: plannedKey(repo, lane, push), value, options: { ttl: PLANNED_TTL } };
    return coalesce ? [mark, { key: newestKey(repo, lane), value, options: { ttl: PLANNED_TTL } }] : [mark];
  });
  for (let start = 0; start < items.length; start += BATCH_SIZE) {
    const batch = items.slice(start, start + BATCH_SIZE);
    const result = await platform('planned pushes', () => kvs.batchSet(batch));
    if (result.failedKeys.length > 0) {
      throw new PlatformFault(`Could not mark planned pushes: ${result.failedKeys.map((f) => `${f.key} (${f.error.message})`).join(', ')}`);
    }
  }
}

/**
 * One transaction: the target's state from `from.version` to the next, its records, its job's marks and
 * the stale ones gone. The state and the records are parsed when read (readJobView), not again here:
 * every deploy writes both at least twice, and parsing them cost more than the rest of the write
 * (bench/throughput). Core builds them typed; the fault runs check every such write, and
 * test/platform/storage.test.ts what is stored, against what their schemas read: nothing extra, nothing missing.
 */
async function commitChange(change: Change): Promise<TargetState> {
  const { repositoryUuid: repo, lane } = change;
  const version = change.from.version + 1;
  let tx = kvs.transact().set(
    stateKey(repo, lane),
    { version, state: change.to },
    {
      entityName: TARGET_STATE_ENTITY,
      conditions: new Filter<{ version: number }>().and('version', FilterConditions.equalTo(change.from.version)),
    },
  );
  for (const record of change.records) {
    tx = tx.set(deploymentKey(repo, record.id), record);
    // A preview's summary follows the lane's newest sent record only: a superseded one never replaces it.
    if (record.preview && change.to.sent?.jobKey === record.jobKey) {
      const key = `${previewPrefix(repo, record.preview.pullRequest.id)}${record.target.id}`;
      // A torn-down preview stays listed for a while (the Previews tab's last teardowns), then expires.
      tx = tx.set(key, previewSummaryOf(record), undefined, record.preview.action === 'teardown' ? { ttl: TORN_DOWN_TTL } : undefined);
    }
  }
  if (change.planned) tx = tx.delete(plannedKey(repo, lane, change.planned));
  // A newer trigger may have written its push here since it was read: then that mark goes, which costs
  // only its coalescing (the older job may still deploy first, in order).
  if (change.clearsNewest) tx = tx.delete(newestKey(repo, lane));
  for (const push of change.stale.slice(0, MAX_STALE_DELETES))
    if (push.jobKey !== change.planned?.jobKey) tx = tx.delete(plannedKey(repo, lane, push));
  const wait = change.waitMark;
  if (wait) {
    const key = waitKey(repo, wait.commit, wait.jobKey);
    tx = wait.job ? tx.set(key, deployJobSchema.parse(wait.job), undefined, { ttl: WAIT_TTL }) : tx.delete(key);
  }
  try {
    await platform('transaction', () => tx.execute());
  } catch (error) {
    if (isCode(error, 'CONDITIONAL_CHECK_FAILED')) throw new StaleStateError(`the state of ${lane}`);
    throw error;
  }
  return { ...change.to, version };
}

/** Up to `limit` values under a key prefix, newest first, and those that no longer parse (shown as such, not silently dropped). */
interface Page<T> {
  items: T[];
  corrupt: { key: string; message: string }[];
  nextCursor: string | null;
}

/**
 * Up to `limit` values under `prefix`, read in KVS pages of at most QUERY_PAGE. Each query asks for no
 * more than is still wanted, so the store's cursor after the last query sits right after the last
 * value returned: the next call neither skips nor repeats one. Corrupt values count as read.
 */
async function listPrefix<T extends z.ZodMiniType>(prefix: string, schema: T, limit: number, cursor?: string): Promise<Page<z.infer<T>>> {
  const items: z.infer<T>[] = [];
  const corrupt: Page<T>['corrupt'] = [];
  let next = cursor;
  let read = 0;
  do {
    let query = kvs
      .query()
      .where('key', WhereConditions.beginsWith(prefix))
      .limit(Math.min(QUERY_PAGE, limit - read));
    if (next) query = query.cursor(next);
    const page = await platform('list', () => query.getMany());
    for (const { key, value } of page.results) {
      try {
        items.push(parseStored(schema, key, value));
      } catch (error) {
        corrupt.push({ key, message: (error as Error).message });
      }
    }
    read += page.results.length;
    next = page.nextCursor;
  } while (next && read < limit);
  return { items, corrupt, nextCursor: next ?? null };
}

export interface DeploymentPage {
  deployments: Deployment[];
  corrupt: Page<Deployment>['corrupt'];
  nextCursor: string | null;
}

/** Up to `limit` deployment records, newest first. */
export async function listDeployments(repo: string, limit: number, cursor?: string): Promise<DeploymentPage> {
  const { items, ...rest } = await listPrefix(deploymentPrefix(repo), storedDeploymentSchema, limit, cursor);
  return { deployments: items, ...rest };
}

/** Kept a year (AUDIT_RETENTION_DAYS): the longest TTL Forge's KVS takes. */
const AUDIT_TTL = { unit: 'DAYS', value: AUDIT_RETENTION_DAYS } as const;

/** Adds an entry to the repository's audit log. */
export async function appendAudit(repo: string, entry: AuditEntry): Promise<void> {
  await platform('audit log', () => kvs.set(auditKey(repo, entry.id), auditEntrySchema.parse(entry), { ttl: AUDIT_TTL }));
}

/** Up to `limit` entries of the repository's audit log, newest first. */
export const listAudit = (repo: string, limit: number, cursor?: string): Promise<Page<AuditEntry>> =>
  listPrefix(auditPrefix(repo), auditEntrySchema, limit, cursor);

/** One record of the history, by its id; null when there is none (expired, or never written). */
export async function getDeployment(repo: string, id: string): Promise<Deployment | null> {
  const key = deploymentKey(repo, id);
  const value = await platform('deployment', () => kvs.get(key));
  return value === undefined ? null : parseStored(storedDeploymentSchema, key, value);
}

export const deliveryStore: DeliveryStore = {
  getTargets,
  getSecrets,
  read: readJobView,
  listPlanned,
  commit: commitChange,
  getApproval,
  markPlanned,
  listRepositoryPreviews,
  noteBranchDeleted,
  notePreviewSource,
};

function previewSummaryOf(record: Deployment): PreviewSummary {
  return previewSummarySchema.parse({
    targetId: record.target.id,
    targetName: record.target.name,
    environment: record.target.environment,
    preview: record.preview,
    sourceBranch: record.ref.name,
    commit: record.commit.hash,
    state: record.state,
    message: record.message,
    url: record.url,
    updatedAt: record.updatedAt,
  }) as PreviewSummary;
}

/** How many previews the Previews tab reads (KVS queries of 20): far more than a repository has open. */
const MAX_LISTED_PREVIEWS = 200;

/** Every preview of the repository's pull requests, as their lanes last sent them: the Previews tab's rows. */
export async function listRepositoryPreviews(repo: string): Promise<{ previews: PreviewSummary[]; corrupt: number }> {
  const page = await listPrefix(`preview:${bareUuid(repo)}:`, previewSummarySchema, MAX_LISTED_PREVIEWS);
  return { previews: page.items as PreviewSummary[], corrupt: page.corrupt.length };
}

/**
 * The two sides of a deleted branch's meeting with its pull requests' checks (core/previews.ts): each
 * writes its note, then reads the other's. A deletion is kept under its own key, so a late one never hides
 * a newer one. A checked preview's note outlives its job's waits for builds or an approval; a deletion's,
 * its pull requests' late events. A preview sent after either says so in its summary.
 */
export async function noteBranchDeleted(
  repo: string,
  branch: string,
  deletion: BranchDeletion,
): Promise<{ sources: PreviewSource[]; corrupt: number }> {
  const key = `${closedPrefix(repo, branch)}${String(REVERSE_ORDER_BASE - deletion.order).padStart(16, '0')}`;
  await platform('deleted branch', () => kvs.set(key, branchDeletionSchema.parse(deletion), { ttl: PLANNED_TTL }));
  const page = await listPrefix(sourcePrefix(repo, branch), previewSourceSchema, MAX_LISTED_PREVIEWS);
  return { sources: page.items as PreviewSource[], corrupt: page.corrupt.length };
}

export async function notePreviewSource(
  repo: string,
  branch: string,
  source: PreviewSource,
): Promise<{ deletion: BranchDeletion | null; corrupt: number }> {
  const key = `${sourcePrefix(repo, branch)}${source.pullRequest.id}`;
  await platform('preview source', () => kvs.set(key, previewSourceSchema.parse(source), { ttl: PREVIEW_SOURCE_TTL }));
  // Newest first, as the keys sort: the newest deletion decides.
  const page = await listPrefix(closedPrefix(repo, branch), branchDeletionSchema, 1);
  return { deletion: (page.items[0] as BranchDeletion | undefined) ?? null, corrupt: page.corrupt.length };
}

/** What each preview target last sent for the pull request (one query; a pull request has a preview per target at most). */
async function listPreviews(repo: string, pullRequestId: number): Promise<PreviewSummary[]> {
  const page = await listPrefix(previewPrefix(repo, pullRequestId), previewSummarySchema, MAX_TARGETS_PER_REPOSITORY);
  return page.items as PreviewSummary[];
}

const commentEntrySchema = z.object({
  version: z.number(),
  comment: z.object({
    commentId: z.nullable(z.number()),
    body: z.nullable(z.string()),
    claim: z.nullable(z.object({ token: z.string(), until: z.number() })),
  }),
});

async function readComment(repo: string, pullRequestId: number): Promise<CommentEntry | null> {
  const key = commentKey(repo, pullRequestId);
  const value = await platform('pull request comment', () => kvs.entity(PREVIEW_COMMENT_ENTITY).get(key));
  if (value === undefined) return null;
  const stored = parseStored(commentEntrySchema, `${PREVIEW_COMMENT_ENTITY}/${key}`, value);
  return { version: stored.version, ...stored.comment };
}

/** Conditioned on the version read, as target states are; the first entry is created with FAIL_IF_EXISTS. */
async function writeComment(
  repo: string,
  pullRequestId: number,
  from: CommentEntry | null,
  to: Omit<CommentEntry, 'version'>,
): Promise<void> {
  const key = commentKey(repo, pullRequestId);
  const value = { version: (from?.version ?? 0) + 1, comment: to };
  try {
    await platform('pull request comment', () =>
      from === null
        ? kvs.entity(PREVIEW_COMMENT_ENTITY).set(key, value, { keyPolicy: 'FAIL_IF_EXISTS' })
        : kvs
            .transact()
            .set(key, value, {
              entityName: PREVIEW_COMMENT_ENTITY,
              conditions: new Filter<{ version: number }>().and('version', FilterConditions.equalTo(from.version)),
            })
            .execute(),
    );
  } catch (error) {
    if (isCode(error, 'CONDITIONAL_CHECK_FAILED') || isCode(error, 'KEY_CONFLICT'))
      throw new StaleStateError(`the comment of pull request ${pullRequestId}`);
    throw error;
  }
}

export const commentStore = { listPreviews, readComment, writeComment };
