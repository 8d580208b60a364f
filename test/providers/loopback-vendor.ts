import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, type FetchLike, type HttpClient } from '../../src/core/http';
import { createLogger } from '../../src/core/log';

/**
 * A vendor API on 127.0.0.1 for provider tests. Providers call the vendor's real https origin; `http`
 * delivers those requests here (path and query kept) and remembers where they were meant to go.
 * Self-hosted providers (Dokploy, Coolify) point their base URL at `base` and use `direct`.
 * Registers its own beforeAll/afterAll/beforeEach in the file or describe block that calls it.
 */

export interface Seen {
  /** The vendor origin the provider asked for (https://api.render.com); the loopback origin for `direct`. */
  origin: string;
  method: string;
  /** The path alone. */
  path: string;
  /** Path and query, as the server received them. */
  target: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The vendor acted, then the connection drops before the answer reaches the app (a lost answer). */
  drop?: boolean;
}

export interface LoopbackVendor {
  /** Sends vendor URLs to the loopback server. */
  readonly http: HttpClient;
  /** Sends URLs as they are (for base URLs that already point at the loopback server). */
  readonly direct: HttpClient;
  /** Every request the server received, in order. */
  readonly seen: Seen[];
  /** Every URL the provider asked `http` for, before rewriting. */
  readonly outbound: string[];
  /** Every log line the HTTP clients wrote. */
  readonly lines: string[];
  /** http://127.0.0.1:<port> */
  readonly base: string;
}

const TIMEOUT_MS = 5000;

export function loopbackVendor(reply: (seen: Seen) => Reply): LoopbackVendor {
  let server: Server;
  let base = '';
  const seen: Seen[] = [];
  const outbound: string[] = [];
  const lines: string[] = [];
  const log = createLogger((line) => lines.push(line));
  const rewrite: FetchLike = (url, init) => {
    outbound.push(url);
    const vendor = new URL(url);
    return fetch(`${base}${vendor.pathname}${vendor.search}`, init);
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', base);
        const request: Seen = {
          origin: outbound.length > 0 ? new URL(outbound[outbound.length - 1] as string).origin : base,
          method: req.method ?? '',
          path: url.pathname,
          target: req.url ?? '',
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        seen.push(request);
        const answer = reply(request);
        if (answer.drop) {
          req.socket.destroy();
          return;
        }
        const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
    outbound.length = 0;
    lines.length = 0;
  });

  return {
    http: createHttpClient({ fetch: rewrite, timeoutMs: TIMEOUT_MS, log, userAgent: 'DeployRelay/test' }),
    direct: createHttpClient({ fetch, timeoutMs: TIMEOUT_MS, log, userAgent: 'DeployRelay/test' }),
    seen,
    outbound,
    lines,
    get base() {
      return base;
    },
  };
}

/** The error a rejected promise carried, insisting it is an Error (so `.message` can be asserted). */
export const refusal = (error: unknown): Error => {
  if (!(error instanceof Error)) throw new Error(`expected an Error, got ${String(error)}`);
  return error;
};
