import { deliver } from '../../src/core/deliver';
import { PlatformFault } from '../../src/core/errors';
import { HttpFault, HttpRejected, type HttpRequest } from '../../src/core/http';
import type { DeployJob } from '../../src/core/job';
import { orderOf } from '../../src/core/order';
import { planPush } from '../../src/core/plan';
import { parsePushEvent } from '../../src/core/push-event';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import { newRecord, recordIdOf } from '../../src/core/run';
import { LEASE_MS } from '../../src/core/target-state';
import { DEFAULT_OPTIONS, type Target } from '../../src/core/targets';
import { makePushEvent } from '../fixtures/events';
import { memoryPorts } from '../fixtures/ports';
import { makeTarget } from '../fixtures/targets';

const harness = (target: Target, answer: (request: HttpRequest) => number | Error) => memoryPorts([target], answer);

const at = (second: number) => `2026-11-20T10:16:${String(second).padStart(2, '0')}.000000Z`;
const C = 'c0'.repeat(20);
const D = 'd0'.repeat(20);

/** The job the plan makes for a push at `second`, of `commit`. */
function jobAt(second: number, commit = C, target: Target = makeTarget(), push: Record<string, unknown> = {}): DeployJob {
  const event = makePushEvent({ timestamp: at(second), push: { after: commit, commits: [], ...push } });
  const [job] = planPush(parsePushEvent(event), [target], 1_763_633_700_000).jobs;
  return job as DeployJob;
}

/** The job's record as a delivery leaves it once it holds the target's lease and its request has left. */
async function sendingUnderLease(h: ReturnType<typeof harness>, job: DeployJob, token: string): Promise<void> {
  const { state } = await h.ports.store.read('r', job.targetId, recordIdOf(job));
  await h.ports.store.commit({
    repositoryUuid: 'r',
    lane: job.targetId,
    from: state,
    to: { v: 1, sent: null, recent: [], covered: null, live: null, lease: { jobKey: job.jobKey, token, until: h.ports.now() + LEASE_MS } },
    records: [{ ...newRecord(job, makeTarget(), h.ports.now()), attempts: 1, sentAt: h.ports.now() }],
    planned: null,
    clearsNewest: false,
    stale: [],
  });
}

const sent = (h: ReturnType<typeof harness>) =>
  h.requests.map((r) => (JSON.parse(r.body ?? '{}') as { commit: { hash: string } }).commit.hash);

