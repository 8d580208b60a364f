import type { Deployment } from '../../src/core/deployment';
import { PlatformFault, StaleStateError } from '../../src/core/errors';
import { HttpRejected } from '../../src/core/http';
import { createLogger } from '../../src/core/log';
import {
  COMMENT_HEADING,
  type CommentEntry,
  type CommentPorts,
  type CommentRefresh,
  type PreviewSummary,
  refreshComment,
  renderComment,
  thenRefreshComment,
} from '../../src/core/preview-comment';

const REFRESH: CommentRefresh = { kind: 'comment', v: 1, repository: { uuid: 'r', workspaceUuid: 'w' }, pullRequestId: 7 };

const summary = (commit: string, overrides: Partial<PreviewSummary> = {}): PreviewSummary => ({
  targetId: 'previews',
  targetName: 'Previews',
  environment: 'preview',
  preview: { action: 'deploy', pullRequest: { id: 7, title: 'T', destination: 'main', author: null } },
  sourceBranch: 'feature/x',
  commit,
  state: 'succeeded',
  message: 'Live',
  url: 'https://pr-7.preview.example.com',
  updatedAt: 0,
  ...overrides,
});

/** A pull request's comments and the comment's entry, kept as Bitbucket and the store would; a write at a stale version is refused. */
function world(previews: PreviewSummary[]) {
  let clock = 1_000_000;
  let tokens = 0;
  let entry: CommentEntry | null = null;
  const comments = new Map<number, string>();
  let nextId = 100;
  /** Makes the next entry write that records a comment id fail, as a stopped invocation would leave it. */
  let stopBeforeRecording = false;
  const ports: CommentPorts = {
    listPreviews: async () => previews,
    readComment: async () => entry,
    writeComment: async (_repo, _id, from, to) => {
      if ((from?.version ?? 0) !== (entry?.version ?? 0)) throw new StaleStateError('comment');
      if (stopBeforeRecording && to.commentId !== null) {
        stopBeforeRecording = false;
        throw new Error('invocation stopped');
      }
      entry = { version: (entry?.version ?? 0) + 1, ...to };
    },
    findComment: async () => [...comments].find(([, raw]) => raw.startsWith(COMMENT_HEADING))?.[0] ?? null,
    postComment: async (_refresh, body) => {
      nextId += 1;
      comments.set(nextId, body);
      return nextId;
    },
    editComment: async (_refresh, id, body) => {
      if (!comments.has(id)) throw new HttpRejected('Bitbucket pull request comment answered 404: not found', 404);
      comments.set(id, body);
    },
    log: createLogger(() => undefined),
    now: () => clock,
    random: () => 0.5,
    newToken: () => `t${++tokens}`,
  };
  return {
    ports,
    comments,
    previews,
    entry: () => entry,
    advance: (ms: number) => void (clock += ms),
    stopBeforeRecording: () => void (stopBeforeRecording = true),
  };
}

