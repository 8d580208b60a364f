import { kvs, WhereConditions } from '@forge/kvs';
import * as z from 'zod/mini';
import type { DeliveryStore } from '../core/deliver';
import { type Deployment, deploymentSchema } from '../core/deployment';
import { CorruptRecordError } from '../core/errors';
import { bareUuid } from '../core/ids';
import { type TargetsDocument, targetsDocumentSchema } from '../core/targets';
import { describeIssues } from '../core/zod-messages';

/**
 * Everything the app keeps, in Forge's KVS. Keys use bare UUIDs (KVS refuses braces):
 *   targets:<repo>                  all targets of a repository, one value: one read per push
 *   deploy:<repo>:<reversed time>-<job>   a deployment record; a prefix scan lists newest first
 *   idem:<repo>:<target>:<commit>   which record claimed a commit for a target (no double deploys)
 *   secrets:<repo>:<target>         the target's secrets, in the encrypted secret store
 * Every stored value is parsed when read; a value that does not parse is reported, never trusted.
 */

const targetsKey = (repo: string) => `targets:${bareUuid(repo)}`;
const secretsKey = (repo: string, targetId: string) => `secrets:${bareUuid(repo)}:${targetId}`;
const deploymentPrefix = (repo: string) => `deploy:${bareUuid(repo)}:`;
const deploymentKey = (repo: string, id: string) => `${deploymentPrefix(repo)}${id}`;
const idempotencyKeyFor = (repo: string, key: string) => `idem:${bareUuid(repo)}:${key}`;

const claimSchema = z.object({ deploymentId: z.string() });
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
  return value === undefined ? null : parseStored(deploymentSchema, key, value);
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
  let query = kvs.query().where('key', WhereConditions.beginsWith(deploymentPrefix(repo))).limit(limit);
  if (cursor) query = query.cursor(cursor);
  const page = await query.getMany();
  const deployments: Deployment[] = [];
  const corrupt: DeploymentPage['corrupt'] = [];
  for (const { key, value } of page.results) {
    try {
      deployments.push(parseStored(deploymentSchema, key, value));
    } catch (error) {
      corrupt.push({ key, message: (error as Error).message });
    }
  }
  return { deployments, corrupt, nextCursor: page.nextCursor ?? null };
}

export const deliveryStore: DeliveryStore = { getTargets, getSecrets, findByIdempotencyKey, saveDeployment };
