/**
 * A push deploy with nothing but its calls: the trigger reads one key and queues the push; the
 * consumer reads the signing secret and sends the signed request. No record, no lease, no order, no
 * commit status, no check of what it reads: the relay's promises are what it costs beyond this. Its
 * deploys go one at a time, as one target's do in the relay.
 *
 * A target with `relayCalls` also gets the platform calls a relay webhook deploy makes (as counted
 * in bench/calls.ts), of the same kinds and number but with small values, and none of the relay's
 * code around them: the trigger writes the push's mark (and a coalescing target's newest push);
 * the consumer reads the target, the record, the state and the newest mark in one batch (and, like a
 * relay target deploying every push, a page of the marks still planned) and moves the state on in a
 * conditional transaction before it sends, then posts one commit status and records the answer in a
 * second transaction. What that costs is what such calls cost on this platform; the relay's larger
 * values (a state of about 1 KB, records of about 1 KB) cost it more in each.
 */
import api, { fetch, route } from '@forge/api';
import { type AsyncEvent, Queue } from '@forge/events';
import { Filter, FilterConditions, kvs, WhereConditions } from '@forge/kvs';
import { hubSignature256, standardWebhooksSignature } from '../../../src/core/signing';

export const FLOOR_TARGET_KEY = 'floor-target';
export const FLOOR_SECRET_KEY = 'floor-secret';

/** Its one target: every push deploys there. */
export interface FloorTarget {
  url: string;
  /** Makes the relay's calls too (above), those of a target that coalesces or of one that deploys every push. */
  relayCalls?: RelayCalls;
}

interface Push {
  push: { ref: string; after?: string };
  repository: { uuid: string };
  workspace: { uuid: string };
}

export type RelayCalls = 'coalescing' | 'deploying every push';

/** A type, not an interface: a queue event's body must be indexable. */
type Deploy = {
  url: string;
  ref: string;
  commit: string;
  relayCalls: RelayCalls | null;
  workspace: string;
  repository: string;
};

const STATE_ENTITY = 'target-state';
const STATE_KEY = 'floor-state';
const NEWEST_KEY = 'floor-newest';
const MARK_PREFIX = 'floor-planned:';
const markKey = (commit: string) => `${MARK_PREFIX}${commit}`;
const recordKey = (commit: string) => `floor-record:${commit}`;

const deploys = new Queue({ key: 'deploys' });

export async function pushTrigger(event: Push): Promise<void> {
  const target = await kvs.get<FloorTarget>(FLOOR_TARGET_KEY);
  const commit = event.push.after;
  if (!target || !commit) return;
  const deploy: Deploy = {
    url: target.url,
    ref: event.push.ref,
    commit,
    relayCalls: target.relayCalls ?? null,
    workspace: event.workspace.uuid,
    repository: event.repository.uuid,
  };
  if (deploy.relayCalls) {
    // A coalescing target's trigger also keeps its newest push under one key, as the relay's does.
    const mark = { key: markKey(commit), value: { ref: deploy.ref, commit }, options: { ttl: { value: 7, unit: 'DAYS' as const } } };
    await kvs.batchSet(deploy.relayCalls === 'coalescing' ? [mark, { ...mark, key: NEWEST_KEY }] : [mark]);
  }
  // One at a time, as the relay's deploys to one target go (its concurrency key, limit 1).
  await deploys.push({ body: deploy, concurrency: { key: 'floor-target', limit: 1 } });
}

export async function deployer(event: AsyncEvent): Promise<void> {
  const deploy = event.body as Deploy;
  const version = deploy.relayCalls === null ? undefined : await moveState(deploy, await readVersion(deploy));
  const secret = (await kvs.getSecret<string>(FLOOR_SECRET_KEY)) ?? '';
  const body = JSON.stringify({ ref: deploy.ref, commit: deploy.commit });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(deploy.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': hubSignature256(secret, body),
      'webhook-id': deploy.commit,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhooksSignature(secret, deploy.commit, timestamp, body),
    },
    body,
  });
  await response.text();
  if (version === undefined) return;
  const posted = await api
    .asApp()
    .requestBitbucket(route`/2.0/repositories/${deploy.workspace}/${deploy.repository}/commit/${deploy.commit}/statuses/build`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ type: 'commitstatus', key: 'floor', state: response.ok ? 'SUCCESSFUL' : 'FAILED', url: deploy.url }),
    });
  // A refused status would be a call this floor did not really make: the bench's clean drain stops on it.
  if (!posted.ok) throw new Error(`Bitbucket answered the commit status ${posted.status}`);
  await moveState(deploy, version, response.status);
}

/** The state's version, read in one batch with the target, the record and the newest mark (null: none yet), and the marks planned. */
async function readVersion(deploy: Deploy): Promise<number | null> {
  const read = await kvs.batchGet([
    { key: FLOOR_TARGET_KEY },
    { key: recordKey(deploy.commit) },
    { key: STATE_KEY, entityName: STATE_ENTITY },
    { key: NEWEST_KEY },
  ]);
  if (deploy.relayCalls === 'deploying every push')
    await kvs.query().where('key', WhereConditions.beginsWith(MARK_PREFIX)).limit(20).getMany();
  const state = read.successfulKeys.find((item) => item.entityName === STATE_ENTITY)?.value as { version: number } | undefined;
  return state?.version ?? null;
}

/** The state from `version` to the next and the record written together, only if nobody moved the state since. */
async function moveState(deploy: Deploy, version: number | null, answered?: number): Promise<number> {
  const next = (version ?? 0) + 1;
  const conditions = new Filter<{ version: number }>().and(
    'version',
    version === null ? FilterConditions.notExists() : FilterConditions.equalTo(version),
  );
  // Both of the relay's writes delete the job's mark; its first also takes a coalescing target's newest.
  let tx = kvs
    .transact()
    .set(STATE_KEY, { version: next, commit: deploy.commit }, { entityName: STATE_ENTITY, conditions })
    .set(recordKey(deploy.commit), { commit: deploy.commit, answered: answered ?? null })
    .delete(markKey(deploy.commit));
  if (answered === undefined && deploy.relayCalls === 'coalescing') tx = tx.delete(NEWEST_KEY);
  await tx.execute();
  return next;
}
