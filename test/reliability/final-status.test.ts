// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { hookTarget, startApp, type TestApp } from '../platform/app';
import branchPushEvent from '../fixtures/events/branch-push.json';
import { refusingPort } from './faulty-server';

/**
 * Found by the fault scenario (issue 5, item 1): a deploy that fails on its last attempt must still
 * leave FAILED on the commit when Bitbucket refuses that one status post. Nothing is posted before the
 * answer, so the FAILED line is the only one, and it is posted again until it lands.
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
    // The one post is FAILED, after attempt 5: it fails once, and is posted again later.
    app.platform.bitbucket.faults.inject({ path: '/statuses/build', method: 'POST', status, times: 1 });
    await app.platform.emit(branchPushEvent);
    await app.platform.drain();
    expect((await app.history()).map((d) => [d.state, d.attempts])).toEqual([['failed', 5]]);
    expect(statusPosts().map((c) => c.status)).toEqual([status, 201]);
    expect(app.statusesOf(after).map((s) => s.state)).toEqual(['FAILED']);
  },
);
