import * as z from 'zod/mini';
import { PlatformFault, StaleStateError } from './errors';
import { HttpFault, HttpRejected } from './http';
import { type Preview, previewSchema } from './job';
import type { Logger } from './log';
import { retryDelaySeconds } from './retry';
import type { DeploymentState } from './deployment';
import { type DeliveryResult, platformRetrySeconds } from './run';
import { hasKind, parseOrRefuse } from './zod-messages';

/**
 * One comment on a pull request links each of its previews: created once, then edited in place as
 * they change, never posted again per push. Each lane's last sent record leaves a summary (store:
 * written with the record), and a refresh, queued after a preview's record changed, renders them all.
 *
 * Exactly one comment, although Forge may run two refreshes at once or stop one halfway: the comment's
 * entry (its Bitbucket id and what it last said) is written conditionally, and only the refresh holding
 * its claim may post. A refresh stopped after posting and before recording the id leaves a comment the
 * next claimant finds by its heading on the pull request, and adopts rather than posting another.
 */

export const COMMENT_HEADING = '**Deploy Relay previews**';
/** How long a claim keeps other refreshes from posting: longer than one refresh takes. */
const CLAIM_MS = 60_000;

/** What a preview target's lane last sent for a pull request: one line of the comment, one row of the Previews tab. */
export const previewSummarySchema = z.object({
  targetId: z.string(),
  targetName: z.string(),
  environment: z.string(),
  preview: previewSchema,
  sourceBranch: z.string(),
  commit: z.string(),
  state: z.string(),
  message: z.string(),
  url: z.nullable(z.string()),
  updatedAt: z.number(),
});
export type PreviewSummary = Omit<z.infer<typeof previewSummarySchema>, 'state'> & { state: DeploymentState };

export interface CommentEntry {
  version: number;
  commentId: number | null;
  body: string | null;
  claim: { token: string; until: number } | null;
}

export interface CommentRefresh {
  kind: 'comment';
  v: 1;
  repository: { uuid: string; workspaceUuid: string };
  pullRequestId: number;
}

const refreshSchema = z.object({
  kind: z.literal('comment'),
  v: z.literal(1),
  repository: z.object({ uuid: z.string(), workspaceUuid: z.string() }),
  pullRequestId: z.number().check(z.int(), z.positive()),
});

export const isCommentRefresh = (body: unknown): boolean => hasKind(body, 'comment');
export const parseCommentRefresh = (body: unknown): CommentRefresh => parseOrRefuse(refreshSchema, body, 'comment refresh');

const commentRefreshOf = (repository: CommentRefresh['repository'], preview: Preview): CommentRefresh => ({
  kind: 'comment',
  v: 1,
  repository,
  pullRequestId: preview.pullRequest.id,
});

/** Seconds before an event whose comment refresh could not be queued runs again. */
const REQUEUE_SECONDS = 30;

/**
 * After a job or a status read: when it moved a preview's record, the pull request's comment is
 * refreshed. A refresh the queue refuses makes the event run again: its redelivery finds the record as
 * it left it and asks again, so the comment's last change is never lost.
 */
export async function thenRefreshComment(
  result: DeliveryResult,
  repository: CommentRefresh['repository'],
  queue: (refresh: CommentRefresh) => Promise<void>,
): Promise<DeliveryResult> {
  if (result.kind !== 'done' || !result.record?.preview) return result;
  try {
    await queue(commentRefreshOf(repository, result.record.preview));
    return result;
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    return { kind: 'retry', afterSeconds: platformRetrySeconds(error, REQUEUE_SECONDS), reason: 'comment refresh not queued' };
  }
}

export interface CommentPorts {
  listPreviews(repositoryUuid: string, pullRequestId: number): Promise<PreviewSummary[]>;
  /** The comment's entry, or null when none was written yet. */
  readComment(repositoryUuid: string, pullRequestId: number): Promise<CommentEntry | null>;
  /** Writes the entry if it is still at `from` (null: none yet); StaleStateError otherwise. */
  writeComment(repositoryUuid: string, pullRequestId: number, from: CommentEntry | null, to: Omit<CommentEntry, 'version'>): Promise<void>;
  /** The app's own comment on the pull request, found by its heading (an id a stopped refresh did not record). */
  findComment(refresh: CommentRefresh): Promise<number | null>;
  postComment(refresh: CommentRefresh, body: string): Promise<number>;
  editComment(refresh: CommentRefresh, commentId: number, body: string): Promise<void>;
  log: Logger;
  now(): number;
  random?: () => number;
  newToken(): string;
}

