/**
 * Egress as Forge enforces it: a function may only reach what manifest.yml lists under
 * permissions.external.fetch.backend, and what a workspace admin approved as customer-managed egress
 * (local/customer-egress.ts), matched by Forge's own matcher (@forge/egress). @forge/api captures the global `fetch` when it is first loaded,
 * so the guard must replace `globalThis.fetch` before that: importing this module does it. The guard
 * asks the invocation that is running (runtime.ts) for its policy, so several platforms can share a
 * process; code outside any invocation (a test's own HTTP calls) passes straight through.
 */
import { egressAllows } from '../src/forge/egress-match';
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
  /** The installation's approved customer-managed egress now (FETCH_BACKEND_SIDE domains). */
  configured(): readonly string[];
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
      `URL not included in the external fetch backend permissions: ${url}. Neither manifest.yml nor an approved customer-managed egress allows ${host}.`,
    );
    this.name = 'REQUEST_EGRESS_ALLOWLIST_ERR';
  }
}

/**
 * The loopback allowance in Forge's own entry syntax, any scheme and port (Forge itself never reaches
 * loopback: it is the local platform's stand-in for a customer's host). @forge/egress treats an entry
 * as a pattern only when its host starts with `*`, hence the leading one.
 */
const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'].flatMap((name) =>
  ['http', 'https'].flatMap((scheme) => [`${scheme}://*${name}`, `${scheme}://*${name}:*`]),
);

export type EgressFetch = (input: string | URL | Request, init: RequestInit | undefined, realFetch: typeof fetch) => Promise<Response>;

export interface EgressPolicy {
  fetch: EgressFetch;
  /**
   * What the runtime reports in the app context as the installation's egress (runtime.ts): the manifest's
   * hosts and the loopback allowance, never the customer-managed egress, whose presence there Forge does
   * not document. So the app must know its approvals on its own, as it must on Forge.
   */
  granted: readonly string[];
}

export function createEgressPolicy(options: EgressPolicyOptions): EgressPolicy {
  // A route only says where a host's requests really go; whether they may go is decided per request.
  const routes = normaliseRoutes(options.routes);
  const granted = [...options.hosts, ...(options.allowLoopback ? LOOPBACK : [])];

  const guarded: EgressFetch = async (input, init, realFetch) => {
    const { url, sent } = await outgoing(input, init);
    const entry: EgressRecord = {
      method: sent.method,
      url: url.href,
      headers: headersOf(sent.headers),
      body: typeof sent.body === 'string' || sent.body === undefined ? sent.body : new TextDecoder().decode(sent.body),
      invocationId: currentScope()?.runtime.appContext.invocationId,
    };
    try {
      if (!egressAllows([...granted, ...options.configured()], url.href)) {
        entry.refused = true;
        throw new EgressNotAllowedError(url.href, url.hostname);
      }
      entry.routedUrl = routedUrl(url, routes.get(url.hostname.toLowerCase()));
      const response = await realFetch(entry.routedUrl, sent);
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

interface Outgoing {
  url: URL;
  sent: {
    method: string;
    headers: Headers;
    body?: string | Uint8Array<ArrayBuffer>;
    redirect?: RequestRedirect;
    signal?: AbortSignal | null;
  };
}

/**
 * The request as it will leave. The app sends a URL string with a text body (src/core/http.ts), which
 * needs no Request object: building one streams the body in and out again, a tenth of a millisecond a
 * deploy. Anything fetch might treat otherwise (a Request, a binary body, a body on a GET, a method
 * other than the six fetch upper-cases, spelled in ASCII letters, a URL with credentials, an option
 * beyond these) goes through a Request, which refuses or normalises it as fetch does. Either way the
 * request leaves with its method, headers, body, redirect mode and signal, and no other option.
 */
async function outgoing(input: string | URL | Request, init: RequestInit | undefined): Promise<Outgoing> {
  const plain = plainRequest(input, init);
  if (plain) {
    const { url, method, body } = plain;
    const headers = new Headers(init?.headers);
    // What fetch adds for a text body: so the record shows what went on the wire.
    if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    return { url, sent: { method, headers, body, redirect: init?.redirect, signal: init?.signal } };
  }
  const request = new Request(input, init);
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  // The caller's own signal: `request` may be collected mid-flight, and its derived signal with it,
  // leaving the app's timeout unable to abort (seen in the 10,000-push fault run).
  const sent = {
    method: request.method,
    headers: request.headers,
    body,
    redirect: request.redirect,
    signal: init?.signal ?? request.signal,
  };
  return { url: new URL(request.url), sent };
}

/** The methods fetch normalises by upper-casing them; it sends any other as written, or refuses it. */
const NORMALISED_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const PLAIN_OPTIONS = new Set(['method', 'headers', 'body', 'redirect', 'signal']);
const REDIRECT_MODES = new Set<unknown>([undefined, 'follow', 'error', 'manual']);

/** The URL and method of a request whose every part fetch takes as it is, or null when a Request must judge it. */
function plainRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): { url: URL; method: string; body: string | undefined } | null {
  if (typeof input !== 'string' && !(input instanceof URL)) return null;
  // A plain object's own options only: fetch also reads those it inherits.
  const prototype: unknown = init === undefined ? null : Object.getPrototypeOf(init);
  if (prototype !== null && prototype !== Object.prototype) return null;
  if (init && Object.keys(init).some((option) => !PLAIN_OPTIONS.has(option))) return null;
  // ASCII letters only: toUpperCase turns some other letters (ſ, ı) into S and I, which fetch refuses.
  const given: unknown = init?.method;
  if (given !== undefined && (typeof given !== 'string' || !/^[A-Za-z]+$/.test(given))) return null;
  const method = given === undefined ? 'GET' : given.toUpperCase();
  if (!NORMALISED_METHODS.has(method) || !REDIRECT_MODES.has(init?.redirect)) return null;
  const body = init?.body ?? undefined;
  if (body !== undefined && (typeof body !== 'string' || method === 'GET' || method === 'HEAD')) return null;
  if (!(init?.signal === undefined || init.signal === null || init.signal instanceof AbortSignal)) return null;
  const url = URL.parse(String(input));
  return url && !url.username && !url.password ? { url, method, body } : null;
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
