import { hookTarget, startApp, type TestApp } from './app';
import { kvs } from '@forge/kvs';
import { listDeployments } from '../../src/forge/store';
import { FIXTURE_REPOSITORY_UUID } from '../fixtures/events';
import branchPush from '../fixtures/events/branch-push.json';

const bareRepo = FIXTURE_REPOSITORY_UUID.replace(/[{}]/g, '');

describe('stored records are parsed on read', () => {
  let app: TestApp;
  afterEach(async () => {
    await app.close();
  });

  it('a corrupt targets document stops the push with an error naming the key, and nothing is queued', async () => {
    app = await startApp();
    await app.platform.run(() => kvs.set(`targets:${bareRepo}`, { schemaVersion: 1, targets: 'not a list' }));
    app.platform.resetCalls();
    const [outcome] = await app.platform.emit(branchPush);
    expect(outcome?.ok).toBe(false);
    expect(outcome?.error?.message).toMatch(new RegExp(`^Stored record targets:${bareRepo} is corrupt: `));
    expect(app.platform.calls.filter((c) => c.seam === 'queue')).toEqual([]);
  });

  it('a corrupt deployment record is reported beside the good ones, not dropped silently', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await app.platform.emit(branchPush);
    await app.platform.drain();
    await app.platform.run(() => kvs.set(`deploy:${bareRepo}:0000000000000-broken`, { schemaVersion: 1, state: 'exploded' }));
    const page = await app.platform.run(() => listDeployments(FIXTURE_REPOSITORY_UUID, 10));
    expect(page.deployments.map((d) => d.state)).toEqual(['requested']);
    expect(page.corrupt).toEqual([
      { key: `deploy:${bareRepo}:0000000000000-broken`, message: expect.stringMatching(/^Stored record deploy:.*-broken is corrupt: /) },
    ]);
  });
});
