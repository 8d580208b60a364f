// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { hookTarget, startApp, type TestApp } from '../platform/app';
import { commitOf, FIXTURE_REPOSITORY_UUID, makePushEvent } from '../fixtures/events';

/**
 * Two refs at one commit feeding one target (issue 9): a release branch cut at a commit whose deploy
 * from main is waiting to retry, then main moving on. The target must end on the newest push, each
 * push must reach the receiver in push order, and the commit's status must be the newest push's.
 */

let app: TestApp;
afterEach(async () => app?.close());

const BASE = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const C = 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0';
const D = 'd0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0';
const at = (second: number) => `2026-11-20T10:16:0${second}.000Z`;
const accepted = () =>
  app.receiver.deliveries
    .filter((d) => d.status === 200)
    .map((d) => JSON.parse(d.body) as { ref: { name: string }; commit: { hash: string } })
    .map((b) => `${b.ref.name}@${b.commit.hash.slice(0, 2)}`);

it('two refs at one commit: the target ends on the newest push, sent in push order, and the commit shows the deploy that shipped it', async () => {
  // The first request (main @ C) meets a 503; every later one is accepted.
  app = await startApp({ respond: (index) => (index === 0 ? 503 : 200) });
  await app.configure([hookTarget(app.receiver, { branches: ['main', 'release/*'] })]);
  await app.platform.emit(makePushEvent({ timestamp: at(0), push: { before: BASE, after: C, commits: [commitOf(C, 'C')] } }));
  await app.platform.drain({ advanceClock: false });
  await app.platform.emit(
    makePushEvent({ timestamp: at(1), push: { ref: 'release/1', before: null, after: C, created: true, commits: [] } }),
  );
  await app.platform.drain({ advanceClock: false });
  await app.platform.emit(makePushEvent({ timestamp: at(2), push: { before: C, after: D, commits: [commitOf(D, 'D')] } }));
  await app.platform.drain();

  const states = Object.fromEntries((await app.history()).map((d) => [`${d.ref.name}@${d.commit.hash.slice(0, 2)}`, d.state]));
  // main @ C's retry comes after release/1 sent C: a newer push carried its commit, so it steps aside.
  expect(states).toEqual({ 'main@c0': 'skipped', 'release/1@c0': 'requested', 'main@d0': 'requested' });
  // In push order, not sorted: the receiver saw C (through release/1), then D, and D last.
  expect(accepted()).toEqual(['release/1@c0', 'main@d0']);
  expect(app.platform.bitbucket.statuses(FIXTURE_REPOSITORY_UUID, C).map((s) => s.state)).toEqual(['SUCCESSFUL']);
  expect(app.platform.bitbucket.statuses(FIXTURE_REPOSITORY_UUID, D).map((s) => s.state)).toEqual(['SUCCESSFUL']);
});
