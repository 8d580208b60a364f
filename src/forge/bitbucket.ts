import api, { route } from '@forge/api';
import type { CommitStatus } from '../core/deliver';
import { HttpFault, HttpRejected, vendorMessage } from '../core/http';
import { parseRetryAfter } from '../core/retry';

/**
 * Bitbucket calls, as the app (Forge's managed auth: no credentials anywhere) or as the person using
 * the settings page (for permission checks). Non-2xx answers become the same typed errors as provider
 * calls, so the worker retries a 429 or 5xx from Bitbucket exactly like one from a PaaS.
 */

type BitbucketResponse = Awaited<ReturnType<ReturnType<typeof api.asApp>['requestBitbucket']>>;

async function checked(what: string, call: () => Promise<BitbucketResponse>): Promise<BitbucketResponse> {
  let response: BitbucketResponse;
  try {
    response = await call();
  } catch (error) {
    throw new HttpFault('network', `Bitbucket ${what} failed: ${(error as Error).message}`, null, null);
  }
  if (response.ok) return response;
  const text = await response.text();
  const message = `Bitbucket ${what} answered ${response.status}: ${vendorMessage(text)}`;
  if (response.status === 429 || response.status >= 500) {
    const kind = response.status === 429 ? 'rate_limited' : 'server_error';
    throw new HttpFault(kind, message, response.status, parseRetryAfter(response.headers.get('retry-after'), Date.now()));
  }
  throw new HttpRejected(message, response.status);
}

export async function postCommitStatus(workspaceUuid: string, repositoryUuid: string, commit: string, status: CommitStatus): Promise<void> {
  await checked('commit status', () =>
    api.asApp().requestBitbucket(route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/commit/${commit}/statuses/build`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ type: 'commitstatus', ...status }),
    }),
  );
}

/**
 * Whether the person using the page administers the repository, asked of Bitbucket as that person:
 * the page is only shown to repo admins, but a resolver can be called directly.
 */
export async function isRepositoryAdmin(repositoryUuid: string): Promise<boolean> {
  const q = `repository.uuid="${repositoryUuid}"`;
  const response = await checked('permission check', () =>
    api.asUser().requestBitbucket(route`/2.0/user/permissions/repositories?q=${q}`, { headers: { accept: 'application/json' } }),
  );
  const body = (await response.json()) as { values?: { permission?: string }[] };
  return (body.values ?? []).some((value) => value.permission === 'admin');
}
