/** One function per endpoint under `/2.0/repositories/{workspace}/{repo}`. */
import { commitsBetween, netChanges } from './diffstat';
import { HttpError, jsonResponse } from './http';
import { matches, pageOf, parseCondition, readPage } from './query';
import { renderBranch, renderCommit, renderDiffstat, renderRepository, renderStatus } from './render';
import { addComment, editComment, renderComment, renderPullRequest, requireComment, requirePullRequest } from './pullrequests';
import type { RepositoryRecord, StoredStatus, WorkspaceState } from './state';
import type { BitbucketCaller } from './types';
import { parseJsonObject, saveStatus, validateStatus } from './statuses';

export interface RepoContext {
  state: WorkspaceState;
  repository: RepositoryRecord;
  /** Raw path without the query string, for building `next` links. */
  pathname: string;
  params: URLSearchParams;
  body: string | undefined;
  caller: BitbucketCaller;
}

export type RepoHandler = (ctx: RepoContext, args: Record<string, string>) => Response;

const arg = (args: Record<string, string>, name: string): string => {
  const value = args[name];
  if (value === undefined) throw new Error(`Route is missing :${name}`);
  return value;
};

export const getRepository: RepoHandler = ({ repository }) => jsonResponse(200, renderRepository(repository));

// `name` sorts naturally (branch2 before branch10), as the spec says; no sort is git's byte order.
const natural = new Intl.Collator('en', { numeric: true });
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortBranches(repository: RepositoryRecord, names: string[], sort: string | null): string[] {
  if (sort === null) return names.sort(byteOrder);
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  const sign = descending ? -1 : 1;
  if (field === 'name') return names.sort((a, b) => sign * natural.compare(a, b));
  if (field !== 'target.date') throw new HttpError(400, `Invalid sort field: ${field}`);
  // Dates are parsed once per branch, not once per comparison: 5,000 branches must stay fast.
  const time = new Map(names.map((n) => [n, Date.parse(repository.commits.get(repository.branches.get(n) ?? '')?.date ?? '')]));
  return names.sort((a, b) => sign * ((time.get(a) ?? 0) - (time.get(b) ?? 0)) || byteOrder(a, b));
}

export const listBranches: RepoHandler = ({ state, repository, pathname, params }) => {
  const q = params.get('q');
  const condition = q === null ? undefined : parseCondition(q, ['name']);
  const names = [...repository.branches.keys()].filter((name) => !condition || matches(condition, name));
  const page = pageOf(sortBranches(repository, names, params.get('sort')), readPage(params, 10, 100), pathname, params);
  return jsonResponse(200, { ...page, values: page.values.map((name) => branchJson(state, repository, name)) });
};

function branchJson(state: WorkspaceState, repository: RepositoryRecord, name: string): Record<string, unknown> {
  const head = repository.branches.get(name);
  const commit = head === undefined ? undefined : repository.commits.get(head);
  if (!commit) throw new HttpError(404, `Branch not found: ${name}`);
  return renderBranch(state, repository, name, commit);
}

export const getBranch: RepoHandler = ({ state, repository }, args) => jsonResponse(200, branchJson(state, repository, arg(args, 'name')));

export const getCommit: RepoHandler = ({ state, repository }, args) =>
  jsonResponse(200, renderCommit(state, repository, state.requireCommit(repository, arg(args, 'hash'))));

export const listStatuses: RepoHandler = ({ state, repository, pathname, params }, args) => {
  const { hash } = state.requireCommit(repository, arg(args, 'hash'));
  const refname = params.get('refname');
  // With `refname`, the spec keeps statuses posted for that ref and those posted without one.
  const all = [...(repository.statuses.get(hash)?.values() ?? [])].filter(
    (s) => refname === null || s.refname === undefined || s.refname === refname,
  );
  const page = pageOf(all, readPage(params, 10, 100), pathname, params);
  return jsonResponse(200, { ...page, values: page.values.map((s) => renderStatus(repository, hash, s)) });
};