describe('deliver', () => {
  it('sends once, records `requested` and posts SUCCESSFUL on the commit, with no progress line before the answer', async () => {
    const h = harness(makeTarget(), () => 202);
    const result = await deliver(jobAt(1), null, h.ports);
    expect(result).toMatchObject({ kind: 'done', record: { state: 'requested', postedStatus: 'SUCCESSFUL', attempts: 1 } });
    expect(h.requests).toHaveLength(1);
    expect(h.statuses.map((s) => s.state)).toEqual(['SUCCESSFUL']);
    expect(h.statuses[0]).toMatchObject({ key: 'deploy-relay-staging-hook', refname: 'main', url: 'https://bitbucket.org/acme/web' });
  });

  it('writes twice for a hook: the claim, then the outcome with the posted status', async () => {
    const h = harness(makeTarget(), () => 202);
    await deliver(jobAt(1), null, h.ports);
    expect(h.commits.map((c) => c.records.map((r) => r.state))).toEqual([['sending'], ['requested']]);
    expect(h.states.get('staging-hook')).toMatchObject({ version: 2, lease: null, sent: { state: 'requested' }, live: { commit: C } });
  });

  it('a redelivered job sends nothing and posts nothing again', async () => {
    const h = harness(makeTarget(), () => 202);
    await deliver(jobAt(1), null, h.ports);
    const again = await deliver(jobAt(1), null, h.ports);
    expect(again).toMatchObject({ kind: 'done', record: { state: 'requested' } });
    expect(h.requests).toHaveLength(1);
    expect(h.statuses).toHaveLength(1);
  });

  it('git rollback: pushes of A, B, then A again all deploy, in that order', async () => {
    const h = harness(makeTarget(), () => 202);
    await deliver(jobAt(1, C), null, h.ports);
    await deliver(jobAt(2, D, makeTarget(), { before: C }), null, h.ports);
    await deliver(jobAt(3, C, makeTarget(), { before: D, forced: true }), null, h.ports);
    expect(sent(h)).toEqual([C, D, C]);
  });

  it('a later push of the commit the target already runs is skipped as deployed, and posts nothing', async () => {
    const target = makeTarget({ rules: { branches: ['main', 'release/*'], tags: [], paths: { include: [], exclude: [] } } });
    const h = harness(target, () => 202);
    await deliver(jobAt(1, C, target), null, h.ports);
    const release = await deliver(jobAt(2, C, target, { ref: 'release/1', created: true }), null, h.ports);
    expect(release).toMatchObject({ record: { state: 'skipped', message: 'Skipped: push main already deployed this commit' } });
    expect(h.requests).toHaveLength(1);
    expect(h.statuses).toHaveLength(1);
  });

  describe('a late older push', () => {
    it.each([true, false])('is superseded, never sent over the newer one (coalescing %s)', async (coalesce) => {
      const target = makeTarget({ options: { ...DEFAULT_OPTIONS, coalesce } });
      const h = harness(target, () => 202);
      await deliver(jobAt(5, D, target), null, h.ports);
      const late = await deliver(jobAt(4, C, target), null, h.ports);
      expect(late).toMatchObject({
        record: { state: 'superseded', message: `Superseded: a newer push (main ${D.slice(0, 7)}) was already sent` },
      });
      expect(sent(h)).toEqual([D]);
      expect(h.statuses.map((s) => s.state)).toEqual(['SUCCESSFUL', 'STOPPED']);
    });

    it('of the same commit on another ref is skipped, leaving the commit status to the newer push', async () => {
      const target = makeTarget({ rules: { branches: ['**'], tags: [], paths: { include: [], exclude: [] } } });
      const h = harness(target, () => 202);
      await deliver(jobAt(5, C, target, { ref: 'release/1', created: true }), null, h.ports);
      const older = await deliver(jobAt(4, C, target), null, h.ports);
      expect(older).toMatchObject({ record: { state: 'skipped' } });
      expect(h.statuses.map((s) => s.state)).toEqual(['SUCCESSFUL']);
    });
  });

  describe('coalescing', () => {
    it('supersedes a job when a newer push is planned for the target, before anything is sent', async () => {
      const h = harness(makeTarget(), () => 202);
      const newer = jobAt(6, D);
      await h.ports.store.markPlanned('r', [
        { lane: 'staging-hook', push: { jobKey: newer.jobKey, order: newer.order, commit: D }, coalesce: true },
      ]);
      const older = await deliver(jobAt(5, C), null, h.ports);
      expect(older).toMatchObject({ record: { state: 'superseded', message: expect.stringContaining('is queued for this target') } });
      expect(h.requests).toHaveLength(0);
    });

    it('two triggers racing: when the older push marks last, both deploy, in push order, and never the older after the newer', async () => {
      const mark = (job: DeployJob) => ({
        lane: 'staging-hook',
        push: { jobKey: job.jobKey, order: job.order, commit: job.commit.hash },
        coalesce: true,
      });
      const older = jobAt(5, C);
      const newer = jobAt(6, D);
      const inOrder = harness(makeTarget(), () => 202);
      await inOrder.ports.store.markPlanned('r', [mark(newer)]);
      await inOrder.ports.store.markPlanned('r', [mark(older)]);
      await deliver(older, null, inOrder.ports);
      await deliver(newer, null, inOrder.ports);
      expect(sent(inOrder)).toEqual([C, D]);

      const reordered = harness(makeTarget(), () => 202);
      await reordered.ports.store.markPlanned('r', [mark(newer)]);
      await reordered.ports.store.markPlanned('r', [mark(older)]);
      await deliver(newer, null, reordered.ports);
      expect(await deliver(older, null, reordered.ports)).toMatchObject({ record: { state: 'superseded' } });
      expect(sent(reordered)).toEqual([D]);
    });

    it('a newest push that finished without sending leaves no mark: an older job is not superseded by it', async () => {
      const target = makeTarget();
      const h = harness(target, () => 202);
      const older = jobAt(5, C);
      const newer = jobAt(6, D);
      await h.ports.store.markPlanned('r', [
        { lane: target.id, push: { jobKey: newer.jobKey, order: newer.order, commit: D }, coalesce: true },
      ]);
      // The newer push's job runs while the target is disabled, and ends without sending.
      target.enabled = false;
      expect(await deliver(newer, null, h.ports)).toMatchObject({ record: { state: 'skipped' } });
      target.enabled = true;
      expect(h.newest.size).toBe(0);
      await deliver(older, null, h.ports);
      expect(sent(h)).toEqual([C]);
    });

    it('switched to deploying every push while pushes are queued: a newer job still waits for the older one', async () => {
      const target = makeTarget();
      const h = harness(target, () => 202);
      const older = jobAt(5, C, target);
      const newer = jobAt(6, D, target);
      for (const job of [older, newer])
        await h.ports.store.markPlanned('r', [
          { lane: target.id, push: { jobKey: job.jobKey, order: job.order, commit: job.commit.hash }, coalesce: true },
        ]);
      target.options = { ...target.options, coalesce: false };
      expect(await deliver(newer, null, h.ports)).toMatchObject({ note: expect.stringContaining('waiting: the older push') });
      await deliver(older, null, h.ports);
      await deliver(newer, null, h.ports);
      expect(sent(h)).toEqual([C, D]);
    });

    it('off: a job waits while an older planned push has not gone, then goes once it has', async () => {
      const target = makeTarget({ options: { ...DEFAULT_OPTIONS, coalesce: false } });
      const h = harness(target, () => 202);
      const older = jobAt(5, C, target);
      await h.ports.store.markPlanned('r', [
        { lane: target.id, push: { jobKey: older.jobKey, order: older.order, commit: C }, coalesce: false },
      ]);
      const newer = jobAt(6, D, target);
      expect(await deliver(newer, null, h.ports)).toMatchObject({ kind: 'done', note: expect.stringContaining('waiting: the older push') });
      expect(h.continued).toEqual([{ job: { ...newer, waitingSince: h.ports.now() }, delaySeconds: expect.any(Number) }]);
      await deliver(older, null, h.ports);
      await deliver(newer, null, h.ports);
      expect(sent(h)).toEqual([C, D]);
    });

    it('off: a job stops waiting for an older push ORDER_WAIT after it began waiting, and goes', async () => {
      const target = makeTarget({ options: { ...DEFAULT_OPTIONS, coalesce: false } });
      const h = harness(target, () => 202);
      const older = jobAt(5, C, target);
      await h.ports.store.markPlanned('r', [
        { lane: target.id, push: { jobKey: older.jobKey, order: older.order, commit: C }, coalesce: false },
      ]);
      await deliver(jobAt(6, D, target), null, h.ports);
      const [waiting] = h.continued;
      expect(waiting?.job.waitingSince).toBe(h.ports.now());
      h.advance(60 * 60_000);
      await deliver(waiting?.job as DeployJob, null, h.ports);
      expect(sent(h)).toEqual([D]);
    });
  });

  describe('one request in flight per target', () => {
    it('a second delivery of the job while the first holds the lease waits, and sends nothing', async () => {
      const h = harness(makeTarget(), () => 202);
      const job = jobAt(1);
      // The first delivery took the lease and is sending right now.
      await sendingUnderLease(h, job, 'first');
      const second = await deliver(job, null, h.ports);
      expect(second).toMatchObject({ kind: 'done', note: 'waiting: another delivery of this job is sending it' });
      expect(h.requests).toHaveLength(0);
    });

    it('a job whose holder stopped after sending finds the lease expired and sends again, marked as possibly twice', async () => {
      const h = harness(makeTarget(), () => 202);
      const job = jobAt(1);
      // A delivery took the lease, sent, and was stopped before it could write the answer.
      await sendingUnderLease(h, job, 'stopped');
      h.advance(LEASE_MS + 1);
      const result = await deliver(job, null, h.ports);
      expect(result).toMatchObject({
        record: { state: 'requested', attempts: 2, resent: true, message: expect.stringContaining('may have deployed twice') },
      });
      expect(h.requests).toHaveLength(1);
    });

    it('two deliveries of a retried event, each handed the same lease before anything was sent, send once', async () => {
      const h = harness(makeTarget(), () => 202);
      const job = jobAt(1);
      await sendingUnderLease(h, job, 'handed-on');
      const handed = { token: 'handed-on', answer: null };
      const results = await Promise.all([deliver(job, handed, h.ports), deliver(job, handed, h.ports)]);
      expect(h.requests).toHaveLength(1);
      // Which of the two wins is the platform's choice; that exactly one sends is the app's promise.
      const states = results.map((r) => (r.kind === 'done' ? r.record?.state : r.kind));
      expect(states.filter((state) => state === 'requested')).toHaveLength(1);
      expect(states.filter((state) => state === 'sending')).toHaveLength(1);
    });

    it('an invocation that got an answer but could not write it hands the answer on, and its retry writes it without sending', async () => {
      const h = harness(makeTarget(), () => 202);
      const job = jobAt(1);
      const commit = h.ports.store.commit;
      let failNext = false;
      h.ports.store.commit = async (change) => {
        if (change.records[0]?.state === 'sending') failNext = true;
        else if (failNext) throw new PlatformFault('storage down');
        return commit(change);
      };
      const first = await deliver(job, null, h.ports);
      expect(first).toMatchObject({ kind: 'retry', carry: { answer: { kind: 'accepted' } } });
      h.ports.store.commit = commit;
      const retried = await deliver(job, first.kind === 'retry' ? (first.carry ?? null) : null, h.ports);
      expect(retried).toMatchObject({ record: { state: 'requested' } });
      expect(h.requests).toHaveLength(1);
    });
  });

  describe('faults', () => {
    it('a fault leaves the record retrying and queues the job again after the back-off', async () => {
      const h = harness(makeTarget(), () => new HttpFault('server_error', 'POST answered 503', 503, null));
      const result = await deliver(jobAt(1), null, h.ports);
      expect(result).toMatchObject({ kind: 'done', record: { state: 'retrying', attempts: 1, answerLost: false } });
      expect(h.continued).toEqual([{ job: jobAt(1), delaySeconds: 8 }]);
      expect(h.statuses).toEqual([]);
    });

    it('honours Retry-After', async () => {
      const h = harness(makeTarget(), () => new HttpFault('rate_limited', 'answered 429', 429, 42));
      await deliver(jobAt(1), null, h.ports);
      expect(h.continued[0]?.delaySeconds).toBe(42);
    });

    it('an early redelivery of a job whose retry is scheduled sends nothing', async () => {
      const h = harness(makeTarget(), () => new HttpFault('server_error', 'answered 503', 503, null));
      await deliver(jobAt(1), null, h.ports);
      expect(await deliver(jobAt(1), null, h.ports)).toMatchObject({ note: 'waiting: its next attempt is not due yet' });
      expect(h.requests).toHaveLength(1);
    });

    it(`gives up after ${MAX_ATTEMPTS} attempts and posts FAILED`, async () => {
      const h = harness(makeTarget(), () => new HttpFault('server_error', 'answered 503', 503, null));
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        await deliver(jobAt(1), null, h.ports);
        h.advance(15 * 60_000);
      }
      expect(h.requests).toHaveLength(MAX_ATTEMPTS);
      expect(h.records.get(recordIdOf(jobAt(1)))).toMatchObject({
        state: 'failed',
        message: `Failed after ${MAX_ATTEMPTS} attempts: answered 503`,
      });
      expect(h.statuses.map((s) => s.state)).toEqual(['FAILED']);
    });

    it('a refusal fails at once', async () => {
      const h = harness(makeTarget(), () => new HttpRejected('answered 401: bad signature', 401));
      expect(await deliver(jobAt(1), null, h.ports)).toMatchObject({ record: { state: 'failed', message: 'answered 401: bad signature' } });
      expect(h.requests).toHaveLength(1);
    });

    it('a time-out marks the answer lost, and the next attempt says it may have deployed twice', async () => {
      let calls = 0;
      const h = harness(makeTarget(), () => (++calls === 1 ? new HttpFault('timeout', 'timed out', null, null, true) : 202));
      expect(await deliver(jobAt(1), null, h.ports)).toMatchObject({ record: { state: 'retrying', answerLost: true } });
      h.advance(60_000);
      expect(await deliver(jobAt(1), null, h.ports)).toMatchObject({ record: { state: 'requested', resent: true } });
    });
  });

  it('records a skip marker and a disabled target as skipped, posting nothing', async () => {
    const h = harness(makeTarget({ enabled: false }), () => 202);
    expect(await deliver(jobAt(1), null, h.ports)).toMatchObject({
      record: { state: 'skipped', message: 'Skipped: the target was disabled' },
    });
    const marked = { ...jobAt(2, D), skipReason: 'the commit message contains [skip ci]' };
    expect(await deliver(marked, null, h.ports)).toMatchObject({
      record: { state: 'skipped', message: 'Skipped: the commit message contains [skip ci]' },
    });
    expect(h.requests).toHaveLength(0);
    expect(h.statuses).toHaveLength(0);
  });

  it('a redeploy the target can no longer run is refused before the claim: nothing is sent, and the last push stays the newest sent', async () => {
    const h = harness(makeTarget(), () => 202);
    await deliver(jobAt(1, C), null, h.ports);
    const redeploy: DeployJob = {
      ...jobAt(2, C),
      jobKey: 'redeploy-1',
      trigger: 'redeploy',
      redeployOf: { recordId: 'r-1', provider: 'heroku', vendorId: null },
    };
    const result = await deliver(redeploy, null, h.ports);
    expect(result).toMatchObject({
      kind: 'done',
      record: { state: 'failed', attempts: 0, message: 'Redeploy refused: The target deploys to webhook now, not where this deploy went' },
    });
    expect(sent(h)).toEqual([C]);
    expect(h.states.get('staging-hook')).toMatchObject({ lease: null, sent: { jobKey: jobAt(1, C).jobKey, state: 'requested' } });
  });

  it('a job of a deleted target records nothing', async () => {
    const h = memoryPorts([], () => 202);
    expect(await deliver(jobAt(1), null, h.ports)).toMatchObject({
      kind: 'done',
      record: null,
      note: 'target deleted before the deploy ran',
    });
  });

  it('orders by the event timestamp to the microsecond', () => {
    expect(jobAt(1).order).toBe(orderOf(at(1), 0));
  });
});
