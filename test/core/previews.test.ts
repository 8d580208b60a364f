import { HttpFault } from '../../src/core/http';
import { laneOfJob } from '../../src/core/job';
import { planPush } from '../../src/core/plan';
import {
  checkPreview,
  type PreviewCheck,
  parsePreviewCheck,
  planClosedBranch,
  planPullRequest,
  tearDownClosedBranch,
} from '../../src/core/previews';
import { parsePullRequestEvent } from '../../src/core/pull-request-event';
import { parsePushEvent } from '../../src/core/push-event';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import type { Target } from '../../src/core/targets';
import { makePushEvent } from '../fixtures/events';
import created from '../fixtures/events/pullrequest-created.json';
import declined from '../fixtures/events/forge-docs-pullrequest-rejected.json';
import merged from '../fixtures/events/forge-docs-pullrequest-fulfilled.json';
import { memoryPorts } from '../fixtures/ports';
import { makeTarget } from '../fixtures/targets';

const NOW = 1_763_633_700_000;
const FULL = 'cc2758d231fc9b1e0a4f7c3d2e6b8a0f1c3e5d7b';
const rules = (branches: string[]) => ({ branches, tags: [], paths: { include: [], exclude: [] } });
const preview = (id: string, branches = ['master'], allowForks = false): Target =>
  makeTarget({ id, rules: rules(branches), preview: { allowForks } });
const branchTarget = makeTarget({ id: 'branches', rules: rules(['master', 'Joshua-Tang/**']) });

describe('pull-request events, as Forge documents them', () => {
  it("reads the docs' own declined and merged examples, and the created event: 12-character commits, merged and declined by name", () => {
    expect(parsePullRequestEvent(declined)).toMatchObject({
      action: 'declined',
      pullRequest: {
        id: 2,
        source: { branch: 'Joshua-Tang/gitignore-edited-online-with-bitbucket-1683871668235', commit: 'cc2758d231fc' },
      },
    });
    expect(parsePullRequestEvent(merged).action).toBe('merged');
    expect(parsePullRequestEvent(created)).toMatchObject({ action: 'created', pullRequest: { title: 'PR title', destination: 'master' } });
  });

  it('refuses a malformed event with every problem named', () => {
    const broken = { ...created, pullrequest: { ...created.pullrequest, id: 'two', source: { branch: 'x', commit: { hash: 'not-hex' } } } };
    expect(() => parsePullRequestEvent(broken)).toThrow(
      /Malformed pull request event: pullrequest.id: .*; pullrequest.source.commit.hash: must be a commit hash/,
    );
  });
});

describe('planning previews', () => {
  it('takes the enabled preview targets whose rules match the destination, in one check; push planning leaves them out', () => {
    const targets = [preview('into-master'), preview('into-main', ['main']), { ...preview('off'), enabled: false }, branchTarget];
    const plan = planPullRequest(parsePullRequestEvent(created), targets, NOW);
    expect(plan.check).toMatchObject({ kind: 'pullrequest', targetIds: ['into-master'], preview: { action: 'deploy' } });
    expect(planPullRequest(parsePullRequestEvent(declined), targets, NOW).check?.preview.action).toBe('teardown');
    expect(planPullRequest(parsePullRequestEvent(created), [branchTarget], NOW)).toMatchObject({
      check: null,
      ignoredBecause: 'no enabled preview target takes pull requests into master',
    });
    const push = makePushEvent({ push: { ref: 'master' } });
    expect(planPush(parsePushEvent(push), targets, NOW).jobs.map((job) => job.targetId)).toEqual(['branches']);
  });

  it('is the same plan for the same event delivered twice (its ids come from the event, not the clock)', () => {
    const event = parsePullRequestEvent(created);
    expect(planPullRequest(event, [preview('p')], NOW)).toEqual(planPullRequest(event, [preview('p')], NOW + 60_000));
  });
});

