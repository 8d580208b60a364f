/** Routing: from the path the SDK sends to a handler, with Bitbucket's 401/403/404 rules on the way. */
import * as handlers from './handlers';
import { HttpError, jsonResponse } from './http';
import { matches, pageOf, parseCondition, readPage } from './query';
import { renderPermission, renderUser } from './render';
import type { RepositoryRecord, WorkspaceState } from './state';
import type { BitbucketCaller, Permission } from './types';

export interface RouteRequest {
  method: string;
  /** Raw (still percent-encoded) path, without the query string. */
  pathname: string;
  params: URLSearchParams;
  body: string | undefined;
  caller: BitbucketCaller;
}

interface RepoRoute {
  method: string;
  /** Segments after `/2.0/repositories/{ws}/{repo}`: literals, `:param` for one segment, `*param` for the rest (branch names contain '/'). */
  pattern: string[];
  handle: handlers.RepoHandler;
}

const REPO_ROUTES: RepoRoute[] = [
  { method: 'GET', pattern: [], handle: handlers.getRepository },
  { method: 'GET', pattern: ['refs', 'branches'], handle: handlers.listBranches },
  { method: 'GET', pattern: ['refs', 'branches', '*name'], handle: handlers.getBranch },
  { method: 'GET', pattern: ['commit', ':hash'], handle: handlers.getCommit },
  { method: 'GET', pattern: ['commit', ':hash', 'statuses'], handle: handlers.listStatuses },
  { method: 'POST', pattern: ['commit', ':hash', 'statuses', 'build'], handle: handlers.postStatus },
  { method: 'GET', pattern: ['commit', ':hash', 'statuses', 'build', '*key'], handle: handlers.getStatus },
  { method: 'PUT', pattern: ['commit', ':hash', 'statuses', 'build', '*key'], handle: handlers.putStatus },
  { method: 'GET', pattern: ['diffstat', '*spec'], handle: handlers.getDiffstat },
  { method: 'GET', pattern: ['pullrequests', ':id'], handle: handlers.getPullRequest },
  { method: 'GET', pattern: ['pullrequests', ':id', 'comments'], handle: handlers.listComments },
  { method: 'POST', pattern: ['pullrequests', ':id', 'comments'], handle: handlers.postComment },
  { method: 'GET', pattern: ['pullrequests', ':id', 'comments', ':commentId'], handle: handlers.getComment },
  { method: 'PUT', pattern: ['pullrequests', ':id', 'comments', ':commentId'], handle: handlers.putComment },
];

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const args: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.startsWith('*')) {
      args[part.slice(1)] = segments.slice(i).join('/');
      return args;
    }
    if (part.startsWith(':')) args[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return segments.length === pattern.length ? args : undefined;
}

/** Each segment decoded on its own, so `release%2F1.2` and `release/1.2` both name one branch; one trailing slash is ignored as Bitbucket does. */
function decodeSegments(pathname: string): string[] {
  const raw = pathname.replace(/\/$/, '').split('/').slice(1);
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(404, `Resource not found: ${pathname}`);
  }
}

/** App calls see every repository of the installation; a user needs a permission on a private one (spec: 403). */
function authorize(repository: RepositoryRecord, caller: BitbucketCaller): void {
  if (!caller.asUser || !repository.isPrivate) return;
  if (caller.accountId === undefined)
    throw new HttpError(401, 'This API is only accessible with the following authentication types: session, password, apppassword, oauth');
  if (!repository.permissions.has(caller.accountId))
    throw new HttpError(403, `You do not have access to ${repository.workspace.slug}/${repository.slug}`);
}

function routeRepository(state: WorkspaceState, request: RouteRequest, segments: string[]): Response {
  const [workspaceRef = '', repoRef = '', ...rest] = segments;
  const repository = state.findRepository(workspaceRef, repoRef);
  if (!repository) throw new HttpError(404, `Repository ${workspaceRef}/${repoRef} not found`);
  for (const route of REPO_ROUTES) {
    const args = route.method === request.method ? matchPattern(route.pattern, rest) : undefined;
    if (!args) continue;
    authorize(repository, request.caller);
    return route.handle(
      { state, repository, pathname: request.pathname, params: request.params, body: request.body, caller: request.caller },
      args,
    );
  }
  throw new HttpError(404, `Resource not found: ${request.method} ${request.pathname}`);
}

