// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { startApp, type TestApp } from './app';
import { FOLLOW_LIMIT_SECONDS } from '../../src/core/follow';
import type { Target } from '../../src/core/targets';
import branchPushEvent from '../fixtures/events/branch-push.json';
import { makeTarget } from '../fixtures/targets';
import { loopbackVendor, type Reply, type Seen } from '../providers/loopback-vendor';

/**
 * Following a deploy to its end: the vendor accepts, the status poller reads it through delayed queue
 * events (the local queue's virtual clock runs the delays), and the commit and the history show the
 * outcome. The vendors are real HTTP servers on loopback, reached through the platform's egress routes.
 */

const APPS = {
  web: '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf',
  api: '8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  worker: 'c0ffee00-1e90-4762-9fee-6cc4a0a9f2cf',
} as const;

/** Each app's phases, read one per status call after the deploy is created; the last one repeats. */
let phases: Record<string, string[]> = {};
let statusFault: (seen: Seen) => Reply | null = () => null;

const digitalOcean = loopbackVendor((seen) => {
  const [, , , app, , deployment] = seen.path.split('/');
  const id = `dep-${app}`;
  if (seen.method === 'POST') return { status: 200, body: { deployment: { id, phase: 'PENDING_BUILD' } } };
  const fault = statusFault(seen);
  if (fault) return fault;
  const queue = phases[app ?? ''] ?? ['ACTIVE'];
  const phase = queue.length > 1 ? (queue.shift() as string) : (queue[0] as string);
  return { status: 200, body: { deployment: { id: deployment, phase } } };
});

const doTarget = (id: keyof typeof APPS): Target =>
  makeTarget({
    id: `do-${id}`,
    name: `DO ${id}`,
    environment: 'production',
    provider: 'digitalocean',
    settings: { appId: APPS[id] },
    secretHints: { token: { last4: 'abcd' } },
  });

let app: TestApp;
afterEach(async () => {
  await app?.close();
  statusFault = () => null;
});

/** Pushes to three DigitalOcean targets and runs the queues dry; returns the virtual seconds that took. */
async function pushThreeTargets(): Promise<number> {
  app = await startApp({ routes: { 'api.digitalocean.com': digitalOcean.base } });
  await app.configure([doTarget('web'), doTarget('api'), doTarget('worker')], () => ({ token: 'dop_v1_token_for_tests' }));
  const start = app.platform.now();
  await app.platform.emit(branchPushEvent);
  await app.platform.drain();
  return (app.platform.now() - start) / 1000;
}

const after = branchPushEvent.push.after;