describe('deciding a preview check', () => {
  const checkOf = (event: unknown, targets: Target[]): PreviewCheck =>
    parsePreviewCheck(JSON.parse(JSON.stringify(planPullRequest(parsePullRequestEvent(event), targets, NOW).check)));

  it('asks Bitbucket for the source and the full commit, queues one job per target in its pull request’s lane, and marks them planned', async () => {
    const targets = [preview('a'), preview('b')];
    const h = memoryPorts(targets, () => 200);
    h.setPullRequests({ source: { repository: { uuid: 'r', fullName: 'acme/web' } }, commits: [FULL] });
    const check = checkOf(created, targets);
    const result = await checkPreview({ ...check, repository: { uuid: 'r', workspaceUuid: 'w' } }, 0, h.ports);
    expect(result).toMatchObject({ kind: 'done', note: "deploy of pull request #2's preview queued for 2 of 2 target(s)" });
    expect(h.bitbucketAsked).toEqual([
      { what: 'pull request', of: '2' },
      { what: 'commit', of: 'w/r@cc2758d231fc' },
    ]);
    expect(h.queued.map((job) => [laneOfJob(job), job.commit.hash, job.ref.name, job.preview?.action])).toEqual([
      ['a.pr2', FULL, 'Joshua-Tang/gitignore-edited-online-with-bitbucket-1683871668235', 'deploy'],
      ['b.pr2', FULL, 'Joshua-Tang/gitignore-edited-online-with-bitbucket-1683871668235', 'deploy'],
    ]);
    expect([...h.planned.keys()]).toEqual(['a.pr2', 'b.pr2']);
  });

  it("blocks a fork's pull request on a target that does not allow forks, resolving its commit in the fork", async () => {
    const targets = [preview('strict'), preview('open', ['master'], true)];
    const h = memoryPorts(targets, () => 200);
    h.setPullRequests({ source: { repository: { uuid: 'fork', fullName: 'someone/web' } }, commits: [FULL] });
    await checkPreview(checkOf(created, targets), 0, h.ports);
    expect(h.bitbucketAsked[1]).toEqual({ what: 'commit', of: 'someone/web@cc2758d231fc' });
    expect(h.queued.map((job) => [job.targetId, job.refusal?.state ?? 'deploys'])).toEqual([
      ['strict', 'blocked'],
      ['open', 'deploys'],
    ]);
    expect(h.queued[0]?.refusal?.message).toContain('comes from a fork (someone/web)');
  });

  it('retries a Bitbucket fault with back-off, then records every job as failed with why: never dropped', async () => {
    const targets = [preview('a')];
    const h = memoryPorts(targets, () => 200);
    h.setPullRequests(new HttpFault('server_error', 'Bitbucket pull request answered 503', 503, null));
    const check = checkOf(created, targets);
    const first = await checkPreview(check, 0, h.ports);
    expect(first).toMatchObject({ kind: 'retry', reason: 'server_error' });
    expect(h.queued).toEqual([]);
    await checkPreview(check, MAX_ATTEMPTS - 1, h.ports);
    expect(h.queued.map((job) => [job.commit.hash, job.refusal])).toEqual([
      [
        'cc2758d231fc',
        {
          state: 'failed',
          message: `Bitbucket could not be asked for this pull request's commit after ${MAX_ATTEMPTS} attempts: Bitbucket pull request answered 503`,
        },
      ],
    ]);
  });

  it('records a commit Bitbucket does not know as failed at once: no retry can change a 404', async () => {
    const targets = [preview('a')];
    const h = memoryPorts(targets, () => 200);
    const result = await checkPreview(checkOf(created, targets), 0, h.ports);
    expect(result.kind).toBe('done');
    expect(h.queued[0]?.refusal).toEqual({
      state: 'failed',
      message:
        "Bitbucket could not tell this pull request's commit cc2758d231fc: Bitbucket commit answered 404: Commit not found: cc2758d231fc",
    });
    expect(h.planned.size).toBe(0);
  });

  it('a paused target skips the preview but still tears it down', async () => {
    const targets = [{ ...preview('p'), paused: true }];
    const h = memoryPorts(targets, () => 200);
    h.setPullRequests({ source: { repository: { uuid: 'r', fullName: 'acme/web' } }, commits: [FULL] });
    await checkPreview({ ...checkOf(created, targets), repository: { uuid: 'r', workspaceUuid: 'w' } }, 0, h.ports);
    await checkPreview({ ...checkOf(declined, targets), repository: { uuid: 'r', workspaceUuid: 'w' } }, 0, h.ports);
    expect(h.queued.map((job) => [job.preview?.action, job.skipReason])).toEqual([
      ['deploy', 'automatic deploys of this target are paused'],
      ['teardown', null],
    ]);
  });
});

