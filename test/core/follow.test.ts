import { deliver } from '../../src/core/deliver';
import { PlatformFault } from '../../src/core/errors';
import { type Deployment, DEPLOYMENT_SCHEMA_VERSION, storedDeploymentSchema } from '../../src/core/deployment';
import { follow, FOLLOW_LIMIT_SECONDS, followDelaySeconds, parseFollowCheck } from '../../src/core/follow';
import { HttpFault, HttpRejected, type HttpRequest } from '../../src/core/http';
import type { FollowCheck } from '../../src/core/run';
import { makeDeployJob } from '../fixtures/jobs';
import { type Answer, memoryPorts } from '../fixtures/ports';
import { makeTarget } from '../fixtures/targets';

const APP = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
const target = makeTarget({ id: 'do-web', provider: 'digitalocean', settings: { appId: APP }, secretHints: { token: { last4: 'oken' } } });
const job = makeDeployJob({ targetId: 'do-web' });

/** A DigitalOcean vendor that accepts, then answers the given phases in turn (the last repeats). */
function digitalOcean(phases: (string | Error)[]) {
  return (request: HttpRequest): Answer => {
    if (request.method === 'POST') return { status: 200, body: { deployment: { id: 'dep-1', phase: 'PENDING_BUILD' } } };
    const next = phases.length > 1 ? phases.shift() : phases[0];
    return next instanceof Error ? next : { status: 200, body: { deployment: { id: 'dep-1', phase: next } } };
  };
}

/** Delivers the job, then runs every queued status read in order, as the queue would. */
async function deliverAndFollow(phases: (string | Error)[]) {
  const h = memoryPorts([target], digitalOcean(phases), { token: 'dop_v1_secret_token' });
  await deliver(job, null, h.ports);
  for (let i = 0; i < h.follows.length && i < 100; i++) {
    h.advance((h.follows[i]?.delaySeconds ?? 0) * 1000);
    await follow(h.follows[i]?.check as FollowCheck, h.ports);
  }
  return h;
}

describe('the follow schedule', () => {
  it('waits longer between reads as a deploy goes on, and the waits add up to no more than the limit', () => {
    const delays: number[] = [];
    for (let check = 0; followDelaySeconds(check) !== null; check++) delays.push(followDelaySeconds(check) as number);
    expect(delays.slice(0, 5)).toEqual([10, 15, 20, 30, 45]);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(FOLLOW_LIMIT_SECONDS);
    expect(delays).toHaveLength(19);
  });
});

