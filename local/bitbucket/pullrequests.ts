/**
 * Pull requests in the stand-in: what `GET …/pullrequests/{id}` answers (the spec's `pullrequest`) and
 * the `avi:bitbucket:*:pullrequest` events Forge delivers for them, in the reference's shape
 * (events.ts checks it): commits abbreviated to 12 characters, as in the reference's examples.
 */
import { z } from 'zod';
import { HttpError } from './http';
import type { BitbucketCaller } from './types';
import { ensureRepository } from './push';
import { renderRepositorySummary, renderUser } from './render';
import type { RepositoryRecord, WorkspaceState } from './state';

export type PullRequestState = 'OPEN' | 'MERGED' | 'DECLINED';

export interface PullRequestRecord {
  id: number;
  title: string;
  state: PullRequestState;
  /** The source repository: this one, or a fork. */
  from: RepositoryRecord;
  source: { branch: string; commit: string };
  destination: { branch: string; commit: string };
  authorAccountId: string;
  mergeCommit: string | null;
  createdOn: string;
  updatedOn: string;
  /** By id; ids count up across the workspace, as Bitbucket's are unique across it. */
  comments: Map<number, CommentRecord>;
}

export interface CommentRecord {
  id: number;
  raw: string;
  /** Who wrote it: a person, or the app (its own account, as Forge's asApp calls post). */
  accountId: string;
  createdOn: string;
  updatedOn: string;
}

/** The account an app's (asApp) calls act as. */
export const APP_ACCOUNT_ID = '557058:deploy-relay-app';

/** The reference's examples give 12 characters. */
export const abbreviate = (hash: string): string => hash.slice(0, 12);

const EVENT_OF = {
  created: 'avi:bitbucket:created:pullrequest',
  updated: 'avi:bitbucket:updated:pullrequest',
  merged: 'avi:bitbucket:fulfilled:pullrequest',
  declined: 'avi:bitbucket:rejected:pullrequest',
} as const;
export type PullRequestChange = keyof typeof EVENT_OF;

export interface PullRequestEventJson {
  eventType: (typeof EVENT_OF)[PullRequestChange];
  timestamp: string;
  repository: { uuid: string; slug?: string };
  workspace: { uuid: string };
  pullrequest: { id: number; state: string; source: { branch: string; commit: { hash: string } } } & Record<string, unknown>;
  [field: string]: unknown;
}

/** The project every stand-in repository sits in (the same one the push events name). */
export const PROJECT_UUID = '{5d4c3b2a-1908-4f7e-a6d5-c4b3a2918070}';

export function pullRequestEvent(
  state: WorkspaceState,
  repository: RepositoryRecord,
  pr: PullRequestRecord,
  change: PullRequestChange,
  actorAccountId: string,
): PullRequestEventJson {
  const actor = state.user(actorAccountId);
  const author = state.user(pr.authorAccountId);
  return {
    eventType: EVENT_OF[change],
    timestamp: pr.updatedOn,
    selfGenerated: false,
    actor: { type: 'user', accountId: actor.accountId, uuid: actor.uuid },
    repository: { uuid: repository.uuid, slug: repository.slug },
    project: { uuid: PROJECT_UUID },
    workspace: { uuid: repository.workspace.uuid },
    pullrequest: {
      id: pr.id,
      state: pr.state,
      source: { branch: pr.source.branch, commit: { hash: abbreviate(pr.source.commit) } },
      destination: { branch: pr.destination.branch, commit: { hash: abbreviate(pr.destination.commit) } },
      ...(pr.mergeCommit === null ? {} : { mergeCommit: { hash: abbreviate(pr.mergeCommit) } }),
      updatedOn: pr.updatedOn,
      createdOn: pr.createdOn,
      title: { truncated: false, value: pr.title },
      author: { accountId: author.accountId, type: 'user', uuid: author.uuid, displayName: author.displayName },
      commentCount: 0,
      taskCount: 0,
    },
  };
}

/** `GET …/pullrequests/{id}` as the spec's `pullrequest` lists it (the fields the app may read, and their neighbours). */
export function renderPullRequest(state: WorkspaceState, repository: RepositoryRecord, pr: PullRequestRecord): Record<string, unknown> {
  // Bitbucket's REST answer abbreviates too: the spec's pattern is 7 hex digits or more.
  const endpoint = (from: RepositoryRecord, side: { branch: string; commit: string }) => ({
    repository: renderRepositorySummary(from),
    branch: { name: side.branch },
    commit: { hash: abbreviate(side.commit) },
  });
  return {
    type: 'pullrequest',
    id: pr.id,
    title: pr.title,
    state: pr.state,
    author: renderUser(state.user(pr.authorAccountId)),
    source: endpoint(pr.from, pr.source),
    destination: endpoint(repository, pr.destination),
    // The spec's merge_commit is an object, never null: absent until the pull request is merged.
    ...(pr.mergeCommit === null ? {} : { merge_commit: { hash: abbreviate(pr.mergeCommit) } }),
    close_source_branch: false,
    created_on: pr.createdOn,
    updated_on: pr.updatedOn,
    comment_count: 0,
    task_count: 0,
  };
}

