import { createHmac } from 'node:crypto';

/**
 * Webhook signatures in the two conventions receivers already verify with off-the-shelf code
 * (shared/docs/providers.md): GitHub/Bitbucket's X-Hub-Signature-256 and Standard Webhooks.
 */

const requireSecret = (secret: string): void => {
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('a signing secret is required');
};

/** `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the secret's UTF-8 bytes. */
export function hubSignature256(secret: string, body: string): string {
  requireSecret(secret);
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

const STANDARD_WEBHOOKS_PREFIX = 'whsec_';

/**
 * A `whsec_` secret is base64 after the prefix (the Standard Webhooks format); any other secret is
 * used as its UTF-8 bytes, which receivers load with `new Webhook(secret, { format: 'raw' })`.
 */
export function standardWebhooksKey(secret: string): Buffer {
  requireSecret(secret);
  return secret.startsWith(STANDARD_WEBHOOKS_PREFIX)
    ? Buffer.from(secret.slice(STANDARD_WEBHOOKS_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`; the timestamp is in whole seconds. */
export function standardWebhooksSignature(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  if (!messageId) throw new TypeError('a message id is required');
  if (!Number.isInteger(timestampSeconds)) throw new TypeError('the timestamp must be whole seconds');
  const mac = createHmac('sha256', standardWebhooksKey(secret)).update(`${messageId}.${timestampSeconds}.${body}`, 'utf8');
  return `v1,${mac.digest('base64')}`;
}
