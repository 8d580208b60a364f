/**
 * A push deploy with nothing but its calls: the trigger reads one key and queues the push; the
 * consumer reads the signing secret and sends the signed request. No record, no lease, no order, no
 * commit status, no check of what it reads: the relay's promises are what it costs beyond this. Its
 * deploys go one at a time, as one target's do in the relay.
 */
import { fetch } from '@forge/api';
import { type AsyncEvent, Queue } from '@forge/events';
import { kvs } from '@forge/kvs';
import { hubSignature256, standardWebhooksSignature } from '../../../src/core/signing';

export const FLOOR_TARGET_KEY = 'floor-target';
export const FLOOR_SECRET_KEY = 'floor-secret';

/** Its one target: every push deploys there. */
export interface FloorTarget {
  url: string;
}

interface Push {
  push: { ref: string; after?: string };
}

const deploys = new Queue({ key: 'deploys' });

export async function pushTrigger(event: Push): Promise<void> {
  const target = await kvs.get<FloorTarget>(FLOOR_TARGET_KEY);
  if (!target || !event.push.after) return;
  // One at a time, as the relay's deploys to one target go (its concurrency key, limit 1).
  await deploys.push({
    body: { url: target.url, ref: event.push.ref, commit: event.push.after },
    concurrency: { key: 'floor-target', limit: 1 },
  });
}

export async function deployer(event: AsyncEvent): Promise<void> {
  const { url, ref, commit } = event.body as { url: string; ref: string; commit: string };
  const secret = (await kvs.getSecret<string>(FLOOR_SECRET_KEY)) ?? '';
  const body = JSON.stringify({ ref, commit });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': hubSignature256(secret, body),
      'webhook-id': commit,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhooksSignature(secret, commit, timestamp, body),
    },
    body,
  });
  await response.text();
}
