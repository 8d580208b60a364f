/**
 * Egress as Forge enforces it: a function may only reach hosts that manifest.yml lists under
 * permissions.external.fetch.backend. @forge/api captures the global `fetch` when it is first loaded,
 * so the guard must replace `globalThis.fetch` before that: importing this module does it. The guard
 * asks the invocation that is running (runtime.ts) for its policy, so several platforms can share a
 * process; code outside any invocation (a test's own HTTP calls) passes straight through.
 */
import { declares } from '../src/core/egress';
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
  /** The manifest's hosts (and `*.domain` / `*` patterns). */
  hosts: string[];
  routes: Record<string, string>;
  /** Grants the loopback names too, for receivers and vendor stand-ins on this machine. */
  allowLoopback: boolean;
  /** Called once per outbound request, after it completes or fails. */
  record(entry: EgressRecord): void;
}

/** Same `name` and `status` as @forge/api's NotAllowedError, so `isForgePlatformError` recognises it. */
export class EgressNotAllowedError extends Error {
  readonly status = 403;
  constructor(
    readonly url: string,
    readonly host: string,
  ) {
    super(
      `URL not included in the external fetch backend permissions: ${url}. Declare host "${host}" under permissions.external.fetch.backend in manifest.yml.`,
    );
    this.name = 'REQUEST_EGRESS_ALLOWLIST_ERR';
  }
}

/** As URL.hostname spells them (an IPv6 literal keeps its brackets). */
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

export type EgressFetch = (input: string | URL | Request, init: RequestInit | undefined, realFetch: typeof fetch) => Promise<Response>;

export interface EgressPolicy {
  fetch: EgressFetch;
  /**
   * Every host the policy lets through. The runtime reports them as the installation's granted egress
   * (runtime.ts), where the app reads them as it reads Forge's: one list for the guard and the app's check.
   */
  granted: readonly string[];
}

export function createEgressPolicy(options: EgressPolicyOptions): EgressPolicy {
  const routes = normaliseRoutes(options.routes);
  for (const host of routes.keys()) {
    if (!declares(options.hosts, host))
      throw new Error(`route for ${host}: the host is not declared under permissions.external.fetch.backend in manifest.yml`);
  }
  const granted = [...options.hosts, ...(options.allowLoopback ? LOOPBACK : [])];

  const guarded: EgressFetch = async (input, init, realFetch) => {
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
      if (!declares(granted, url.hostname)) {
        entry.refused = true;
        throw new EgressNotAllowedError(request.url, url.hostname);
      }
      entry.routedUrl = routedUrl(url, routes.get(url.hostname.toLowerCase()));
      const response = await realFetch(entry.routedUrl, {
        method: request.method,
        headers: request.headers,
        body: bodyBytes,
        redirect: request.redirect,
        // The caller's own signal: `request` may be collected mid-flight, and its derived signal with it,
        // leaving the app's timeout unable to abort (seen in the 10,000-push fault run).
        signal: init?.signal ?? request.signal,
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
  return { fetch: guarded, granted };
}

function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
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
    return scope ? scope.seams.egress.fetch(input, init, realFetch) : realFetch(input, init);
  };
  g[GUARD] = true;
}

installEgressGuard();
