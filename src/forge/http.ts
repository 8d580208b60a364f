import { fetch as forgeFetch } from '@forge/api';
import { createHttpClient, type FetchLike, type HttpClient } from '../core/http';
import type { Logger } from '../core/log';
import { APP_USER_AGENT } from '../core/version';

/** A deploy may take a slow PaaS a while to accept; the worker's own limit (manifest) is well above. */
export const PROVIDER_TIMEOUT_MS = 20_000;

/** Outbound calls use @forge/api's fetch: on Forge it is the egress-checked one. */
export const forgeHttpClient = (log: Logger): HttpClient =>
  createHttpClient({ fetch: forgeFetch as unknown as FetchLike, timeoutMs: PROVIDER_TIMEOUT_MS, log, userAgent: APP_USER_AGENT });
