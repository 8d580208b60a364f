import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { atTime } from './runtime';

/**
 * A deploy receiver such as a user would run: it checks both signatures with code that is not the
 * app's (node:crypto for X-Hub-Signature-256, the `standardwebhooks` package for Standard Webhooks),
 * then answers. Binds to 127.0.0.1 only.
 */

export interface ReceivedDelivery {
  /** Path and query, as requested. */
  target: string;
  headers: IncomingHttpHeaders;
  body: string;
  hubSignatureValid: boolean;
  standardWebhooksValid: boolean;
  status: number;
}

export interface Receiver {
  url: string;
  deliveries: ReceivedDelivery[];
  close(): Promise<void>;
}

export interface ReceiverOptions {
  secret: string;
  /** The status to answer for the n-th delivery (0-based); a refused signature always gets 401. */
  respond?: (index: number) => number;
  path?: string;
  /** The time a signature's age is judged by: the local platform's clock, which runs ahead of the real one. */
  now?: () => number;
  /** The port to listen on (default: any free one); `npm start` keeps one so saved targets still reach it. */
  port?: number;
}

export function verifyHubSignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Verifies with the `standardwebhooks` package, which also refuses a timestamp more than 5 minutes from `now`. */
export function verifyStandardWebhooks(secret: string, body: string, headers: IncomingHttpHeaders, now: () => number = Date.now): boolean {
  const verifier = secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' });
  try {
    // The package reads Date.now() itself: run it at the given time.
    atTime(now, () =>
      verifier.verify(body, {
        'webhook-id': String(headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(headers['webhook-signature'] ?? ''),
      }),
    );
    return true;
  } catch {
    return false;
  }
}

export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const deliveries: ReceivedDelivery[] = [];
  let port = 0;
  const server = createServer((req, res) => {
    // A preview this receiver "made": what the app's answer linked to.
    const shown = /^\/previews\/(\d+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && shown) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`The preview of pull request #${shown[1]}, as the receiver made it.`);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const hubSignatureValid = verifyHubSignature(options.secret, body, req.headers['x-hub-signature-256'] as string | undefined);
      const standardWebhooksValid = verifyStandardWebhooks(options.secret, body, req.headers, options.now);
      const wanted = options.respond?.(deliveries.length) ?? 200;
      const status = hubSignatureValid && standardWebhooksValid ? wanted : 401;
      deliveries.push({ target: req.url ?? '', headers: req.headers, body, hubSignatureValid, standardWebhooksValid, status });
      // As a preview receiver would: the preview's address in its answer (the app links it).
      const pullRequest = status < 300 ? previewOf(body) : null;
      const url = pullRequest === null ? {} : { url: `http://127.0.0.1:${port}/previews/${pullRequest}` };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: status < 300, ...url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  ({ port } = server.address() as AddressInfo);
  return {
    url: `http://127.0.0.1:${port}${options.path ?? '/deploy'}`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The pull request a `preview` request is for, or null for any other request. */
function previewOf(body: string): number | null {
  try {
    const parsed = JSON.parse(body) as { event?: unknown; pull_request?: { id?: unknown } };
    return parsed.event === 'preview' && typeof parsed.pull_request?.id === 'number' ? parsed.pull_request.id : null;
  } catch {
    return null;
  }
}
