import api, { route, routeFromAbsolute } from '@forge/api';
import { type Build, isOwnStatus, MAX_BUILD_STATE, MAX_BUILD_TEXT, MAX_BUILD_URL } from '../core/builds';
import type { ChangedFiles } from '../core/paths';
import type { PullRequestSource, RepositoryPath, ResolvedCommit } from '../core/previews';
import type { CommitStatus } from '../core/run';
import { PlatformFault } from '../core/errors';
import { HttpFault, HttpRejected, vendorMessage } from '../core/http';
import { parseRetryAfter } from '../core/retry';

/**
 * Bitbucket calls, as the app (Forge's managed auth: no credentials anywhere) or as the person using
 * the settings page (for permission checks). Non-2xx answers become the same typed errors as provider
 * calls, so the worker retries a 429 or 5xx from Bitbucket exactly like one from a PaaS.
 */

type BitbucketResponse = Awaited<ReturnType<ReturnType<typeof api.asApp>['requestBitbucket']>>;

/**
 * @forge/api throws these when Forge's proxy, not Bitbucket, answered (a `forge-proxy-error` header):
 * NEEDS_AUTHENTICATION_ERR when the person has not let the app act as them yet, PROXY_ERR otherwise.
 */
const NEEDS_CONSENT = 'NEEDS_AUTHENTICATION_ERR';
const PROXY_FAILED = 'PROXY_ERR';

/** Whether Forge must ask the person for consent: a resolver lets this one through, so Forge can ask. */
export const needsConsent = (error: unknown): boolean => (error as { name?: unknown } | null)?.name === NEEDS_CONSENT;