const WORDS: Partial<Record<DeploymentState, string>> = {
  requested: 'requested',
  succeeded: 'live',
  in_progress: 'deploying',
  sending: 'deploying',
  retrying: 'retrying',
  waiting: 'waiting',
  failed: 'failed',
  blocked: 'not previewed',
  unknown: 'outcome unknown',
  canceled: 'canceled',
};

/** The comment's text: one line per preview target, in the order of their ids. */
export function renderComment(previews: readonly PreviewSummary[]): string {
  const lines = [...previews]
    .sort((a, b) => (a.targetId < b.targetId ? -1 : 1))
    .map((p) => {
      const where = p.url ? `[${p.url}](${p.url})` : 'no address given';
      if (p.preview.action === 'teardown')
        return `- **${p.targetName}** (${p.environment}): torn down (${p.state === 'failed' ? `failed: ${p.message}` : p.message})`;
      return `- **${p.targetName}** (${p.environment}): ${WORDS[p.state] ?? p.state}, ${where}, commit \`${p.commit.slice(0, 12)}\``;
    });
  return [COMMENT_HEADING, '', ...lines].join('\n');
}

export async function refreshComment(refresh: CommentRefresh, ports: CommentPorts, attempt: number): Promise<DeliveryResult> {
  const log = ports.log.child({ pullRequest: refresh.pullRequestId });
  try {
    for (let pass = 1; ; pass += 1) {
      try {
        return await refreshOnce(refresh, ports, log);
      } catch (error) {
        if (!(error instanceof StaleStateError) || pass >= 3) throw error;
      }
    }
  } catch (error) {
    if (!(error instanceof HttpFault || error instanceof PlatformFault || error instanceof StaleStateError)) throw error;
    const afterSeconds = retryDelaySeconds(attempt, error instanceof HttpFault ? error.retryAfterSeconds : null, ports.random);
    log.warn('pull request comment not refreshed yet; retrying', { error: error.message, afterSeconds });
    return { kind: 'retry', afterSeconds, reason: 'comment' };
  }
}

async function refreshOnce(refresh: CommentRefresh, ports: CommentPorts, log: Logger): Promise<DeliveryResult> {
  const { uuid: repo } = refresh.repository;
  const id = refresh.pullRequestId;
  const previews = await ports.listPreviews(repo, id);
  if (previews.length === 0) return { kind: 'done', record: null, note: 'no preview to comment on' };
  const body = renderComment(previews);
  const entry = await ports.readComment(repo, id);
  if (entry?.commentId != null) {
    if (entry.body === body) return { kind: 'done', record: null, note: 'the comment already says this' };
    try {
      await ports.editComment(refresh, entry.commentId, body);
      await ports.writeComment(repo, id, entry, { ...entry, body });
      return { kind: 'done', record: null, note: `comment ${entry.commentId} edited` };
    } catch (error) {
      // Deleted by a person: the comment is posted again, once, below.
      if (!(error instanceof HttpRejected && error.status === 404)) throw error;
      log.info('the pull request comment was deleted; posting it again');
    }
  }
  const now = ports.now();
  if (entry?.claim && entry.claim.until > now) {
    // Another refresh is posting: this one edits the comment once that one has recorded it.
    throw new StaleStateError(`the comment on pull request ${id}, being posted`);
  }
  const token = ports.newToken();
  await ports.writeComment(repo, id, entry, { commentId: null, body: null, claim: { token, until: now + CLAIM_MS } });
  const claimed = await ports.readComment(repo, id);
  if (claimed?.claim?.token !== token) throw new StaleStateError(`the comment on pull request ${id}, claimed by another`);
  const found = await ports.findComment(refresh);
  if (found !== null) await ports.editComment(refresh, found, body);
  const commentId = found ?? (await ports.postComment(refresh, body));
  await ports.writeComment(repo, id, claimed, { commentId, body, claim: null });
  log.info(found === null ? 'pull request comment posted' : 'pull request comment adopted', { commentId });
  return { kind: 'done', record: null, note: `comment ${commentId} ${found === null ? 'posted' : 'adopted'}` };
}
