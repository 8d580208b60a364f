import { HttpFault } from '../../src/core/http';
import type { DeployJob } from '../../src/core/job';
import { checkPaths, diffBase, type PathCheck, parsePathCheck } from '../../src/core/paths';
import { planPush } from '../../src/core/plan';
import { parsePushEvent } from '../../src/core/push-event';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import type { Target } from '../../src/core/targets';
import { commitOf, makePushEvent } from '../fixtures/events';
import tagPush from '../fixtures/events/tag-push.json';
import { makeDeployJob } from '../fixtures/jobs';
import { memoryPorts } from '../fixtures/ports';
import { makeTarget } from '../fixtures/targets';

const NOW = 1_763_633_700_000;
const filtered = (id: string, include: string[], exclude: string[] = []): Target =>
  makeTarget({ id, rules: { branches: ['main'], tags: ['v*'], paths: { include, exclude } } });
const plain = makeTarget({ id: 'plain', rules: { branches: ['main'], tags: ['v*'], paths: { include: [], exclude: [] } } });
const targets = [filtered('app', ['src/**']), filtered('docs', ['docs/**']), plain];

describe('planning path-filtered targets', () => {
  it('puts every filtered target of a branch push in one path check, and marks only the unfiltered as planned', () => {
    const plan = planPush(parsePushEvent(makePushEvent()), targets, NOW);
    expect(plan.jobs.map((job) => job.targetId)).toEqual(['plain']);
    expect(plan.pathCheck).toMatchObject({ kind: 'paths', targetIds: ['app', 'docs'] });
    expect(plan.planned.map((mark) => mark.lane)).toEqual(['plain']);
  });

  it('a tag push ignores path filters: a tag names exactly what to deploy', () => {
    const plan = planPush(parsePushEvent(tagPush), targets, NOW);
    expect(plan.pathCheck).toBeNull();
    expect(plan.jobs).toHaveLength(3);
    expect(plan.planned.map((mark) => mark.lane)).toEqual(['app', 'docs', 'plain']);
  });

  it('a commit with a skip marker skips without a diffstat', () => {
    const event = makePushEvent({
      push: { commits: [commitOf(makePushEvent().push.after as string, 'Tidy [skip ci]')] },
    });
    const plan = planPush(parsePushEvent(event), targets, NOW);
    expect(plan.pathCheck).toBeNull();
    expect(plan.jobs.every((job) => job.skipReason !== null)).toBe(true);
    expect(plan.planned).toEqual([]);
  });
});

describe('checkPaths', () => {
  const checkOf = (job: DeployJob = makeDeployJob({ targetId: 'app', previousCommit: 'b2'.repeat(20) })): PathCheck => ({
    kind: 'paths',
    v: 1,
    job,
    targetIds: ['app', 'docs'],
  });

  it('queues every job, with the reason on those whose filters match nothing, and marks the deploying ones planned', async () => {
    const h = memoryPorts(targets, () => 200);
    h.setChangedFiles({ paths: ['src/app.ts', 'README.md'], complete: true });
    expect(await checkPaths(checkOf(), 0, h.ports)).toMatchObject({
      kind: 'done',
      note: '1 of 2 path-filtered target(s) deploy (2 file(s) changed)',
    });
    expect(h.diffs).toHaveLength(1);
    expect(h.queued.map((job) => [job.targetId, job.skipReason])).toEqual([
      ['app', null],
      ['docs', 'none of the 2 changed files match the path filters'],
    ]);
    // Both targets coalesce (the default): only the deploying one's newest push is marked.
    expect([...h.newest.keys()]).toEqual(['app']);
  });

  it('compares a new branch with the main branch, and the first push of the main branch deploys without comparing', async () => {
    // The event says only that feature/x is not the main branch: its name comes from Bitbucket.
    const ports = { mainBranch: async () => 'main' };
    expect(
      await diffBase(makeDeployJob({ ref: { name: 'feature/x', type: 'branch' }, previousCommit: null, mainbranch: false }), ports),
    ).toBe('main');
    const h = memoryPorts(targets, () => 200);
    await checkPaths(checkOf(makeDeployJob({ targetId: 'app', previousCommit: null, mainbranch: true })), 0, h.ports);
    expect(h.diffs).toHaveLength(0);
    expect(h.queued.every((job) => job.skipReason === null)).toBe(true);
  });

  it('a diff too large to list deploys every filtered target', async () => {
    const h = memoryPorts(targets, () => 200);
    h.setChangedFiles({ paths: ['README.md'], complete: false });
    await checkPaths(checkOf(), 0, h.ports);
    expect(h.queued.map((job) => job.skipReason)).toEqual([null, null]);
  });

  it('a diffstat fault is retried through the queue, and after the last attempt the push deploys unfiltered', async () => {
    const h = memoryPorts(targets, () => 200);
    h.setChangedFiles(new HttpFault('server_error', 'Bitbucket diffstat answered 503', 503, 7));
    expect(await checkPaths(checkOf(), 0, h.ports)).toEqual({ kind: 'retry', afterSeconds: 7, reason: 'server_error' });
    expect(h.queued).toHaveLength(0);
    expect(await checkPaths(checkOf(), MAX_ATTEMPTS - 1, h.ports)).toMatchObject({ kind: 'done' });
    expect(h.queued.map((job) => job.skipReason)).toEqual([null, null]);
  });

  it('a malformed path check is refused with the field named', () => {
    expect(() => parsePathCheck({ kind: 'paths', v: 1, job: makeDeployJob(), targetIds: [] })).toThrow(/Malformed path check: .*targetIds/);
  });
});
