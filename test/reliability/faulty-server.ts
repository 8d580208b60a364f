import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { FaultPlan } from './fault-plan';

/**
 * A provider endpoint on 127.0.0.1 with a faulty front: each request is either failed by the front
 * (500/502/503, 429 with or without Retry-After, or held without an answer until the app's client
 * gives up), handed to the backend, or handed to the backend whose answer is then lost (the
 * connection drops after the vendor acted: the case a retry must not turn into a second deploy).
 * Every request the backend sees was really acted on.
 */

export interface ServedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface BackendAnswer {
  status: number;
  body: unknown;
}

export interface FaultyServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Requests the front failed, by fault; requests the backend answered, by status. */
  counts: Map<string, number>;
  close(): Promise<void>;
}

export interface FaultyServerOptions {
  plan: FaultPlan;
  /**
   * How long a held request may stay open: a little longer than the app's timeout. If the app has not
   * given up by then, the server closes the connection (counted), so a client whose timeout never
   * fires shows in the counts instead of stopping the run.
   */
  holdMs: number;
  /** Who is calling (one target), so a caller never has two requests held at once. */
  callerOf(request: ServedRequest): string;
  /** Sees every request, failed by the front or not: how often a deploy was attempted. */
  observe?(request: ServedRequest): void;
  backend(request: ServedRequest): BackendAnswer;
}

export async function startFaultyServer(options: FaultyServerOptions): Promise<FaultyServer> {
  const { plan } = options;
  const counts = new Map<string, number>();
  const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ServedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      options.observe?.(request);
      const caller = options.callerOf(request);
      const fault = plan.providerFault(caller);
      if (fault === 'timeout') {
        count('held');
        // No answer: the app's own timeout aborts the request, which closes the socket.
        const limit = setTimeout(() => {
          count('held, closed by the server: the client never timed out');
          req.socket.destroy();
        }, options.holdMs);
        res.on('close', () => {
          clearTimeout(limit);
          plan.release(caller);
        });
        return;
      }
      if (fault === 'lost answer') {
        options.backend(request);
        count('backend acted, answer lost');
        req.socket.destroy();
        return;
      }
      let status: number;
      let body: unknown;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault) {
        status = Number(fault.slice(0, 3));
        body = { id: 'injected', message: `injected fault (${fault})` };
        if (fault === '429 Retry-After') headers['retry-after'] = String(plan.retryAfterSeconds());
        count(`front ${fault}`);
      } else {
        ({ status, body } = options.backend(request));
        count(`backend ${status}`);
      }
      res.writeHead(status, headers).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A loopback port that refuses connections (ECONNREFUSED). Port 1 is below the ephemeral range, so no
 * server started with port 0 (this run's or another test's) can take it between the check and the run;
 * the check makes a machine where something does listen there fail here, not as a puzzling outcome.
 */
export async function refusingPort(): Promise<number> {
  const port = 1;
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
  if (!refused) throw new Error(`127.0.0.1:${port} accepts connections here; the scenario needs a port that refuses them`);
  return port;
}
