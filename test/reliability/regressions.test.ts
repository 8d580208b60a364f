// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { hookTarget, SIGNING_SECRET, startApp, type TestApp } from '../platform/app';
import { Queue } from '@forge/events';
import { harshProfile } from '../../local/harsh';
import { planPush } from '../../src/core/plan';
import { parsePushEvent } from '../../src/core/push-event';
import { DEFAULT_OPTIONS, type Target } from '../../src/core/targets';
import { putSecrets, putTargets } from '../../src/forge/store';
import { commitOf, FIXTURE_REPOSITORY_UUID, makePushEvent } from '../fixtures/events';
import docsPush from '../fixtures/events/forge-docs-commit-push.json';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor } from '../providers/loopback-vendor';
import { secretsSavedFor } from '../../src/providers/registry';

/**
 * Issue 9's cases, each a test of its own on the local platform with the real SDK: the ways the
 * delivery promises broke when Forge did what it is allowed to (deliver late, out of order, twice,
 * two at once, lose an answer, fail a queue push).
 */

let app: TestApp;
afterEach(async () => app?.close());

const A = 'a1'.repeat(20);
const B = 'b2'.repeat(20);
const C = 'c3'.repeat(20);
const at = (second: number) => `2026-11-20T10:16:${String(second).padStart(2, '0')}.000000Z`;
const pushOf = (second: number, before: string | null, after: string, extra: Record<string, unknown> = {}) =>
  makePushEvent({ timestamp: at(second), push: { before, after, commits: [commitOf(after, `to ${after.slice(0, 2)}`)], ...extra } });
/** The commits the receiver accepted, in the order it accepted them (never sorted). */
const accepted = () =>
  app.receiver.deliveries.filter((d) => d.status === 200).map((d) => (JSON.parse(d.body) as { commit: { hash: string } }).commit.hash);
const noCoalescing = { ...DEFAULT_OPTIONS, coalesce: false };

it("the Forge docs' own example push deploys (it was refused for its boolean mainbranch)", async () => {
  app = await startApp();
  await app.platform.run(async () => {
    await putTargets({
      schemaVersion: 1,
      repository: { uuid: docsPush.repository.uuid, workspaceUuid: docsPush.workspace.uuid, fullName: 'docs/example' },
      targets: [hookTarget(app.receiver)],
    });
    await putSecrets(
      docsPush.repository.uuid,
      'staging-hook',
      secretsSavedFor(hookTarget(app.receiver), { signingSecret: SIGNING_SECRET }),
    );
  });
  await app.platform.emit(docsPush);
  await app.platform.drain();
  expect(accepted()).toEqual([docsPush.push.after]);
});

it('git rollback: pushes of A, B, then a forced push back to A deploy A, B, A', async () => {
  app = await startApp();
  await app.configure([hookTarget(app.receiver)]);
  for (const event of [pushOf(1, null, A), pushOf(2, A, B), pushOf(3, B, A, { forced: true })]) {
    await app.platform.emit(event);
    await app.platform.drain();
  }
  expect(accepted()).toEqual([A, B, A]);
});

it('a forced push back to the commit the target runs, then the late event of the push in between: the target stays on the rolled-back commit', async () => {
  app = await startApp();
  await app.configure([hookTarget(app.receiver)]);
  await app.platform.emit(pushOf(1, null, A));
  await app.platform.drain();
  // The push to B (second 2) is delivered only after the forced push back to A (second 3).
  await app.platform.emit(pushOf(3, B, A, { forced: true }));
  await app.platform.drain();
  await app.platform.emit(pushOf(2, A, B));
  await app.platform.drain();
  expect(accepted()).toEqual([A]);
  const states = (await app.history()).map((d) => `${d.commit.hash.slice(0, 2)} ${d.state}`);
  expect(states).toEqual(['a1 skipped', 'b2 superseded', 'a1 requested']);
});

describe.each([
  ['on', DEFAULT_OPTIONS],
  ['off', noCoalescing],
])('late older push (coalescing %s)', (_name, options) => {
  it('is recorded as superseded with the reason and never deploys over the newer one', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver, { options })]);
    await app.platform.emit(pushOf(5, A, B));
    await app.platform.drain();
    // Bitbucket delivers the older push's event only now.
    await app.platform.emit(pushOf(4, null, A));
    await app.platform.drain();
    expect(accepted()).toEqual([B]);
    const late = (await app.history()).find((d) => d.commit.hash === A);
    expect(late).toMatchObject({ state: 'superseded', message: 'Superseded: a newer push (main b2b2b2b) was already sent' });
  });
});

it('coalescing off: pushes whose jobs the queue runs out of order still deploy, in push order', async () => {
  // Only reordering: the queue runs whichever due event it likes.
  app = await startApp({
    harsh: harshProfile(2, { duplicateRate: 0, overlapRate: 0, crashRate: 0, kvsWriteFailRate: 0, queuePushFailRate: 0 }),
  });
  await app.configure([hookTarget(app.receiver, { options: noCoalescing })]);
  for (const event of [pushOf(1, null, A), pushOf(2, A, B), pushOf(3, B, C)]) await app.platform.emit(event);
  await app.platform.drain();
  expect(app.platform.harshFaults().get('reordered')).toBeGreaterThan(0);
  expect(accepted()).toEqual([A, B, C]);
});