describe('follow', () => {
  it('hands an accepted deploy to the poller, which reads it until it ends and reports the outcome', async () => {
    const h = await deliverAndFollow(['BUILDING', 'DEPLOYING', 'ACTIVE']);
    expect(h.follows.map((f) => [f.check.check, f.delaySeconds])).toEqual([
      [0, 10],
      [1, 15],
      [2, 20],
    ]);
    expect(h.only()).toMatchObject({ state: 'succeeded', checks: 3, vendorId: 'dep-1', postedStatus: 'SUCCESSFUL' });
    // INPROGRESS once the vendor accepted, already linking to its page; then the outcome.
    expect(h.statuses.map((s) => s.state)).toEqual(['INPROGRESS', 'SUCCESSFUL']);
    expect(h.statuses[0]?.url).toBe(`https://cloud.digitalocean.com/apps/${APP}/deployments/dep-1`);
    const record = h.only();
    expect(record.finishedAt).toBe(record.updatedAt);
    expect((record.finishedAt as number) - (record.acceptedAt as number)).toBe(45_000);
  });

  it('queues the next read before it writes that this one was done, so a failed queue push loses nothing', async () => {
    // The read that could not queue its successor is read again: the vendor answers BUILDING twice.
    const h = memoryPorts([target], digitalOcean(['BUILDING', 'BUILDING', 'ACTIVE']), { token: 'dop_v1_secret_token' });
    await deliver(job, null, h.ports);
    const followLater = h.ports.followLater;
    h.ports.followLater = async () => {
      throw new PlatformFault('the queue answered 500');
    };
    const first = h.follows[0]?.check as FollowCheck;
    expect(await follow(first, h.ports)).toMatchObject({ kind: 'retry', reason: 'next status read not queued' });
    expect(h.only()).toMatchObject({ state: 'in_progress', checks: 0 });
    h.ports.followLater = followLater;
    // The same read comes back (Forge retries the event) and this time goes through.
    expect(await follow(first, h.ports)).toMatchObject({ kind: 'done' });
    await follow(h.follows.at(-1)?.check as FollowCheck, h.ports);
    expect(h.only()).toMatchObject({ state: 'succeeded', checks: 2 });
  });

  it('a stale or duplicated read reads nothing', async () => {
    const h = await deliverAndFollow(['BUILDING', 'ACTIVE']);
    const reads = h.requests.filter((r) => r.method === 'GET').length;
    const result = await follow(h.follows[0]?.check as FollowCheck, h.ports);
    expect(result).toMatchObject({ kind: 'done' });
    expect(h.requests.filter((r) => r.method === 'GET')).toHaveLength(reads);
  });

  it('a second hand-over of the same deploy is dropped by its check number', async () => {
    const h = memoryPorts([target], digitalOcean(['ACTIVE']), { token: 'dop_v1_secret_token' });
    await deliver(job, null, h.ports);
    // The job's redelivery hands the accepted deploy over again.
    await deliver(job, null, h.ports);
    expect(h.follows.map((f) => f.check.check)).toEqual([0, 0]);
    await follow(h.follows[0]?.check as FollowCheck, h.ports);
    await follow(h.follows[1]?.check as FollowCheck, h.ports);
    expect(h.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(h.only().state).toBe('succeeded');
  });

  it('a fault on a read waits for the next read; a refusal ends as outcome unknown', async () => {
    const faulted = await deliverAndFollow([new HttpFault('server_error', 'GET answered 503', 503, null), 'ACTIVE']);
    expect(faulted.only()).toMatchObject({ state: 'succeeded', checks: 2 });
    const h = memoryPorts([target], digitalOcean([new HttpRejected('GET answered 401: Unable to authenticate you', 401)]), {
      token: 'dop_v1_secret_token',
    });
    await deliver(job, null, h.ports);
    await follow(h.follows[0]?.check as FollowCheck, h.ports);
    expect(h.only()).toMatchObject({ state: 'unknown', message: expect.stringContaining('Unable to authenticate you') });
    expect(h.statuses.at(-1)?.state).toBe('STOPPED');
  });

  it('a final record that still owes its commit status posts it, and reads nothing (from a check queued by the previous version)', async () => {
    const h = await deliverAndFollow(['ACTIVE']);
    const owed: Deployment = { ...h.only(), postedStatus: 'INPROGRESS' };
    h.records.set(owed.id, owed);
    const reads = h.requests.length;
    // Version 1 carried the whole job; version 2 carries ids and rebuilds the rest from the record.
    await follow(parseFollowCheck({ v: 1, job, deploymentId: owed.id, check: owed.checks }), h.ports);
    expect(h.only().postedStatus).toBe('SUCCESSFUL');
    expect(h.requests).toHaveLength(reads);
  });

  it('a deploy accepted without an id to follow it by ends as outcome unknown instead of staying in progress', async () => {
    const h = memoryPorts([target], digitalOcean(['BUILDING']), { token: 'dop_v1_secret_token' });
    await deliver(job, null, h.ports);
    const anonymous: Deployment = { ...h.only(), vendorId: null };
    h.records.set(anonymous.id, anonymous);
    await follow(h.follows[0]?.check as FollowCheck, h.ports);
    expect(h.only()).toMatchObject({
      state: 'unknown',
      message: 'Outcome unknown: the vendor accepted the deploy without an id to follow it by',
    });
    expect(h.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
  });

  it('a malformed status check is refused with the field named', () => {
    expect(() => parseFollowCheck({ v: 1, job, deploymentId: '', check: -1 })).toThrow(/Malformed status check: .*deploymentId/);
    expect(() =>
      parseFollowCheck({ v: 2, repositoryUuid: '{r}', workspaceUuid: '{w}', targetId: '', deploymentId: 'd', check: 0 }),
    ).toThrow(/Malformed status check: targetId/);
  });
});

describe('stored deployment records', () => {
  it('a version 1 record is read as the current version, with no acceptance time and no reads', async () => {
    const h = await deliverAndFollow(['ACTIVE']);
    const { acceptedAt: _accepted, checks: _checks, order, sentAt, nextAttemptAt, answerLost, reconciled, resent, ...common } = h.only();
    const v1 = { ...common, idempotencyKey: `do-web:${job.commit.hash}`, schemaVersion: 1 };
    expect(storedDeploymentSchema.parse(v1)).toEqual({
      ...common,
      schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
      acceptedAt: null,
      checks: 0,
      order: common.createdAt * 1000,
      sentAt: null,
      nextAttemptAt: null,
      answerLost: false,
      reconciled: false,
      resent: false,
    });
    expect([order, sentAt, nextAttemptAt, answerLost, reconciled, resent]).not.toContain(undefined);
  });

  it('a version 2 record (one per target and commit) is read as the current version, its claim dropped', async () => {
    const h = await deliverAndFollow(['ACTIVE']);
    const { order: _o, sentAt: _s, nextAttemptAt: _n, answerLost: _a, reconciled: _r, resent: _t, ...common } = h.only();
    const v2 = { ...common, idempotencyKey: `do-web:${job.commit.hash}`, schemaVersion: 2 };
    expect(storedDeploymentSchema.parse(v2)).toMatchObject({
      ...common,
      schemaVersion: DEPLOYMENT_SCHEMA_VERSION,
      order: common.createdAt * 1000,
    });
    expect(storedDeploymentSchema.parse(v2)).not.toHaveProperty('idempotencyKey');
  });
});
