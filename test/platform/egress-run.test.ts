/**
 * A stored target whose host the installation may not reach (an approval since removed, or a target
 * written around the page) is refused when it runs: nothing is sent, and the deploy is recorded as
 * failed with a message naming the host and who can approve it. When the app's record of approvals is
 * wrong (an admin removed one in Atlassian Administration), the platform's own refusal ends it the same
 * way, at once, not after retries.
 */
import { hookTarget, startApp, type TestApp } from './app';
import { putEgressGrants } from '../../src/forge/store';
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

    const advice = `Deploy Relay may not call ${HOST} yet: a workspace admin must approve it. Open this target in the repository’s settings (Deploy Relay) as a workspace admin and save it: the page asks Bitbucket for the approval.`;
    // The app refuses before any request: the platform's own egress guard never sees one.
    expect(app.platform.egressLog).toEqual([]);
    expect(await app.history()).toEqual([expect.objectContaining({ state: 'failed', message: advice, attempts: 1 })]);
    expect(app.statusesOf(branchPush.push.after).map((s) => s.state)).toEqual(['FAILED']);
  });

  it('fails at once with the same message when the platform refuses a host the app believed approved', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver, { settings: { url: `https://${HOST}/deploy` } })]);
    // Recorded as approved, but the installation holds no such grant: Forge's guard refuses the request.
    await app.platform.run(() => putEgressGrants([`https://${HOST}`]));
    await app.platform.emit(branchPush);
    await app.platform.drain();

    expect(app.platform.egressLog.map((e) => ({ url: e.url, refused: e.refused }))).toEqual([
      { url: `https://${HOST}/deploy`, refused: true },
    ]);
    expect(await app.history()).toEqual([
      expect.objectContaining({
        state: 'failed',
        attempts: 1,
        message: expect.stringMatching(/^Deploy Relay may not call hooks\.customer\.example yet/),
      }),
    ]);
  });
});
