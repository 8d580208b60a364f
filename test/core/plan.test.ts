import { planPush } from '../../src/core/plan';
import { parsePushEvent } from '../../src/core/push-event';
import { commitOf, makePushEvent } from '../fixtures/events';
import { makeTarget } from '../fixtures/targets';
import { DEFAULT_OPTIONS } from '../../src/core/targets';
import deletedBranch from '../fixtures/events/deleted-branch.json';
import skipMarker from '../fixtures/events/skip-marker.json';
import tagPush from '../fixtures/events/tag-push.json';

const NOW = 1_763_633_702_123;

describe('planPush', () => {
  const staging = makeTarget({ id: 'staging', rules: { branches: ['main'], tags: [], paths: { include: [], exclude: [] } } });
  const production = makeTarget({ id: 'production', rules: { branches: [], tags: ['v*'], paths: { include: [], exclude: [] } } });

  it('makes one job per matching enabled target, carrying the commit and the delivery id', () => {
    const plan = planPush(parsePushEvent(makePushEvent()), [staging, production], NOW);
    expect(plan.jobs.map((job) => job.targetId)).toEqual(['staging']);
    const [job] = plan.jobs;
    expect(job).toMatchObject({
      deliveryId: plan.deliveryId,
      trigger: 'push',
      ref: { name: 'main', type: 'branch' },
      skipReason: null,
      // The push's own time, not the planning time: a redelivery later makes the very same job.
      createdAt: Date.parse(makePushEvent().timestamp),
      order: Date.parse(makePushEvent().timestamp) * 1000,
    });
    expect(job?.commit.hash).toBe(makePushEvent().push.after);
  });

  it('gives a redelivered event the same jobs, whenever it comes', () => {
    expect(planPush(parsePushEvent(makePushEvent()), [staging], NOW)).toEqual(
      planPush(parsePushEvent(makePushEvent()), [staging], NOW + 3_600_000),
    );
  });

  it('gives a redelivered event the same delivery id and job keys', () => {
    const first = planPush(parsePushEvent(makePushEvent()), [staging], NOW);
    const again = planPush(parsePushEvent(makePushEvent()), [staging], NOW + 5000);
    expect(again.deliveryId).toBe(first.deliveryId);
    expect(again.jobs[0]?.jobKey).toBe(first.jobs[0]?.jobKey);
  });

  it('gives a different push a different delivery id', () => {
    const first = planPush(parsePushEvent(makePushEvent()), [staging], NOW);
    const other = planPush(parsePushEvent(makePushEvent({ timestamp: '2026-11-20T11:00:00.000Z' })), [staging], NOW);
    expect(other.deliveryId).not.toBe(first.deliveryId);
  });

  it('deploys a tag push only to targets with tag patterns', () => {
    const plan = planPush(parsePushEvent(tagPush), [staging, production], NOW);
    expect(plan.jobs.map((job) => job.targetId)).toEqual(['production']);
  });

  it('a push to a deleted branch deploys nothing', () => {
    const plan = planPush(
      parsePushEvent(deletedBranch),
      [makeTarget({ rules: { branches: ['**'], tags: [], paths: { include: [], exclude: [] } } })],
      NOW,
    );
    expect(plan.jobs).toEqual([]);
    expect(plan.ignoredBecause).toBe('branch feature/login was deleted');
  });

  it('skips disabled targets', () => {
    const plan = planPush(parsePushEvent(makePushEvent()), [makeTarget({ enabled: false })], NOW);
    expect(plan.jobs).toEqual([]);
    expect(plan.ignoredBecause).toBe('no enabled target matches this ref');
  });

  it('keeps a job for a skip marker so the skip is recorded, unless the target ignores markers', () => {
    const honouring = makeTarget({ id: 'a' });
    const ignoring = makeTarget({ id: 'b', options: { ...DEFAULT_OPTIONS, skipMarkers: false } });
    const plan = planPush(parsePushEvent(skipMarker), [honouring, ignoring], NOW);
    expect(plan.jobs.map((job) => [job.targetId, job.skipReason])).toEqual([
      ['a', 'the commit message contains [skip ci]'],
      ['b', null],
    ]);
  });

  it('keeps a job for a paused target, carrying why, and plans no push for it', () => {
    const plan = planPush(parsePushEvent(makePushEvent()), [makeTarget({ id: 'a', paused: true }), makeTarget({ id: 'b' })], NOW);
    expect(plan.jobs.map((job) => [job.targetId, job.skipReason])).toEqual([
      ['a', 'automatic deploys of this target are paused'],
      ['b', null],
    ]);
    expect(plan.planned.map((mark) => mark.lane)).toEqual(['b']);
  });

  it('ignores pushes the app made itself', () => {
    const plan = planPush(parsePushEvent(makePushEvent({ selfGenerated: true })), [staging], NOW);
    expect(plan.jobs).toEqual([]);
  });

  it('cuts long commit messages so 50 jobs fit in one queue push', () => {
    const long = 'x'.repeat(10_000);
    const event = makePushEvent({ push: { commits: [commitOf(makePushEvent().push.after as string, long)] } });
    const plan = planPush(parsePushEvent(event), [staging], NOW);
    expect(plan.jobs[0]?.commit.message).toHaveLength(2000);
  });
});
