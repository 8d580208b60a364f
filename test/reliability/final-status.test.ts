// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { hookTarget, startApp, type TestApp } from '../platform/app';
import branchPushEvent from '../fixtures/events/branch-push.json';
import { refusingPort } from './faulty-server';

/**
 * Found by the fault scenario (issue 5, item 1): a deploy that fails on its last attempt must still
 * leave FAILED on the commit when Bitbucket refuses that one status post, not the INPROGRESS of its
 * first attempt.
 */

let app: TestApp;
afterEach(async () => app?.close());

const after = branchPushEvent.push.after;
const statusPosts = () => app.platform.bitbucket.calls.filter((c) => c.method === 'POST' && c.path.includes('/statuses/build'));

it.each([500, 429])(
  'a deploy that fails on its last attempt still posts FAILED when Bitbucket answers its status post with %i once',
  async (status) => {
    app = await startApp();
    const port = await refusingPort();
    await app.configure([hookTarget(app.receiver, { settings: { url: `http://127.0.0.1:${port}/deploy` } })]);
    // The first post is the INPROGRESS line of attempt 1; the second is FAILED, after attempt 5.
    app.platform.bitbucket.faults.inject({ path: '/statuses/build', method: 'POST', status, skip: 1, times: 1 });
    await app.platform.emit(branchPushEvent);
    await app.platform.drain();
    expect((await app.history()).map((d) => [d.state, d.attempts])).toEqual([['failed', 5]]);
    expect(statusPosts().map((c) => c.status)).toEqual([201, status, 201]);
    expect(app.statusesOf(after).map((s) => s.state)).toEqual(['FAILED']);
  },
);
