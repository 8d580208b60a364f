/**
 * A stored target whose host the installation may not reach (saved before the host left the manifest,
 * or written around the page) is refused when it runs: nothing is sent, and the deploy is recorded as
 * failed with a message naming the host and the manifest key.
 */
import { hookTarget, startApp, type TestApp } from './app';
import branchPush from '../fixtures/events/branch-push.json';

const HOST = 'hooks.customer.example';

let app: TestApp;
afterEach(async () => {
  await app.close();
});

describe('running a target whose host is not declared', () => {
  it('sends nothing and records the deploy as failed with the fix, on the commit too', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver, { settings: { url: `https://${HOST}/deploy` } })]);
    await app.platform.emit(branchPush);
    await app.platform.drain();

    const advice = `${HOST} is not in manifest.yml's permissions.external.fetch.backend; run "npm run egress -- add ${HOST}", then forge deploy.`;
    // The app refuses before any request: the platform's own egress guard never sees one.
    expect(app.platform.egressLog).toEqual([]);
    expect(await app.history()).toEqual([expect.objectContaining({ state: 'failed', message: advice, attempts: 1 })]);
    expect(app.statusesOf(branchPush.push.after).map((s) => s.state)).toEqual(['FAILED']);
  });
});