describe('a deleted branch and its pull requests, delivered in any order', () => {
  const targets = [preview('a')];
  // The repository Bitbucket's stand-in answers with: its own branch, not a fork's.
  const checkOf = (event: unknown, timestamp?: string): PreviewCheck => ({
    ...parsePreviewCheck(
      JSON.parse(
        JSON.stringify(planPullRequest(parsePullRequestEvent(timestamp ? { ...(event as object), timestamp } : event), targets, NOW).check),
      ),
    ),
    repository: { uuid: 'r', workspaceUuid: 'w' },
  });
  const deletionOf = (timestamp: string) => {
    const push = makePushEvent({
      timestamp,
      push: { ref: created.pullrequest.source.branch, before: FULL, after: null, closed: true, commits: [] },
    });
    const check = planClosedBranch(parsePushEvent(push), 'd-deleted', targets, NOW);
    if (!check) throw new Error('a deleted branch with a preview target makes a check');
    return check;
  };
  const actions = (h: ReturnType<typeof memoryPorts>) =>
    h.queued.map((job) => [laneOfJob(job), job.preview?.action, job.order, job.commit.hash]);
  // The created event is at 05:41:07; the branch is deleted at 05:50.
  const deletion = deletionOf('2026-03-23T05:50:00.000000Z');
  const withCommit = () => {
    const h = memoryPorts(targets, () => 200);
    h.setPullRequests({ source: { repository: { uuid: 'r', fullName: 'acme/web' } }, commits: [FULL] });
    return h;
  };

  it("deleted before its pull request's earlier event is checked: that check tears down the preview it queues", async () => {
    const h = withCommit();
    expect(await tearDownClosedBranch(deletion, h.ports)).toMatchObject({ note: expect.stringContaining('no preview was made from it') });
    const check = checkOf(created);
    await checkPreview(check, 0, h.ports);
    expect(actions(h)).toEqual([
      ['a.pr2', 'deploy', check.order, FULL],
      ['a.pr2', 'teardown', deletion.order, FULL],
    ]);
  });

  it("deleted after a check whose job has not acted yet (no preview sent, so none listed): the check's note is torn down", async () => {
    const h = withCommit();
    await checkPreview(checkOf(created), 0, h.ports);
    await tearDownClosedBranch(deletion, h.ports);
    expect(actions(h).slice(1)).toEqual([['a.pr2', 'teardown', deletion.order, FULL]]);
    // The check, redelivered now, reads the deletion: it makes the very teardown the deletion made.
    await checkPreview(checkOf(created), 0, h.ports);
    expect(h.queued[3]?.jobKey).toBe(h.queued[1]?.jobKey);
  });

  it('a pull request updated after its branch was deleted and pushed again deploys, and is not torn down', async () => {
    const h = withCommit();
    await tearDownClosedBranch(deletion, h.ports);
    await checkPreview(checkOf(created, '2026-03-23T06:00:00.000000Z'), 0, h.ports);
    expect(actions(h).map(([, action]) => action)).toEqual(['deploy']);
  });

  it("a fork's branch of the same name is another branch: its check neither notes nor reads the deletion", async () => {
    const h = memoryPorts([preview('a', ['master'], true)], () => 200);
    h.setPullRequests({ source: { repository: { uuid: 'fork', fullName: 'someone/web' } }, commits: [FULL] });
    await tearDownClosedBranch(deletion, h.ports);
    await checkPreview(checkOf(created), 0, h.ports);
    await tearDownClosedBranch(deletion, h.ports);
    expect(actions(h).map(([, action]) => action)).toEqual(['deploy']);
  });
});