describe("a pull request's one comment", () => {
  it('is posted once, then edited in place when a preview moves on, and left alone when nothing changed', async () => {
    const w = world([summary('a'.repeat(40))]);
    expect(await refreshComment(REFRESH, w.ports, 0)).toMatchObject({ kind: 'done', note: 'comment 101 posted' });
    w.previews.splice(0, 1, summary('b'.repeat(40)));
    expect(await refreshComment(REFRESH, w.ports, 0)).toMatchObject({ note: 'comment 101 edited' });
    expect(await refreshComment(REFRESH, w.ports, 0)).toMatchObject({ note: 'the comment already says this' });
    expect([...w.comments.values()]).toEqual([renderComment([summary('b'.repeat(40))])]);
    expect(w.comments.get(101)).toContain('[https://pr-7.preview.example.com](https://pr-7.preview.example.com), commit `bbbbbbbbbbbb`');
  });

  it('two refreshes at once post one comment: the one that loses the claim reads again and finds it said', async () => {
    const w = world([summary('a'.repeat(40))]);
    const both = await Promise.all([refreshComment(REFRESH, w.ports, 0), refreshComment(REFRESH, w.ports, 0)]);
    expect(both.map((result) => (result.kind === 'done' ? result.note : result.kind)).sort()).toEqual([
      'comment 101 posted',
      'the comment already says this',
    ]);
    expect(w.comments.size).toBe(1);
  });

  it('a refresh that finds another one posting retries later, with back-off, and posts nothing', async () => {
    const w = world([summary('a'.repeat(40))]);
    await w.ports.writeComment('r', 7, null, { commentId: null, body: null, claim: { token: 'theirs', until: 1_000_000 + 30_000 } });
    expect(await refreshComment(REFRESH, w.ports, 0)).toMatchObject({ kind: 'retry', reason: 'comment' });
    expect(w.comments.size).toBe(0);
  });

  it('a refresh stopped after posting, before recording the id: the next one, once the claim lapsed, adopts that comment', async () => {
    const w = world([summary('a'.repeat(40))]);
    w.stopBeforeRecording();
    await expect(refreshComment(REFRESH, w.ports, 0)).rejects.toThrow('invocation stopped');
    expect(await refreshComment(REFRESH, w.ports, 1)).toMatchObject({ kind: 'retry' });
    w.advance(60_001);
    w.previews.splice(0, 1, summary('c'.repeat(40)));
    expect(await refreshComment(REFRESH, w.ports, 2)).toMatchObject({ note: 'comment 101 adopted' });
    expect([...w.comments.keys()]).toEqual([101]);
    expect(w.comments.get(101)).toContain('commit `cccccccccccc`');
    expect(w.entry()).toMatchObject({ commentId: 101, claim: null });
  });

  it('a comment a person deleted is posted again, once', async () => {
    const w = world([summary('a'.repeat(40))]);
    await refreshComment(REFRESH, w.ports, 0);
    w.comments.clear();
    w.previews.splice(0, 1, summary('d'.repeat(40)));
    expect(await refreshComment(REFRESH, w.ports, 0)).toMatchObject({ note: 'comment 102 posted' });
    expect([...w.comments.keys()]).toEqual([102]);
  });

  it('says what each target did, torn down ones included, in the order of their ids', () => {
    const text = renderComment([
      summary('e'.repeat(40), { targetId: 'z-hook', targetName: 'Zed', state: 'requested', url: null }),
      summary('e'.repeat(40), {
        targetId: 'a-hook',
        targetName: 'Ay',
        message: 'The receiver accepted the teardown (200)',
        state: 'requested',
        preview: { ...summary('').preview, action: 'teardown' },
      }),
    ]);
    expect(text.split('\n')).toEqual([
      COMMENT_HEADING,
      '',
      '- **Ay** (preview): torn down (The receiver accepted the teardown (200))',
      '- **Zed** (preview): requested, no address given, commit `eeeeeeeeeeee`',
    ]);
  });
});

describe('after a preview moved', () => {
  const record = { preview: summary('a'.repeat(40)).preview } as unknown as Deployment;
  const done = { kind: 'done' as const, record, note: 'Live' };

  it('queues a refresh of its pull request’s comment, and runs the event again when the queue refuses it', async () => {
    const queued: CommentRefresh[] = [];
    expect(await thenRefreshComment(done, REFRESH.repository, async (r) => void queued.push(r))).toBe(done);
    expect(queued).toEqual([REFRESH]);
    const refusing = async () => {
      throw new PlatformFault('Forge queue (comment refresh) refused the push: Too many requests.', null, true);
    };
    expect(await thenRefreshComment(done, REFRESH.repository, refusing)).toMatchObject({
      kind: 'retry',
      reason: 'comment refresh not queued',
    });
  });

  it('queues nothing for a deploy that is no preview, or a result that is a retry', async () => {
    const queued: CommentRefresh[] = [];
    const queue = async (r: CommentRefresh) => void queued.push(r);
    await thenRefreshComment({ kind: 'done', record: { ...record, preview: undefined }, note: '' }, REFRESH.repository, queue);
    await thenRefreshComment({ kind: 'retry', afterSeconds: 5, reason: 'x' }, REFRESH.repository, queue);
    expect(queued).toEqual([]);
  });
});