it('two refs at one commit feeding one target: the target ends on the newest push, sent in push order, and the commit shows it', async () => {
  // The first request (main @ A) meets a 503; every later one is accepted.
  app = await startApp({ respond: (index) => (index === 0 ? 503 : 200) });
  await app.configure([hookTarget(app.receiver, { branches: ['main', 'release/*'] })]);
  await app.platform.emit(pushOf(0, null, A));
  await app.platform.drain({ advanceClock: false });
  await app.platform.emit(
    makePushEvent({ timestamp: at(1), push: { ref: 'release/1', before: null, after: A, created: true, commits: [] } }),
  );
  await app.platform.drain({ advanceClock: false });
  await app.platform.emit(pushOf(2, A, B));
  await app.platform.drain();
  const states = Object.fromEntries((await app.history()).map((d) => [`${d.ref.name}@${d.commit.hash.slice(0, 2)}`, d.state]));
  // main @ A's retry comes after release/1 sent A: a newer push carried its commit, so it steps aside.
  expect(states).toEqual({ 'main@a1': 'skipped', 'release/1@a1': 'requested', 'main@b2': 'requested' });
  expect(accepted()).toEqual([A, B]);
  expect(app.platform.bitbucket.statuses(FIXTURE_REPOSITORY_UUID, A).map((s) => s.state)).toEqual(['SUCCESSFUL']);
  expect(app.platform.bitbucket.statuses(FIXTURE_REPOSITORY_UUID, B).map((s) => s.state)).toEqual(['SUCCESSFUL']);
});

it('two concurrent deliveries of one job send it once', async () => {
  app = await startApp();
  await app.configure([hookTarget(app.receiver)]);
  const event = pushOf(1, null, A);
  await app.platform.emit(event);
  // The same job once more, without its concurrency key, so the two run side by side.
  const [job] = planPush(parsePushEvent(event), [hookTarget(app.receiver)], Date.now()).jobs;
  await app.platform.run(() => new Queue({ key: 'deploy-jobs' }).push({ body: job as unknown as Record<string, unknown> }));
  await app.platform.drain({ concurrency: 4 });
  expect(accepted()).toEqual([A]);
  expect((await app.history()).map((d) => d.state)).toEqual(['requested']);
});

describe('accept-then-lost-answer', () => {
  const APP = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
  let created: { id: string; phase: string; created_at: string }[] = [];
  /** DigitalOcean, whose first deploy is created and its answer lost. */
  const digitalOcean = loopbackVendor((seen) => {
    if (seen.method === 'POST') {
      const deployment = {
        id: `dep-${created.length + 1}`,
        phase: 'PENDING_BUILD',
        created_at: new Date(app.platform.now()).toISOString(),
      };
      created.push(deployment);
      return created.length === 1 ? { status: 200, drop: true } : { status: 200, body: { deployment } };
    }
    if (seen.path.endsWith('/deployments')) return { status: 200, body: { deployments: [...created].reverse() } };
    return { status: 200, body: { deployment: { id: seen.path.split('/').at(-1), phase: 'ACTIVE' } } };
  });
  /** A webhook receiver that acts on the first request and then loses its answer. */
  let received = 0;
  const receiver = loopbackVendor(() => (++received === 1 ? { status: 200, drop: true } : { status: 200, body: { accepted: true } }));
  beforeEach(() => {
    created = [];
    received = 0;
  });

  it('DigitalOcean is asked for the lost request before anything is sent again, and that deploy is followed', async () => {
    app = await startApp({ routes: { 'api.digitalocean.com': digitalOcean.base } });
    const target: Target = makeTarget({
      id: 'do-web',
      provider: 'digitalocean',
      settings: { appId: APP },
      secretHints: { token: { last4: 'ests' } },
    });
    await app.configure([target], () => ({ token: 'dop_v1_token_for_tests' }));
    await app.platform.emit(pushOf(1, null, A));
    await app.platform.drain();
    expect(created.map((d) => d.id)).toEqual(['dep-1']);
    expect((await app.history())[0]).toMatchObject({ state: 'succeeded', vendorId: 'dep-1', reconciled: true, attempts: 2 });
  });

  it('a receiver that cannot be asked gets it again, and the record says it may have deployed twice', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver, { settings: { url: `${receiver.base}/hook` } })]);
    await app.platform.emit(pushOf(1, null, A));
    await app.platform.drain();
    expect(received).toBe(2);
    // Both requests carry one Standard Webhooks id: a receiver that drops repeats acts once.
    expect(new Set(receiver.seen.map((s) => s.headers['webhook-id'])).size).toBe(1);
    expect((await app.history())[0]).toMatchObject({
      state: 'requested',
      resent: true,
      message: expect.stringContaining('may have deployed twice'),
    });
  });
});

describe("the poller's queue push failing after its status read", () => {
  let reads = 0;
  const digitalOcean = loopbackVendor((seen) =>
    seen.method === 'POST'
      ? { status: 200, body: { deployment: { id: 'dep-1', phase: 'PENDING_BUILD' } } }
      : { status: 200, body: { deployment: { id: 'dep-1', phase: ++reads < 3 ? 'BUILDING' : 'ACTIVE' } } },
  );

  it('loses nothing: the read comes back, reads again, and the deploy ends', async () => {
    app = await startApp({ routes: { 'api.digitalocean.com': digitalOcean.base } });
    const target: Target = makeTarget({
      id: 'do-web',
      provider: 'digitalocean',
      settings: { appId: '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf' },
      secretHints: { token: { last4: 'ests' } },
    });
    await app.configure([target], () => ({ token: 'dop_v1_token_for_tests' }));
    await app.platform.emit(pushOf(1, null, A));
    // The deploy is accepted and its first read queued; that read's own queue push then fails.
    await app.platform.drain({ advanceClock: false });
    app.platform.failQueuePushes(1);
    await app.platform.drain();
    expect(reads).toBe(3);
    expect((await app.history())[0]).toMatchObject({ state: 'succeeded', checks: 2 });
  });
});
