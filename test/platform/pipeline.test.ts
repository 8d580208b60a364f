import { hookTarget, startApp, type TestApp } from './app';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import { DEFAULT_OPTIONS } from '../../src/core/targets';
import { makePushEvent } from '../fixtures/events';
import branchPush from '../fixtures/events/branch-push.json';
import deletedBranch from '../fixtures/events/deleted-branch.json';
import forcedPush from '../fixtures/events/forced-push.json';
import newBranch from '../fixtures/events/new-branch.json';
import skipMarker from '../fixtures/events/skip-marker.json';
import tagPush from '../fixtures/events/tag-push.json';
import truncatedPush from '../fixtures/events/truncated-push.json';

type Event = { eventType: string } & Record<string, unknown>;

describe('a push through the local Forge platform, with the real SDK', () => {
  let app: TestApp;
  afterEach(async () => {
    await app.close();
  });

  const pushAndDrain = async (event: Event) => {
    const outcomes = await app.platform.emit(event);
    await app.platform.drain();
    return outcomes;
  };
  const bodies = () =>
    app.receiver.deliveries.map(
      (d) => JSON.parse(d.body) as { commit: { hash: string }; ref: { name: string; type: string }; delivery_id: string },
    );

  it('a branch push deploys the pushed commit to the matching target, signed both ways', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver), hookTarget(app.receiver, { id: 'prod', branches: ['release/*'] })]);
    await pushAndDrain(branchPush);
    expect(app.receiver.deliveries).toHaveLength(1);
    const [delivery] = app.receiver.deliveries;
    expect([delivery?.hubSignatureValid, delivery?.standardWebhooksValid]).toEqual([true, true]);
    expect(delivery?.headers['user-agent']).toMatch(/^DeployRelay\/\d+\.\d+\.\d+/);
    const [body] = bodies();
    expect(body).toMatchObject({
      event: 'deploy',
      commit: { hash: branchPush.push.after },
      ref: { name: 'main', type: 'branch' },
      environment: 'staging',
    });
    // One Standard Webhooks message id per push and target: a receiver dropping repeats never drops another target's deploy.
    expect(delivery?.headers['webhook-id']).toMatch(/^[0-9a-f]{24}$/);
    expect(delivery?.headers['webhook-id']).not.toBe(body?.delivery_id);
  });

  it('records the deploy and reports it on the commit under one key per target', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await pushAndDrain(branchPush);
    const [record] = await app.history();
    expect(record).toMatchObject({ state: 'requested', attempts: 1, postedStatus: 'SUCCESSFUL', commit: { hash: branchPush.push.after } });
    const statuses = app.statusesOf(branchPush.push.after);
    expect(statuses.map((s) => [s.key, s.state])).toEqual([['deploy-relay-staging-hook', 'SUCCESSFUL']]);
    expect(statuses[0]?.description).toBe('The receiver accepted the deploy (200)');
  });

  it('the push path makes one storage read, one queue push, then one batch write marking the push planned, and nothing else', async () => {
    app = await startApp();
    await app.configure([
      hookTarget(app.receiver),
      hookTarget(app.receiver, { id: 'second', options: { ...DEFAULT_OPTIONS, coalesce: false } }),
    ]);
    await app.platform.emit(branchPush);
    const seams = app.platform.calls.map((c) => `${c.seam}:${c.op}`);
    expect(seams).toEqual(['kvs:get', 'queue:publish', 'kvs:batch/set']);
  });

  it('a new branch deploys to the targets whose patterns match it', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver, { id: 'rel', branches: ['release/*'] }), hookTarget(app.receiver)]);
    await pushAndDrain(newBranch);
    expect(bodies().map((b) => b.ref.name)).toEqual(['release/1.2']);
    expect((await app.history()).map((d) => d.target.id)).toEqual(['rel']);
  });

  it('a push to a deleted branch deploys nothing and queues nothing', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver, { branches: ['**'] })]);
    const [outcome] = await pushAndDrain(deletedBranch);
    expect(outcome?.value).toMatchObject({ queued: 0, ignoredBecause: 'branch feature/login was deleted' });
    expect(app.platform.calls.filter((c) => c.seam === 'queue')).toHaveLength(0);
    expect(app.receiver.deliveries).toHaveLength(0);
  });

  it('a tag push deploys only to targets with a matching tag pattern', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver), hookTarget(app.receiver, { id: 'releases', branches: [], tags: ['v*'] })]);
    await pushAndDrain(tagPush);
    expect(bodies().map((b) => [b.ref.type, b.ref.name, b.commit.hash])).toEqual([['tag', 'v1.2.0', tagPush.push.after]]);
  });

  it('a forced push deploys the new head', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await pushAndDrain(forcedPush);
    expect(bodies().map((b) => b.commit.hash)).toEqual([forcedPush.push.after]);
  });

  it('a truncated push still deploys `after`, the newest commit', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await pushAndDrain(truncatedPush);
    expect(bodies().map((b) => b.commit.hash)).toEqual([truncatedPush.push.after]);
  });

  it('a skip marker records the skip, sends nothing and leaves the commit alone', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await pushAndDrain(skipMarker);
    expect(app.receiver.deliveries).toHaveLength(0);
    const [record] = await app.history();
    expect(record).toMatchObject({ state: 'skipped', message: 'Skipped: the commit message contains [skip ci]' });
    expect(app.statusesOf(skipMarker.push.after)).toEqual([]);
  });

  it('a malformed event is refused with a clear error, and nothing is queued or stored', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    const [outcome] = await app.platform.emit(makePushEvent({ workspace: { uuid: 'not-a-uuid' } }) as Event, { malformed: true });
    // Refused, not thrown: a retry could not fix it, so Forge is not asked for one.
    expect(outcome?.ok).toBe(true);
    expect(outcome?.value).toMatchObject({
      queued: 0,
      ignoredBecause: 'Malformed push event: workspace.uuid: must be a UUID in braces, e.g. {0f8b…}',
    });
    expect(app.platform.calls.filter((c) => c.seam === 'queue' || c.op === 'set')).toEqual([]);
    expect(app.platform.pendingEvents()).toBe(0);
  });

  it('the same event delivered twice sends one request', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await app.platform.emit(branchPush);
    await app.platform.emit(branchPush);
    await app.platform.drain();
    expect(app.receiver.deliveries).toHaveLength(1);
    expect(await app.history()).toHaveLength(1);
  });

  it('a receiver that fails then recovers gets exactly one accepted deploy', async () => {
    app = await startApp({ respond: (index) => (index < 2 ? 503 : 200) });
    await app.configure([hookTarget(app.receiver)]);
    await app.platform.emit(branchPush);
    await app.platform.drain();
    expect(app.receiver.deliveries.map((d) => d.status)).toEqual([503, 503, 200]);
    const [record] = await app.history();
    expect(record).toMatchObject({ state: 'requested', attempts: 3, postedStatus: 'SUCCESSFUL' });
  });

  it('a receiver that is down ends failed after the bounded attempts, with FAILED on the commit', async () => {
    app = await startApp();
    const downUrl = app.receiver.url;
    await app.receiver.close(); // nothing listens there any more: connections are refused
    await app.configure([hookTarget({ ...app.receiver, url: downUrl })]);
    await pushAndDrain(branchPush);
    const [record] = await app.history();
    expect(record?.state).toBe('failed');
    expect(record?.attempts).toBe(MAX_ATTEMPTS);
    expect(record?.message).toMatch(new RegExp(`^Failed after ${MAX_ATTEMPTS} attempts: POST http://127\\.0\\.0\\.1:\\d+/deploy failed`));
    expect(app.statusesOf(branchPush.push.after).map((s) => s.state)).toEqual(['FAILED']);
    expect(app.platform.deadLetters).toEqual([]);
  });
});
