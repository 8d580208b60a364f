/**
 * Applies a Forge `avi:bitbucket:push:repository` event to the workspace, so a replayed or
 * hand-written event leaves Bitbucket in the state the app will query next (refs moved,
 * commits known, statuses postable on `after`).
 */
import { z } from 'zod';
import type { RepositoryRecord, WorkspaceState } from './state';

const pushCommitSchema = z.object({
  hash: z.string().regex(/^[0-9a-f]{40}$/),
  message: z.union([z.string(), z.object({ value: z.string() })]).optional(),
  date: z.string().optional(),
  author: z
    .object({ raw: z.string().optional(), user: z.object({ accountId: z.string().optional() }).passthrough().optional() })
    .passthrough()
    .optional(),
});
type PushCommit = z.infer<typeof pushCommitSchema>;

const hash = z.string().regex(/^[0-9a-f]{40}$/);

export const pushEventSchema = z.object({
  repository: z.object({ uuid: z.string(), slug: z.string().optional() }).passthrough(),
  workspace: z.object({ uuid: z.string(), slug: z.string().optional() }).passthrough(),
  push: z
    .object({
      ref: z.string().min(1),
      // Only branch pushes carry these two: their absence is how a tag push is told apart.
      mainbranch: z.boolean().optional(),
      commits: z.array(pushCommitSchema).optional(),
      before: hash.nullish(),
      after: hash.nullish(),
      created: z.boolean().optional(),
      closed: z.boolean().optional(),
      date: z.string().optional(),
    })
    .passthrough(),
});
type PushEvent = z.infer<typeof pushEventSchema>;

export function recordPush(state: WorkspaceState, raw: unknown): void {
  const event = pushEventSchema.parse(raw);
  const { push } = event;
  const isBranch = push.commits !== undefined || push.mainbranch !== undefined;
  const repository = ensureRepository(state, event, mainBranchOf(event, isBranch));
  const refs = isBranch ? repository.branches : repository.tags;
  if (push.closed || !push.after) {
    refs.delete(push.ref);
    return;
  }
  addPushedCommits(state, repository, push.commits ?? [], push.before ?? undefined, push.after);
  ensureCommit(state, repository, { hash: push.after, date: push.date }, push.before ?? undefined);
  refs.set(push.ref, push.after);
}

/** Events say only whether the pushed branch is the main branch; a repository first seen otherwise gets `main`. */
function mainBranchOf(event: PushEvent, isBranch: boolean): string {
  return isBranch && event.push.mainbranch === true ? event.push.ref : 'main';
}

/** Events carry uuids only; an unknown workspace gets a slug made from its uuid, which the app never needs. */
export function ensureRepository(
  state: WorkspaceState,
  event: { repository: { uuid: string; slug?: string | undefined }; workspace: { uuid: string; slug?: string | undefined } },
  mainBranch: string,
): RepositoryRecord {
  const known = state.findRepositoryByUuid(event.repository.uuid);
  if (known) return known;
  const bare = (uuid: string): string => uuid.replace(/[{}]/g, '');
  const workspace = state.addWorkspace({
    uuid: event.workspace.uuid,
    slug: event.workspace.slug ?? `ws-${bare(event.workspace.uuid).slice(0, 8)}`,
  });
  return state.addRepository({
    workspace: workspace.uuid,
    uuid: event.repository.uuid,
    slug: event.repository.slug ?? `repo-${bare(event.repository.uuid).slice(0, 8)}`,
    mainBranch,
  });
}

/**
 * The event lists commits without parents: they form a chain on top of `before` (a truncated list
 * is chained to `before` all the same). Bitbucket sends them newest first, `after` leading; an
 * oldest-first list is accepted too.
 */
function addPushedCommits(
  state: WorkspaceState,
  repository: RepositoryRecord,
  commits: PushCommit[],
  before: string | undefined,
  after: string,
): void {
  const oldestFirst = commits[0]?.hash === after ? [...commits].reverse() : commits;
  let parent = before;
  for (const commit of oldestFirst) {
    ensureCommit(state, repository, commit, parent);
    parent = commit.hash;
  }
}

function ensureCommit(state: WorkspaceState, repository: RepositoryRecord, commit: PushCommit, parent: string | undefined): void {
  if (repository.commits.has(commit.hash)) return;
  const message = typeof commit.message === 'string' ? commit.message : commit.message?.value;
  const accountId = commit.author?.user?.accountId;
  state.addCommit(repository, {
    hash: commit.hash,
    parents: parent !== undefined && repository.commits.has(parent) ? [parent] : [],
    ...(commit.date === undefined ? {} : { date: commit.date }),
    ...(message === undefined ? {} : { message }),
    author: { raw: commit.author?.raw ?? 'Unknown <unknown@example.invalid>', ...(accountId === undefined ? {} : { accountId }) },
  });
}
