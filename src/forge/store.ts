import { kvs, WhereConditions } from '@forge/kvs';
import * as z from 'zod/mini';
import { type Deployment, deploymentSchema, storedDeploymentSchema } from '../core/deployment';
import { CorruptRecordError } from '../core/errors';
import { bareUuid, digest } from '../core/ids';
import type { LatestPush } from '../core/job';
import type { DeliveryStore } from '../core/run';
import { type TargetsDocument, targetsDocumentSchema } from '../core/targets';
import { describeIssues } from '../core/zod-messages';

/**
 * Everything the app keeps, in Forge's KVS. Keys use bare UUIDs (KVS refuses braces):
 *   targets:<repo>                  all targets of a repository, one value: one read per push
 *   deploy:<repo>:<reversed time>-<job>   a deployment record; a prefix scan lists newest first
 *   idem:<repo>:<target>:<commit>   which record claimed a commit for a target (no double deploys)
 *   latest:<repo>:<target>:<ref digest>   the newest push planned for a coalescing target (expires)
 *   secrets:<repo>:<target>         the target's secrets, in the encrypted secret store
 * Every stored value is parsed when read; a value that does not parse is reported, never trusted.
 */

const targetsKey = (repo: string) => `targets:${bareUuid(repo)}`;
const secretsKey = (repo: string, targetId: string) => `secrets:${bareUuid(repo)}:${targetId}`;
const deploymentPrefix = (repo: string) => `deploy:${bareUuid(repo)}:`;
const deploymentKey = (repo: string, id: string) => `${deploymentPrefix(repo)}${id}`;
const idempotencyKeyFor = (repo: string, key: string) => `idem:${bareUuid(repo)}:${key}`;
// Branch names may hold characters KVS keys refuse, and up to 1000 of them: the key carries a digest.
const latestKey = (repo: string, targetId: string, ref: string) => `latest:${bareUuid(repo)}:${targetId}:${digest(ref)}`;

const claimSchema = z.object({ deploymentId: z.string() });
const latestPushSchema = z.object({
  repositoryUuid: z.string(),
  targetId: z.string(),
  ref: z.string(),
  jobKey: z.string(),
  commit: z.string(),
  order: z.number(),
});
/** A marker outlives any queued job (retries end within the hour); after that it has nothing to supersede. */
const LATEST_PUSH_TTL = { unit: 'DAYS', value: 7 } as const;
/** @forge/kvs takes at most 25 items a batch. */
const BATCH_SIZE = 25;
const secretsSchema = z.record(z.string(), z.string());

function parseStored<T extends z.ZodMiniType>(schema: T, key: string, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new CorruptRecordError(key, describeIssues(result.error).slice(0, 3).join('; '));
  return result.data;
}

export async function getTargets(repo: string): Promise<TargetsDocument | null> {
  const key = targetsKey(repo);
  const value = await kvs.get(key);
  return value === undefined ? null : parseStored(targetsDocumentSchema, key, value);
}

export async function putTargets(doc: TargetsDocument): Promise<void> {
  await kvs.set(targetsKey(doc.repository.uuid), targetsDocumentSchema.parse(doc));
}

export async function getSecrets(repo: string, targetId: string): Promise<Record<string, string>> {
  const key = secretsKey(repo, targetId);
  const value = await kvs.getSecret(key);
  return value === undefined ? {} : parseStored(secretsSchema, key, value);
}

export async function putSecrets(repo: string, targetId: string, secrets: Record<string, string>): Promise<void> {
  const key = secretsKey(repo, targetId);
  if (Object.keys(secrets).length === 0) await kvs.deleteSecret(key);
  else await kvs.setSecret(key, secrets);
}

export async function getDeployment(repo: string, id: string): Promise<Deployment | null> {
  const key = deploymentKey(repo, id);
  const value = await kvs.get(key);
  return value === undefined ? null : parseStored(storedDeploymentSchema, key, value);
}

export async function findByIdempotencyKey(repo: string, idempotency: string): Promise<Deployment | null> {
  const key = idempotencyKeyFor(repo, idempotency);
  const claim = await kvs.get(key);
  return claim === undefined ? null : getDeployment(repo, parseStored(claimSchema, key, claim).deploymentId);
}

export async function saveDeployment(record: Deployment, { claim }: { claim: boolean }): Promise<void> {
  const repo = record.repositoryUuid;
  await kvs.set(deploymentKey(repo, record.id), deploymentSchema.parse(record));
  if (claim) await kvs.set(idempotencyKeyFor(repo, record.idempotencyKey), { deploymentId: record.id });
}

export interface DeploymentPage {
  deployments: Deployment[];
  /** Records that no longer parse: shown to the admin as such, not silently dropped. */
  corrupt: { key: string; message: string }[];
  nextCursor: string | null;
}

export async function listDeployments(repo: string, limit: number, cursor?: string): Promise<DeploymentPage> {
  let query = kvs
    .query()
    .where('key', WhereConditions.beginsWith(deploymentPrefix(repo)))
    .limit(limit);
  if (cursor) query = query.cursor(cursor);
  const page = await query.getMany();
  const deployments: Deployment[] = [];
  const corrupt: DeploymentPage['corrupt'] = [];
  for (const { key, value } of page.results) {
    try {
      deployments.push(parseStored(storedDeploymentSchema, key, value));
    } catch (error) {
      corrupt.push({ key, message: (error as Error).message });
    }
  }
  return { deployments, corrupt, nextCursor: page.nextCursor ?? null };
}

export async function getLatestPush(repo: string, targetId: string, ref: string): Promise<LatestPush | null> {
  const key = latestKey(repo, targetId, ref);
  const value = await kvs.get(key);
  return value === undefined ? null : parseStored(latestPushSchema, key, value);
}

/** One batch write (per 25 targets) for everything a push makes newest. */
export async function markLatestPushes(pushes: readonly LatestPush[]): Promise<void> {
  for (let start = 0; start < pushes.length; start += BATCH_SIZE) {
    const items = pushes.slice(start, start + BATCH_SIZE).map((push) => ({
      key: latestKey(push.repositoryUuid, push.targetId, push.ref),
      value: latestPushSchema.parse(push),
      options: { ttl: LATEST_PUSH_TTL },
    }));
    const result = await kvs.batchSet(items);
    if (result.failedKeys.length > 0) {
      const failed = result.failedKeys.map((failure) => `${failure.key} (${failure.error.message})`).join(', ');
      throw new Error(`Could not record the newest push for: ${failed}`);
    }
  }
}

/**
 * Takes back marks whose jobs could not be queued: a mark without its job would supersede older
 * pushes in favour of one that never runs. Deleting a mark a newer push has just written is harmless:
 * without a mark, older jobs simply deploy.
 */
export async function unmarkLatestPushes(pushes: readonly LatestPush[]): Promise<void> {
  for (let start = 0; start < pushes.length; start += BATCH_SIZE) {
    await kvs.batchDelete(
      pushes.slice(start, start + BATCH_SIZE).map((push) => ({ key: latestKey(push.repositoryUuid, push.targetId, push.ref) })),
    );
  }
}

export const deliveryStore: DeliveryStore = {
  getTargets,
  getSecrets,
  getDeployment,
  findByIdempotencyKey,
  saveDeployment,
  getLatestPush,
  markLatestPushes,
};
