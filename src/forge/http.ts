import { fetch as forgeFetch } from '@forge/api';
import { EgressNotAllowedError } from '../core/errors';
import { createHttpClient, type FetchLike, type HttpClient } from '../core/http';
import type { Logger } from '../core/log';
import { APP_USER_AGENT } from '../core/version';

/** A deploy may take a slow PaaS a while to accept; the worker's own limit (manifest) is well above. */
export const PROVIDER_TIMEOUT_MS = 20_000;

/** The name @forge/api gives an egress refusal (its NotAllowedError); the local platform's guard uses it too. */
const EGRESS_REFUSAL = 'REQUEST_EGRESS_ALLOWLIST_ERR';

/**
 * Forge's egress refusals in the app's terms: thrown by the runtime, or answered by its proxy (a 403
 * marked `forge-proxy-error`, e.g. BLOCKED_EGRESS). Nothing left, and no retry can help until a
 * workspace admin approves the origin, so it is EgressNotAllowedError, never a network fault.
 */
export function withEgressRefusals(fetch: FetchLike): FetchLike {
  return async (url, init) => {
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === EGRESS_REFUSAL) throw new EgressNotAllowedError([new URL(url).origin]);
      throw error;
    }
    if (response.status === 403 && /EGRESS/i.test(response.headers.get('forge-proxy-error') ?? '')) {
      throw new EgressNotAllowedError([new URL(url).origin]);
    }
    return response;
  };
}

/** Outbound calls use @forge/api's fetch: on Forge it is the egress-checked one. */
export const forgeHttpClient = (log: Logger): HttpClient =>
  createHttpClient({
    fetch: withEgressRefusals(forgeFetch as unknown as FetchLike),
    timeoutMs: PROVIDER_TIMEOUT_MS,
    log,
    userAgent: APP_USER_AGENT,
  });
