/**
 * Sends each Bitbucket call the app makes to a second server as well, such as Stoplight Prism serving
 * Bitbucket's own spec in the contract tests. The stand-in still answers the app (its state is what
 * the rest of the run reads), so the mirror only says whether Bitbucket's spec accepts each request;
 * its verdict is logged like any other egress: the url Bitbucket would get, the url it went to, the status.
 */
import { request } from 'node:http';
import type { EgressRecord } from '../egress';
import { API_ROOT } from './http';
import type { BitbucketCaller } from './types';

export type BitbucketMirror = (method: string, path: string, body: string | undefined, caller: BitbucketCaller) => Promise<void>;

/** `baseUrl` is a plain-http server (a local Prism). */
export function createBitbucketMirror(baseUrl: string, record: (entry: EgressRecord) => void): BitbucketMirror {
  const base = baseUrl.replace(/\/$/, '');
  return async (method, path, body, caller) => {
    const headers: Record<string, string> = {
      accept: 'application/json',
      // On Forge the proxy adds the app's (or the user's) credential; any bearer stands for it here.
      authorization: `Bearer local-forge-${caller.asUser ? 'user' : 'app'}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const routedUrl = `${base}${path}`;
    const entry: EgressRecord = { method, url: `${API_ROOT}${path}`, routedUrl, headers, body };
    try {
      entry.status = await send(routedUrl, method, headers, body);
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
    } finally {
      record(entry);
    }
  };
}

/**
 * node:http rather than fetch: inside an invocation the global fetch is the app's egress guard, which
 * would log the mirror's request as the app's own.
 */
function send(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers, timeout: 30_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} within 30 s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