async function checked(what: string, call: () => Promise<BitbucketResponse>): Promise<BitbucketResponse> {
  let response: BitbucketResponse;
  try {
    response = await call();
  } catch (error) {
    if (needsConsent(error)) throw error;
    const { name, status, errorCode } = error as { name?: unknown; status?: unknown; errorCode?: unknown };
    if (name === PROXY_FAILED) {
      throw new PlatformFault(
        `Forge could not pass the ${what} call to Bitbucket (${String(status)} ${String(errorCode)}); try again in a moment.`,
      );
    }
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
 * the page is only shown to repo admins, but a resolver can be called directly. First their permission
 * on the repository (the workspace-scoped list the spec points to from the deprecated
 * /user/permissions/repositories); a workspace admin, whose admin rights are implied rather than
 * granted and so not listed, is then known by their workspace role, `owner`.
 */
export async function isRepositoryAdmin(workspaceUuid: string, repositoryUuid: string): Promise<boolean> {
  const q = `repository.uuid="${repositoryUuid}"`;
  const listed = await asMember('permission check', () =>
    api.asUser().requestBitbucket(route`/2.0/user/workspaces/${workspaceUuid}/permissions/repositories?q=${q}`, {
      headers: { accept: 'application/json' },
    }),
  );
  const body = (listed ? await listed.json() : {}) as { values?: { permission?: string }[] };
  if ((body.values ?? []).some((value) => value.permission === 'admin')) return true;
  if (!listed) return false;
  return isWorkspaceAdmin(workspaceUuid);
}

/** Whether the person using the page administers the workspace: their role in it is `owner`. */
export async function isWorkspaceAdmin(workspaceUuid: string): Promise<boolean> {
  const membership = await asMember('workspace permission check', () =>
    api.asUser().requestBitbucket(route`/2.0/user/workspaces/${workspaceUuid}/permission`, { headers: { accept: 'application/json' } }),
  );
  return membership !== null && ((await membership.json()) as { permission?: unknown }).permission === 'owner';
}

/** A call about the person's own access; null when Bitbucket says they have none in the workspace (403). */
async function asMember(what: string, call: () => Promise<BitbucketResponse>): Promise<BitbucketResponse | null> {
  try {
    return await checked(what, call);
  } catch (error) {
    if (error instanceof HttpRejected && error.status === 403) return null;
    throw error;
  }
}

/** What the settings page shows about the repository: asked as the app, so any admin's page can show it. */
export interface RepositorySummary {
  name: string | null;
  fullName: string | null;
  mainBranch: string | null;
}

export async function getRepositorySummary(workspaceUuid: string, repositoryUuid: string): Promise<RepositorySummary> {
  const response = await checked('repository', () =>
    api.asApp().requestBitbucket(route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}`, { headers: { accept: 'application/json' } }),
  );
  const body = (await response.json()) as { name?: unknown; full_name?: unknown; mainbranch?: { name?: unknown } | null };
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return { name: text(body.name), fullName: text(body.full_name), mainBranch: text(body.mainbranch?.name) };
}

export interface BranchHead {
  name: string;
  hash: string;
  message: string;
  author: string | null;
  date: string | null;
}

interface BranchJson {
  name?: unknown;
  target?: { hash?: unknown; message?: unknown; date?: unknown; author?: { raw?: unknown } };
}

function branchHead(json: BranchJson): BranchHead | null {
  const { name, target } = json;
  if (typeof name !== 'string' || typeof target?.hash !== 'string') return null;
  return {
    name,
    hash: target.hash,
    message: typeof target.message === 'string' ? target.message : '',
    author: typeof target.author?.raw === 'string' ? target.author.raw : null,
    date: typeof target.date === 'string' ? target.date : null,
  };
}

/** A string inside a BBQL double-quoted literal: backslashes and quotes escaped, nothing else. */
export const bbqlString = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/**
 * Branches whose name contains `text`, newest commit first: ONE Bitbucket call, filtered and sorted
 * server-side (a repository may have thousands of branches).
 */
export async function searchBranches(
  workspaceUuid: string,
  repositoryUuid: string,
  text: string,
  pagelen: number,
): Promise<{ branches: BranchHead[]; more: boolean }> {
  const q = `name ~ ${bbqlString(text)}`;
  const sort = '-target.date';
  const response = await checked('branch search', () =>
    api
      .asApp()
      .requestBitbucket(
        route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/refs/branches?q=${q}&sort=${sort}&pagelen=${String(pagelen)}`,
        {
          headers: { accept: 'application/json' },
        },
      ),
  );
  const body = (await response.json()) as { values?: BranchJson[]; next?: unknown };
  const branches = (body.values ?? []).map(branchHead).filter((b): b is BranchHead => b !== null);
  return { branches, more: typeof body.next === 'string' };
}

/** The branch's newest commit, or null when there is no such branch. */
export async function getBranchHead(workspaceUuid: string, repositoryUuid: string, name: string): Promise<BranchHead | null> {
  // Branch names contain '/', which `route` refuses in a path value: encoded, it is one segment.
  const encoded = encodeURIComponent(name);
  let response: BitbucketResponse;
  try {
    response = await checked('branch', () =>
      api.asApp().requestBitbucket(route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/refs/branches/${encoded}`, {
        headers: { accept: 'application/json' },
      }),
    );
  } catch (error) {
    if (error instanceof HttpRejected && error.status === 404) return null;
    throw error;
  }
  return branchHead((await response.json()) as BranchJson);
}

/** Diffstat pages are up to 500 entries; a push touching more than this many files deploys unfiltered. */
const DIFFSTAT_PAGELEN = 500;
const MAX_DIFFSTAT_PAGES = 10;

interface DiffstatJson {
  values?: { new?: { path?: unknown } | null; old?: { path?: unknown } | null }[];
  next?: unknown;
}

/**
 * The files a push changed: ONE diffstat call comparing its commit with `base` (a commit or a branch),
 * however many commits the push holds. Bitbucket's range puts the newer side first (`after..before`,
 * the opposite of git's). A renamed file counts under both names; a diff larger than one page is paged.
 */
export async function getChangedFiles(workspaceUuid: string, repositoryUuid: string, head: string, base: string): Promise<ChangedFiles> {
  // A base may be a branch name with '/': encoded, `route` accepts it as one path value.
  const baseRef = encodeURIComponent(base);
  const paths = new Set<string>();
  let page = route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/diffstat/${head}..${baseRef}?topic=false&pagelen=${String(DIFFSTAT_PAGELEN)}`;
  for (let pages = 1; ; pages += 1) {
    const current = page;
    const response = await checked('diffstat', () => api.asApp().requestBitbucket(current, { headers: { accept: 'application/json' } }));
    const body = (await response.json()) as DiffstatJson;
    for (const entry of body.values ?? []) {
      for (const side of [entry.new, entry.old]) if (typeof side?.path === 'string') paths.add(side.path);
    }
    if (typeof body.next !== 'string') return { paths: [...paths], complete: true };
    if (pages >= MAX_DIFFSTAT_PAGES) return { paths: [...paths], complete: false };
    // Bitbucket's own `next` link: only its path and query are kept, so it stays on Bitbucket's API.
    page = routeFromAbsolute(body.next);
  }
}

interface CommitStatusesJson {
  values?: { key?: unknown; name?: unknown; state?: unknown; url?: unknown; updated_on?: unknown }[];
  next?: unknown;
}

/** Pages of a commit's statuses read (Bitbucket's pages hold up to 100): more builds than that on one commit are not waited for. */
const MAX_STATUS_PAGES = 3;

/**
 * The builds reported on a commit (`GET …/commit/{commit}/statuses`, paginated_commitstatuses in the
 * spec, which requires only key and state): the app's own statuses and unreadable entries left out.
 */
export async function listBuildStatuses(workspaceUuid: string, repositoryUuid: string, commit: string, refName: string): Promise<Build[]> {
  const builds: Build[] = [];
  // `refname`: the statuses posted for this ref and those posted for none, not another branch's builds of the commit.
  let page = route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/commit/${commit}/statuses?pagelen=100&refname=${refName}`;
  for (let pages = 1; pages <= MAX_STATUS_PAGES; pages += 1) {
    const current = page;
    const response = await checked('commit statuses', () =>
      api.asApp().requestBitbucket(current, { headers: { accept: 'application/json' } }),
    );
    const body = (await response.json()) as CommitStatusesJson;
    for (const status of body.values ?? []) {
      if (typeof status.key !== 'string' || typeof status.state !== 'string' || isOwnStatus(status.key)) continue;
      // Held within the limits a record keeps a build to (records are stored unparsed, src/forge/store.ts),
      // never left out: a failed build with an overlong name must still block. A clipped state is no
      // state Bitbucket has, so it never counts as passed; an overlong link is dropped, not cut.
      const url = typeof status.url === 'string' && status.url.length <= MAX_BUILD_URL ? status.url : null;
      builds.push({
        key: status.key.slice(0, MAX_BUILD_TEXT),
        name: typeof status.name === 'string' ? status.name.slice(0, MAX_BUILD_TEXT) : null,
        state: status.state.slice(0, MAX_BUILD_STATE),
        url,
        updatedOn: typeof status.updated_on === 'string' ? status.updated_on.slice(0, MAX_BUILD_STATE) : new Date(0).toISOString(),
      });
    }
    if (typeof body.next !== 'string') break;
    page = routeFromAbsolute(body.next);
  }
  return builds;
}

/**
 * Where a pull request comes from (`GET …/pullrequests/{id}`, the spec's pullrequest): its source
 * repository, which pull-request events do not name. A fork is another repository.
 */
export async function getPullRequestSource(workspaceUuid: string, repositoryUuid: string, id: number): Promise<PullRequestSource> {
  const response = await checked('pull request', () =>
    api.asApp().requestBitbucket(route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/pullrequests/${String(id)}`, {
      headers: { accept: 'application/json' },
    }),
  );
  const body = (await response.json()) as { source?: { repository?: { uuid?: unknown; full_name?: unknown } | null } };
  const from = body.source?.repository;
  // The spec does not require it: a pull request whose source repository Bitbucket leaves out (deleted, say) is not taken for this one's.
  if (typeof from?.uuid !== 'string') throw new HttpRejected(`Bitbucket pull request #${id} answered without its source repository`, null);
  return { repository: { uuid: from.uuid, fullName: typeof from.full_name === 'string' ? from.full_name : null } };
}

/** The commit an abbreviated hash names (`GET …/commit/{commit}`, the spec's commit): its full hash, message, author and date. */
export async function getCommit(where: RepositoryPath, hash: string): Promise<ResolvedCommit> {
  const response = await checked('commit', () =>
    api.asApp().requestBitbucket(route`/2.0/repositories/${where.workspace}/${where.repository}/commit/${hash}`, {
      headers: { accept: 'application/json' },
    }),
  );
  const body = (await response.json()) as { hash?: unknown; message?: unknown; date?: unknown; author?: { raw?: unknown } };
  if (typeof body.hash !== 'string' || !/^[0-9a-f]{40}$/i.test(body.hash) || !body.hash.startsWith(hash.toLowerCase()))
    throw new HttpRejected(`Bitbucket commit ${hash} answered without its full hash`, null);
  return {
    hash: body.hash.toLowerCase(),
    message: typeof body.message === 'string' ? body.message : '',
    author: typeof body.author?.raw === 'string' ? body.author.raw : null,
    date: typeof body.date === 'string' ? body.date : null,
  };
}

/** Pages of a pull request's comments looked through for the app's own (Bitbucket's pages hold up to 100). */
const MAX_COMMENT_PAGES = 5;

const commentsRoute = (workspaceUuid: string, repositoryUuid: string, id: number) =>
  route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/pullrequests/${String(id)}/comments`;

/** The spec's pullrequest_comment: `type` is required of every object, `content.raw` is the text (markdown). */
const commentBody = (raw: string) => JSON.stringify({ type: 'pullrequest_comment', content: { raw } });

/** The app's comment on a pull request, found by the heading it starts with (`GET …/comments`); null when there is none. */
export async function findOwnComment(workspaceUuid: string, repositoryUuid: string, id: number, heading: string): Promise<number | null> {
  let page = route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/pullrequests/${String(id)}/comments?pagelen=100`;
  for (let pages = 1; pages <= MAX_COMMENT_PAGES; pages += 1) {
    const current = page;
    const response = await checked('pull request comments', () =>
      api.asApp().requestBitbucket(current, { headers: { accept: 'application/json' } }),
    );
    const body = (await response.json()) as { values?: { id?: unknown; content?: { raw?: unknown }; deleted?: unknown }[]; next?: unknown };
    const own = (body.values ?? []).find(
      (c) => typeof c.id === 'number' && c.deleted !== true && typeof c.content?.raw === 'string' && c.content.raw.startsWith(heading),
    );
    if (own) return own.id as number;
    if (typeof body.next !== 'string') return null;
    page = routeFromAbsolute(body.next);
  }
  return null;
}

export async function postPullRequestComment(workspaceUuid: string, repositoryUuid: string, id: number, raw: string): Promise<number> {
  const response = await checked('pull request comment', () =>
    api.asApp().requestBitbucket(commentsRoute(workspaceUuid, repositoryUuid, id), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: commentBody(raw),
    }),
  );
  const body = (await response.json()) as { id?: unknown };
  if (typeof body.id !== 'number') throw new HttpRejected('Bitbucket answered the new comment without its id', null);
  return body.id;
}

export async function editPullRequestComment(
  workspaceUuid: string,
  repositoryUuid: string,
  id: number,
  commentId: number,
  raw: string,
): Promise<void> {
  await checked('pull request comment', () =>
    api
      .asApp()
      .requestBitbucket(
        route`/2.0/repositories/${workspaceUuid}/${repositoryUuid}/pullrequests/${String(id)}/comments/${String(commentId)}`,
        {
          method: 'PUT',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: commentBody(raw),
        },
      ),
  );
}
