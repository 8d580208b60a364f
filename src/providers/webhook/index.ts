import * as z from 'zod/mini';
import { checkOutboundUrl } from '../../core/http';
import { hubSignature256, standardWebhooksSignature } from '../../core/signing';
import { deploySummary, previewSummary } from '../kit';
import { secretParts } from '../../core/secrets';
import type { DeployCall, DeployProvider, ProviderCall, StartResult } from '../../core/provider';

/**
 * Any receiver that takes a signed JSON POST: a deploy script behind a small HTTP server,
 * adnanh/webhook, a CI system. The body describes the deploy; a 2xx answer means accepted.
 */
const settingsSchema = z.object({
  url: z.string().check(
    z.url('must be a URL'),
    z.maxLength(2000),
    // Refused when saved, not only when sent: a password in the URL would otherwise sit in plain storage.
    z.superRefine((value, ctx) => {
      try {
        checkOutboundUrl(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value });
      }
    }),
  ),
});
type WebhookSettings = z.infer<typeof settingsSchema>;

/** One signed POST of `summary`; a 2xx answer means the receiver accepted the `what`. */
async function post(call: DeployCall<WebhookSettings>, summary: Record<string, unknown>, what: string): Promise<StartResult> {
  const secret = call.secrets.signingSecret ?? '';
  const query = call.secrets.urlQuery;
  const url = query ? `${call.settings.url.split('?')[0]}?${query}` : call.settings.url;
  const body = JSON.stringify(summary);
  const timestamp = Math.floor(call.now() / 1000);
  // One message id per push and target, the same when a request is sent again after its answer was
  // lost: a Standard Webhooks receiver that drops repeats drops that one, and never another target's.
  const messageId = call.job.jobKey;
  const response = await call.http.send({
    method: 'POST',
    url,
    secrets: [secret, ...secretParts(query ? [query] : [])],
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': hubSignature256(secret, body),
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': standardWebhooksSignature(secret, messageId, timestamp, body),
      'x-deploy-relay-delivery': call.job.deliveryId,
    },
    body,
  });
  return {
    state: 'requested',
    message: `The receiver accepted the ${what} (${response.status})`,
    vendorId: null,
    url: linkIn(response.text),
  };
}

/**
 * A receiver may answer with JSON `{"url": "https://…"}`: the address of what it deployed (a preview's,
 * above all). It is linked from the commit status, the history and the pull request's comment; any
 * other answer links nothing.
 */
function linkIn(text: string): string | null {
  try {
    const url = (JSON.parse(text) as { url?: unknown } | null)?.url;
    return typeof url === 'string' && url.length <= 2000 && /^https?:$/.test(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

export const webhookProvider: DeployProvider<WebhookSettings> = {
  id: 'webhook',
  title: 'Signed webhook',
  fields: [
    { key: 'url', label: 'Receiver URL', kind: 'url', required: true, secret: false, help: 'An https URL that accepts a JSON POST.' },
    {
      key: 'urlQuery',
      label: 'Receiver URL query',
      // Part of a URL: shown only as set, never by its last characters.
      kind: 'url',
      required: false,
      secret: true,
      help: 'What follows ? in the receiver URL (a ?token=… many receivers take). Type the whole URL above: on save the query moves here and is kept as a secret.',
    },
    {
      key: 'signingSecret',
      label: 'Signing secret',
      kind: 'text',
      required: true,
      secret: true,
      help: 'Signs each request twice: X-Hub-Signature-256 (HMAC-SHA256, hex) and Standard Webhooks (webhook-signature). A whsec_ secret is used as Standard Webhooks defines it.',
    },
  ],
  settingsSchema,
  hosts: (settings) => [new URL(settings.url).hostname],
  redeploy: () => ({ by: 'commit' }),

  start: (call) => post(call, deploySummary(call), 'deploy'),
  // A receiver makes and removes its own previews: it is told which, with the pull request.
  previews: {
    deploy: (call) => post(call, previewSummary(call), 'preview'),
    teardown: (call) => post(call, previewSummary(call), 'teardown'),
  },

  async verify(call: ProviderCall<WebhookSettings>) {
    checkOutboundUrl(call.settings.url);
    const hasSecret = Boolean(call.secrets.signingSecret);
    return {
      ok: hasSecret,
      shapeOnly: true,
      message: hasSecret
        ? 'The URL is a valid https address and a signing secret is set. Only the shape was checked: a webhook has no read-only call, so nothing was sent.'
        : 'A signing secret is required.',
    };
  },
};
