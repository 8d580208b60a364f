import { RelayError } from './errors';
import type { Logger } from './log';
import { redactorOf } from './redact';
import { parseRetryAfter } from './retry';

/**
 * The one HTTP choke point (architecture.md, habit 4): every provider call goes through `send`, which
 * refuses unsafe URLs, sets a timeout, never follows redirects, measures time, turns status codes into
 * typed errors, reads Retry-After, and logs only redacted text.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Values that must never appear in a log line: tokens, keys, hook URLs. */
  secrets?: readonly string[];
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  durationMs: number;
}

/** `busy`: the vendor is still working on an earlier request that this one must wait for (a review app being created). */
export type FaultKind = 'rate_limited' | 'server_error' | 'timeout' | 'network' | 'busy';

/** A fault worth retrying: 429, 5xx, a timeout, a refused connection, or a vendor still busy. */
export class HttpFault extends RelayError {
  constructor(
    readonly kind: FaultKind,
    message: string,
    readonly status: number | null,
    readonly retryAfterSeconds: number | null,
    /**
     * The request may have reached the vendor and been acted on: it timed out, or its connection broke
     * after it was sent. An answered 429 or 5xx, or a refused connection, never got that far.
     */
    readonly mayHaveArrived = false,
  ) {
    super('PROVIDER_UNAVAILABLE', message);
  }
}

/** A definite refusal (4xx, a redirect, an unsafe URL): retrying would not change the answer. */
export class HttpRejected extends RelayError {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super('PROVIDER_REJECTED', message);
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
}

export interface HttpClientOptions {
  fetch: FetchLike;
  timeoutMs: number;
  log: Logger;
  userAgent: string;
  now?: () => number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;
const MAX_ERROR_TEXT = 300;

/** Parses a URL and refuses what must never leave the app: credentials in it, or plain http off loopback. */
export function checkOutboundUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Without its user:password part: a URL that fails to parse may still carry credentials.
    throw new HttpRejected(`"${raw.replace(/\/\/[^/?#]*@/, '//').slice(0, 100)}" is not a valid URL`, null);
  }
  if (url.username || url.password) throw new HttpRejected(`URLs with credentials in them are refused (${url.host})`, null);
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp)
    throw new HttpRejected(`Only https URLs are allowed (${url.protocol}//${url.host})`, null);
  return url;
}

/**
 * The vendor's own words when it sends JSON errors, otherwise the start of the body. Readable text wins
 * over codes: OAuth's `error_description` before its `error` ("invalid_grant"), and GraphQL's
 * `errors[0].message` rather than the raw array.
 */
export function vendorMessage(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.trim().slice(0, MAX_ERROR_TEXT);
  }
  const field = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  const errors = field(body, 'errors');
  const candidates = [
    field(body, 'message'),
    field(body, 'error_description'),
    field(field(body, 'error'), 'message'),
    field(body, 'error'),
    field(body, 'detail'),
    Array.isArray(errors) ? field(errors[0], 'message') : undefined,
  ];
  const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
  return (found ?? text.trim()).slice(0, MAX_ERROR_TEXT);
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const now = options.now ?? Date.now;
  return {
    async send(request) {
      const url = checkOutboundUrl(request.url);
      // The secrets' spellings are worked out once for every text this request may show.
      const redact = redactorOf(request.secrets ?? []);
      const shown = redact(`${request.method} ${url.origin}${url.pathname}`);
      const started = now();
      let response: Response;
      let text: string;
      try {
        response = await options.fetch(url.toString(), {
          method: request.method,
          headers: { 'user-agent': options.userAgent, ...request.headers },
          body: request.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        // The platform's fetch refused in the app's own terms (an egress refusal, src/forge/http.ts): nothing left.
        if (error instanceof RelayError) throw error;
        // Duck-typed: fetch's DOMException need not share this realm's Error prototype.
        const name = (error as { name?: unknown } | null)?.name;
        const timedOut = name === 'TimeoutError' || name === 'AbortError';
        const detail = redact(causeText(error));
        options.log.warn('outbound request failed', { request: shown, error: detail, durationMs: now() - started });
        throw timedOut
          ? new HttpFault('timeout', `${shown} timed out after ${options.timeoutMs} ms`, null, null, true)
          : new HttpFault('network', `${shown} failed: ${detail}`, null, null, !neverConnected(error));
      }
      const durationMs = now() - started;
      options.log.info('outbound request', { request: shown, status: response.status, durationMs });
      const status = response.status;
      if (status >= 200 && status < 300) return { status, headers: response.headers, text, durationMs };
      // Redacted before vendorMessage cuts it to 300 characters too: a cut secret no longer matches, and its start would stay.
      const said = redact(vendorMessage(redact(text)));
      if (status === 429 || status >= 500) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now());
        const kind: FaultKind = status === 429 ? 'rate_limited' : 'server_error';
        throw new HttpFault(kind, `${shown} answered ${status}${said ? `: ${said}` : ''}`, status, retryAfter);
      }
      if (status >= 300 && status < 400) {
        const location = response.headers.get('location');
        const where = location ? ` to ${redact(safeHost(location))}` : '';
        throw new HttpRejected(`${shown} answered ${status}, a redirect${where}; redirects are not followed, use the final URL`, status);
      }
      throw new HttpRejected(`${shown} answered ${status}${said ? `: ${said}` : ''}`, status);
    },
  };
}

const safeHost = (location: string): string => {
  try {
    return new URL(location).host;
  } catch {
    return 'another location';
  }
};

/** Errors that mean no connection was made, so the request cannot have arrived. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const neverConnected = (error: unknown): boolean => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  // fetch refuses some ports outright ("bad port", the Fetch standard's port blocking) before connecting.
  return (typeof cause?.code === 'string' && NOT_CONNECTED.has(cause.code)) || cause?.message === 'bad port';
};

/** Node's fetch hides the reason (ECONNREFUSED, ENOTFOUND) in `cause`. */
const causeText = (error: unknown): string => {
  const { message, cause } = (error ?? {}) as { message?: unknown; cause?: { code?: unknown } };
  const text = typeof message === 'string' ? message : String(error);
  return cause?.code ? `${text} (${String(cause.code)})` : text;
};