describe('following a deploy to its outcome', () => {
  it('a push with three targets ends with three terminal commit statuses and three records with durations', async () => {
    phases = { [APPS.web]: ['BUILDING', 'DEPLOYING', 'ACTIVE'], [APPS.api]: ['BUILDING', 'ERROR'], [APPS.worker]: ['CANCELED'] };
    await pushThreeTargets();
    const byKey = Object.fromEntries(app.statusesOf(after).map((s) => [s.key, s]));
    expect(byKey['deploy-relay-do-web']).toMatchObject({
      state: 'SUCCESSFUL',
      url: `https://cloud.digitalocean.com/apps/${APPS.web}/deployments/dep-${APPS.web}`,
    });
    expect(byKey['deploy-relay-do-api']?.state).toBe('FAILED');
    expect(byKey['deploy-relay-do-worker']?.state).toBe('STOPPED');
    const history = await app.history();
    expect(Object.fromEntries(history.map((d) => [d.target.id, d.state]))).toEqual({
      'do-web': 'succeeded',
      'do-api': 'failed',
      'do-worker': 'canceled',
    });
    for (const record of history) {
      expect(record.vendorId).toMatch(/^dep-/);
      expect(record.acceptedAt).toBeGreaterThanOrEqual(record.createdAt);
      expect(record.finishedAt).toBeGreaterThanOrEqual(record.acceptedAt as number);
    }
    expect(history.find((d) => d.target.id === 'do-web')?.checks).toBe(3);
  });

  it('reports INPROGRESS with the vendor’s link, then reads with growing delays until the outcome', async () => {
    phases = { [APPS.web]: ['BUILDING', 'BUILDING', 'BUILDING', 'ACTIVE'], [APPS.api]: ['ACTIVE'], [APPS.worker]: ['ACTIVE'] };
    app = await startApp({ routes: { 'api.digitalocean.com': digitalOcean.base } });
    await app.configure([doTarget('web'), doTarget('api'), doTarget('worker')], () => ({ token: 'dop_v1_token_for_tests' }));
    const start = app.platform.now();
    await app.platform.emit(branchPushEvent);
    // What is due now: the three deploy jobs. The vendor has accepted; no status has been read yet.
    expect(await app.platform.drain({ advanceClock: false })).toMatchObject({ delivered: 3 });
    expect(app.statusesOf(after).find((s) => s.key === 'deploy-relay-do-web')).toMatchObject({
      state: 'INPROGRESS',
      url: `https://cloud.digitalocean.com/apps/${APPS.web}/deployments/dep-${APPS.web}`,
    });
    expect((await app.history()).map((d) => d.state)).toEqual(['in_progress', 'in_progress', 'in_progress']);
    await app.platform.drain();
    const reads = digitalOcean.seen.filter((s) => s.method === 'GET' && s.path.includes(APPS.web));
    expect(reads).toHaveLength(4);
    // The queue's virtual clock ran the poller's waits: 10 + 15 + 20 + 30 seconds before the four reads.
    expect((app.platform.now() - start) / 1000).toBe(75);
    expect(app.statusesOf(after).map((s) => s.state)).toEqual(['SUCCESSFUL', 'SUCCESSFUL', 'SUCCESSFUL']);
  });

  it('a status read that faults is read again later, and the outcome still arrives', async () => {
    phases = { [APPS.web]: ['ACTIVE'], [APPS.api]: ['ACTIVE'], [APPS.worker]: ['ACTIVE'] };
    let faults = 2;
    statusFault = () => (faults-- > 0 ? { status: 503, body: { id: 'service_unavailable', message: 'try later' } } : null);
    await pushThreeTargets();
    expect((await app.history()).map((d) => d.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('a deploy still building when the follow limit ends is recorded as outcome unknown, STOPPED on the commit', async () => {
    phases = { [APPS.web]: ['BUILDING'], [APPS.api]: ['ACTIVE'], [APPS.worker]: ['ACTIVE'] };
    const waited = await pushThreeTargets();
    const record = (await app.history()).find((d) => d.target.id === 'do-web');
    expect(record).toMatchObject({
      state: 'unknown',
      checks: 19,
      message: expect.stringContaining('after 60 minutes it is still in progress'),
    });
    // Following is bounded by the sum of the waits, which stays within the limit.
    expect(waited).toBeLessThanOrEqual(FOLLOW_LIMIT_SECONDS);
    expect(waited).toBeGreaterThan(FOLLOW_LIMIT_SECONDS - 300);
    expect(app.statusesOf(after).find((s) => s.key === 'deploy-relay-do-web')?.state).toBe('STOPPED');
    // Every read was numbered: no read was made twice for one check.
    const reads = digitalOcean.seen.filter((s) => s.method === 'GET' && s.path.includes(APPS.web));
    expect(reads.length).toBe(record?.checks);
  });

  it('a vendor that refuses the status read ends the record as outcome unknown, with its message', async () => {
    phases = { [APPS.web]: ['ACTIVE'], [APPS.api]: ['ACTIVE'], [APPS.worker]: ['ACTIVE'] };
    statusFault = (seen) =>
      seen.path.includes(APPS.api) ? { status: 404, body: { id: 'not_found', message: 'deployment not found' } } : null;
    await pushThreeTargets();
    const record = (await app.history()).find((d) => d.target.id === 'do-api');
    expect(record).toMatchObject({ state: 'unknown', message: expect.stringContaining('deployment not found') });
  });
});