export function requirePullRequest(repository: RepositoryRecord, id: string | number): PullRequestRecord {
  const pr = repository.pullRequests.get(Number(id));
  if (!pr) throw new HttpError(404, `Pull request ${String(id)} not found in ${repository.workspace.slug}/${repository.slug}`);
  return pr;
}

const recordedEventSchema = z
  .object({
    timestamp: z.string(),
    actor: z.object({ accountId: z.string() }).passthrough(),
    repository: z.object({ uuid: z.string(), slug: z.string().optional() }).passthrough(),
    workspace: z.object({ uuid: z.string() }).passthrough(),
    pullrequest: z
      .object({
        id: z.number(),
        state: z.enum(['OPEN', 'MERGED', 'DECLINED']),
        source: z.object({ branch: z.string(), commit: z.object({ hash: z.string() }) }),
        destination: z.object({ branch: z.string(), commit: z.object({ hash: z.string() }) }),
        title: z.object({ value: z.string() }).passthrough().optional(),
        author: z.object({ accountId: z.string() }).passthrough().optional(),
        createdOn: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();

/**
 * A replayed pull-request event applied to the workspace: the repository made when unknown, the pull
 * request recorded as the event says (from this repository: an event cannot tell a fork). Its commits
 * are what the event gives, abbreviated: the app learns the full hash only if the repository has the
 * commit (`npm start -- --commit HASH` adds it).
 */
export function recordPullRequest(state: WorkspaceState, raw: unknown): void {
  const event = recordedEventSchema.parse(raw);
  const repository = ensureRepository(state, event, event.pullrequest.destination.branch);
  const { pullrequest: pr } = event;
  const known = repository.pullRequests.get(pr.id);
  repository.pullRequests.set(pr.id, {
    id: pr.id,
    title: pr.title?.value ?? known?.title ?? '',
    state: pr.state,
    from: known?.from ?? repository,
    // A full hash the stand-in already has for it stays: the event only abbreviates it.
    source: { branch: pr.source.branch, commit: fuller(known?.source.commit, pr.source.commit.hash) },
    destination: { branch: pr.destination.branch, commit: fuller(known?.destination.commit, pr.destination.commit.hash) },
    authorAccountId: pr.author?.accountId ?? known?.authorAccountId ?? event.actor.accountId,
    mergeCommit: known?.mergeCommit ?? null,
    createdOn: pr.createdOn ?? known?.createdOn ?? event.timestamp,
    updatedOn: event.timestamp,
    comments: known?.comments ?? new Map(),
  });
}

const fuller = (known: string | undefined, given: string): string => (known?.startsWith(given) ? known : given);

export function requireComment(pr: PullRequestRecord, id: string): CommentRecord {
  const comment = pr.comments.get(Number(id));
  if (!comment) throw new HttpError(404, `Comment ${id} not found on pull request ${pr.id}`);
  return comment;
}

/** The spec's pullrequest_comment body: `content.raw` is what a comment says (its `type`, as every object's, is required). */
function rawOf(body: Record<string, unknown>): string {
  if (body.type !== 'pullrequest_comment') throw new HttpError(400, 'Bad request', 'type: must be pullrequest_comment');
  const raw = (body.content as { raw?: unknown } | undefined)?.raw;
  if (typeof raw !== 'string' || raw.trim() === '') throw new HttpError(400, 'Bad request', 'content.raw: a comment needs its text');
  return raw;
}

const authorOf = (caller: BitbucketCaller): string => (caller.asUser ? (caller.accountId ?? APP_ACCOUNT_ID) : APP_ACCOUNT_ID);

export function addComment(
  state: WorkspaceState,
  pr: PullRequestRecord,
  body: Record<string, unknown>,
  caller: BitbucketCaller,
): CommentRecord {
  const now = state.now().toISOString();
  const comment = { id: state.nextCommentId(), raw: rawOf(body), accountId: authorOf(caller), createdOn: now, updatedOn: now };
  pr.comments.set(comment.id, comment);
  return comment;
}

/** Bitbucket lets only a comment's author edit it. */
export function editComment(
  state: WorkspaceState,
  comment: CommentRecord,
  body: Record<string, unknown>,
  caller: BitbucketCaller,
): CommentRecord {
  if (authorOf(caller) !== comment.accountId) throw new HttpError(403, 'You can only edit your own comments');
  comment.raw = rawOf(body);
  comment.updatedOn = state.now().toISOString();
  return comment;
}

export function renderComment(
  state: WorkspaceState,
  repository: RepositoryRecord,
  pr: PullRequestRecord,
  comment: CommentRecord,
): Record<string, unknown> {
  return {
    type: 'pullrequest_comment',
    id: comment.id,
    content: { raw: comment.raw, markup: 'markdown', html: '' },
    user: renderUser(state.user(comment.accountId)),
    created_on: comment.createdOn,
    updated_on: comment.updatedOn,
    deleted: false,
    pending: false,
    pullrequest: { type: 'pullrequest', id: pr.id, title: pr.title },
  };
}
