/**
 * Egress as Forge enforces it: a function may only reach hosts that manifest.yml lists under
 * permissions.external.fetch.backend. @forge/api captures the global `fetch` when it is first loaded,
 * so the guard must replace `globalThis.fetch` before that: importing this module does it. The guard
 * asks the invocation that is running (runtime.ts) for its policy, so several platforms can share a
 * process; code outside any invocation (a test's own HTTP calls) passes straight through.
 */
import picomatch from 'picomatch';
import { currentScope } from './runtime';

export interface EgressRecord {
  method: string;
  url: string;
  /** Where the request really went: the url itself, or its route to a local server. */
  routedUrl?: string;
  headers: Record<string, string>;
  body?: string;
  status?: number;
  refused?: boolean;
  error?: string;
  invocationId?: string;
}

export interface EgressPolicyOptions {
  hosts: string[];
  routes: Record<string, string>;
  allowLoopback: boolean;
  /** Called once per outbound request, after it completes or fails. */
  record(entry: EgressRecord): void;
}

/** Same `name` and `status` as @forge/api's NotAllowedError, so `isForgePlatformError` recognises it. */
export class EgressNotAllowedError extends Error {
  readonly status = 403;
  constructor(readonly url: string, readonly host: string) {
    super(`URL not included in the external fetch backend permissions: ${url}. Declare host "${host}" under permissions.external.fetch.backend in manifest.yml.`);
    this.name = 'REQUEST_EGRESS_ALLOWLIST_ERR';
  }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export type EgressFetch = (input: string | URL | Request, init: RequestInit | undefined, realFetch: typeof fetch) => Promise<Response>;

export function createEgressPolicy(options: EgressPolicyOptions): EgressFetch {
  const declared = options.hosts.length > 0 ? picomatch(options.hosts, { nocase: true }) : () => false;
  const routes = normaliseRoutes(options.routes);
  for (const host of routes.keys()) {
    if (!declared(host)) throw new Error(`route for ${host}: the host is not declared under permissions.external.fetch.backend in manifest.yml`);
  }
  const allowed = (host: string): boolean => declared(host) || (options.allowLoopback && LOOPBACK.has(host));

  return async (input, init, realFetch) => {
    const request = new Request(input, init);
    const bodyBytes = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const url = new URL(request.url);
    const entry: EgressRecord = {
      method: request.method,
      url: request.url,
      headers: headersOf(request.headers),
      body: bodyBytes ? new TextDecoder().decode(bodyBytes) : undefined,
      invocationId: currentScope()?.runtime.appContext.invocationId,
    };
    try {
      if (!allowed(url.hostname)) {
        entry.refused = true;
        throw new EgressNotAllowedError(request.url, url.hostname);
      }
      entry.routedUrl = routedUrl(url, routes.get(url.hostname.toLowerCase()));
      const response = await realFetch(entry.routedUrl, {
        method: request.method,
        headers: request.headers,
        body: bodyBytes,
        redirect: request.redirect,
        signal: request.signal,
      });
      entry.status = response.status;
      return response;
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      options.record(entry);
    }
  };
}

function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => { out[name] = value; });
  return out;
}

function normaliseRoutes(routes: Record<string, string>): Map<string, URL> {
  return new Map(Object.entries(routes).map(([host, base]) => [host.toLowerCase(), new URL(base)]));
}

/** Keeps path and query; a base with a path (`http://127.0.0.1:4010/do`) prefixes it. */
function routedUrl(url: URL, base: URL | undefined): string {
  if (!base) return url.href;
  const prefix = base.pathname.replace(/\/$/, '');
  return `${base.origin}${prefix}${url.pathname}${url.search}`;
}

const GUARD = Symbol.for('deploy-relay.local.egress-guard');

/** Replaces the global fetch once per realm with one that defers to the running invocation's policy. */
export function installEgressGuard(): void {
  const g = globalThis as typeof globalThis & { [GUARD]?: true };
  if (g[GUARD]) return;
  const realFetch = globalThis.fetch.bind(globalThis);
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const scope = currentScope();
    return scope ? scope.seams.egress(input, init, realFetch) : realFetch(input, init);
  };
  g[GUARD] = true;
}

installEgressGuard();