const PERMISSION_FIELDS = ['repository.uuid', 'repository.full_name', 'repository.name', 'permission'] as const;

function permissionFields(repository: RepositoryRecord, permission: Permission): Record<string, string> {
  return {
    'repository.uuid': repository.uuid,
    'repository.full_name': `${repository.workspace.slug}/${repository.slug}`,
    'repository.name': repository.name,
    permission,
  };
}

interface Grant {
  repository: RepositoryRecord;
  permission: Permission;
}

function grantsOf(state: WorkspaceState, accountId: string, workspaces = state.workspaces): Grant[] {
  return workspaces
    .flatMap((w) => [...w.repositories.values()])
    .flatMap((repository) => {
      const permission = repository.permissions.get(accountId);
      return permission === undefined ? [] : [{ repository, permission }];
    });
}

/**
 * The caller's own permissions. An app (asApp) holds no per-repository grant of its own, so it
 * gets an empty list: a permission check made asApp finds no one allowed rather than everyone.
 */
function listUserPermissions(state: WorkspaceState, request: RouteRequest, workspaces = state.workspaces): Response {
  const { asUser, accountId } = request.caller;
  if (asUser && accountId === undefined) throw new HttpError(401, 'Authentication required');
  const q = request.params.get('q');
  const condition = q === null ? undefined : parseCondition(q, PERMISSION_FIELDS);
  const grants = (asUser && accountId !== undefined ? grantsOf(state, accountId, workspaces) : []).filter(
    (g) => !condition || matches(condition, permissionFields(g.repository, g.permission)[condition.field] ?? ''),
  );
  const page = pageOf(grants, readPage(request.params, 10, 100), request.pathname, request.params);
  const user = asUser && accountId !== undefined ? state.user(accountId) : undefined;
  const values = user ? page.values.map((g) => renderPermission(user, g.repository, g.permission)) : [];
  return jsonResponse(200, { ...page, values });
}

/**
 * `/user/workspaces/{workspace}/…`: the caller's repository permissions in one workspace (the spec's
 * replacement for the deprecated `/user/permissions/repositories`), or their role in it. Explicit
 * grants only, as the spec says: a workspace owner's implied admin is not listed, the role says it.
 */
function routeUserWorkspace(state: WorkspaceState, request: RouteRequest, segments: string[]): Response {
  const [workspaceRef = '', ...rest] = segments;
  const { asUser, accountId } = request.caller;
  if (!asUser || accountId === undefined) throw new HttpError(401, "The request wasn't authenticated.");
  const workspace = state.findWorkspace(workspaceRef);
  const role = workspace?.roles.get(accountId);
  const member = workspace && (role !== undefined || grantsOf(state, accountId, [workspace]).length > 0);
  if (!workspace || !member) throw new HttpError(403, 'The requesting user does not have access to the workspace.');
  const path = rest.join('/');
  if (path === 'permissions/repositories') return listUserPermissions(state, request, [workspace]);
  if (path === 'permission') {
    const user = state.user(accountId);
    return jsonResponse(200, {
      type: 'workspace_membership',
      permission: role ?? 'member',
      user: user ? renderUser(user) : { type: 'user', account_id: accountId },
      workspace: { type: 'workspace', uuid: workspace.uuid, slug: workspace.slug, name: workspace.name },
    });
  }
  throw new HttpError(404, `Resource not found: ${request.method} ${request.pathname}`);
}

export function dispatch(state: WorkspaceState, request: RouteRequest): Response {
  const [version, resource, ...rest] = decodeSegments(request.pathname);
  if (version === '2.0' && resource === 'repositories' && rest.length >= 2) return routeRepository(state, request, rest);
  if (version === '2.0' && resource === 'user' && rest.join('/') === 'permissions/repositories' && request.method === 'GET') {
    return listUserPermissions(state, request);
  }
  if (version === '2.0' && resource === 'user' && rest[0] === 'workspaces' && rest.length >= 3 && request.method === 'GET') {
    return routeUserWorkspace(state, request, rest.slice(1));
  }
  throw new HttpError(404, `Resource not found: ${request.method} ${request.pathname}`);
}
