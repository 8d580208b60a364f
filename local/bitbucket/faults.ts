/**
 * Fault injection for reliability tests: chosen requests answer with an error (500, 429 with
 * Retry-After, ...) instead of reaching the workspace, so nothing changes state when they fail.
 */
import { errorBody, jsonResponse } from './http';

export interface FaultRequest {
  method: string;
  /** The path as received, query string included. */
  path: string;
  asUser: boolean;
}

export interface FaultRule {
  /** Only this HTTP method (any when absent). */
  method?: string;
  /** A substring of the path (raw or percent-decoded) or a pattern tested against both; any path when absent. */
  path?: string | RegExp;
  /** Let this many matching requests through before failing (default 0), e.g. to fail only a retry. */
  skip?: number;
  /** Fail this many matching requests, then stand aside (default: every one). */
  times?: number;
  status: number;
  /** Sent as the `Retry-After` header, in seconds. */
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
  /** Response body; Bitbucket's error shape with a fitting message when absent. */
  body?: unknown;
}

export interface FaultHandle {
  /** Matching requests this rule answered so far. */
  readonly hits: number;
  remove(): void;
}

export interface FaultInjector {
  inject(rule: FaultRule): FaultHandle;
  clear(): void;
}

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  hits: number;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  const candidates = [path, safeDecode(path)];
  return candidates.some((candidate) => (typeof pattern === 'string' ? candidate.includes(pattern) : pattern.test(candidate)));
}

const defaultMessage = (status: number): string =>
  status === 429 ? 'Rate limit for this resource has been exceeded' : `Injected fault (HTTP ${status})`;

export class Faults implements FaultInjector {
  private rules: ActiveRule[] = [];

  inject(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { rule, seen: 0, hits: 0 };
    this.rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      remove: () => {
        this.rules = this.rules.filter((r) => r !== active);
      },
    };
  }

  clear(): void {
    this.rules = [];
  }

  /** The injected answer for this request, or undefined to let it through. First matching rule wins. */
  answer(request: FaultRequest): Response | undefined {
    const active = this.rules.find((r) => this.applies(r.rule, request) && r.hits < (r.rule.times ?? Infinity));
    if (!active) return undefined;
    active.seen += 1;
    if (active.seen <= (active.rule.skip ?? 0)) return undefined;
    active.hits += 1;
    return this.respond(active.rule);
  }

  private applies(rule: FaultRule, request: FaultRequest): boolean {
    return (
      (rule.method === undefined || rule.method.toUpperCase() === request.method.toUpperCase()) && pathMatches(rule.path, request.path)
    );
  }

  private respond(rule: FaultRule): Response {
    const headers = { ...rule.headers };
    if (rule.retryAfterSeconds !== undefined) headers['retry-after'] = String(rule.retryAfterSeconds);
    return jsonResponse(rule.status, rule.body ?? errorBody(defaultMessage(rule.status)), headers);
  }
}