/** The spec lists only 201 for this POST, also when an existing key is overwritten. */
export const postStatus: RepoHandler = ({ state, repository, body }, args) => {
  const { hash } = state.requireCommit(repository, arg(args, 'hash'));
  const input = validateStatus(parseJsonObject(body));
  const saved = saveStatus(repository, hash, input, state.now().toISOString());
  return jsonResponse(201, renderStatus(repository, hash, saved));
};

function storedStatus(ctx: RepoContext, args: Record<string, string>): { hash: string; status: StoredStatus } {
  const { hash } = ctx.state.requireCommit(ctx.repository, arg(args, 'hash'));
  const key = arg(args, 'key');
  const status = ctx.repository.statuses.get(hash)?.get(key);
  if (!status) throw new HttpError(404, `Build status not found: ${key}`);
  return { hash, status };
}

export const getStatus: RepoHandler = (ctx, args) => {
  const { hash, status } = storedStatus(ctx, args);
  return jsonResponse(200, renderStatus(ctx.repository, hash, status));
};

/** Update: 200 per the spec; the key comes from the path and cannot change, other fields default to the stored ones. */
export const putStatus: RepoHandler = (ctx, args) => {
  const { hash, status } = storedStatus(ctx, args);
  const merged = validateStatus({ ...status, ...parseJsonObject(ctx.body), key: status.key });
  const saved = saveStatus(ctx.repository, hash, merged, ctx.state.now().toISOString());
  return jsonResponse(200, renderStatus(ctx.repository, hash, saved));
};

/**
 * `head..base` (Bitbucket's order: the commit with the changes first) or a single commit, compared
 * with its first parent. Revisions may be hashes, unique prefixes or ref names.
 */
export const getDiffstat: RepoHandler = ({ state, repository, pathname, params }, args) => {
  const parts = arg(args, 'spec').split('..');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new HttpError(400, `Invalid spec: ${arg(args, 'spec')}`);
  const [headRef = '', baseRef] = parts;
  const head = state.requireCommit(repository, headRef);
  const base = baseRef === undefined ? head.parents[0] : state.requireCommit(repository, baseRef).hash;
  const changes = netChanges(commitsBetween(repository, head.hash, base));
  const page = pageOf(changes, readPage(params, 500, 5000), pathname, params);
  const values = page.values.map((c) => renderDiffstat(repository, c, base ?? head.hash, head.hash));
  return jsonResponse(200, { ...page, values });
};

export const getPullRequest: RepoHandler = ({ state, repository }, args) =>
  jsonResponse(200, renderPullRequest(state, repository, requirePullRequest(repository, arg(args, 'id'))));

export const listComments: RepoHandler = ({ state, repository, pathname, params }, args) => {
  const pr = requirePullRequest(repository, arg(args, 'id'));
  const page = pageOf([...pr.comments.values()], readPage(params, 10, 100), pathname, params);
  return jsonResponse(200, { ...page, values: page.values.map((comment) => renderComment(state, repository, pr, comment)) });
};

export const getComment: RepoHandler = ({ state, repository }, args) => {
  const pr = requirePullRequest(repository, arg(args, 'id'));
  return jsonResponse(200, renderComment(state, repository, pr, requireComment(pr, arg(args, 'commentId'))));
};

export const postComment: RepoHandler = ({ state, repository, body, caller }, args) => {
  const pr = requirePullRequest(repository, arg(args, 'id'));
  return jsonResponse(201, renderComment(state, repository, pr, addComment(state, pr, parseJsonObject(body), caller)));
};

export const putComment: RepoHandler = ({ state, repository, body, caller }, args) => {
  const pr = requirePullRequest(repository, arg(args, 'id'));
  const comment = editComment(state, requireComment(pr, arg(args, 'commentId')), parseJsonObject(body), caller);
  return jsonResponse(200, renderComment(state, repository, pr, comment));
};
