// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { hookTarget, startApp, type TestApp } from '../platform/app';
import { commitOf, FIXTURE_REPOSITORY_UUID, makePushEvent } from '../fixtures/events';

/**
 * Found by the fault scenario (issue 5, item 1): a second push of a commit (a release branch cut at
 * main's head) used to count on main's deploy of it while that deploy was still waiting to retry; a
 * newer push to main then superseded main's deploy, and the release branch was never deployed, with
 * no record of its push.
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

it('a release branch cut at a commit whose deploy from main is waiting to retry is still deployed when main moves on', async () => {
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
  expect(states).toEqual({ 'main@c0': 'superseded', 'release/1@c0': 'requested', 'main@d0': 'requested' });
  // Each commit reached the receiver once; C through the release branch.
  expect(accepted().sort()).toEqual(['main@d0', 'release/1@c0']);
  expect(app.platform.bitbucket.statuses(FIXTURE_REPOSITORY_UUID, C).map((s) => s.state)).toEqual(['SUCCESSFUL']);
});
