import { deliver } from '../../src/core/deliver';
import type { Deployment } from '../../src/core/deployment';
import { HttpFault, HttpRejected, type HttpRequest } from '../../src/core/http';
import { type DeployJob } from '../../src/core/job';
import { planPush } from '../../src/core/plan';
import { parsePushEvent } from '../../src/core/push-event';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import type { Target } from '../../src/core/targets';
import { makePushEvent } from '../fixtures/events';
import { memoryPorts } from '../fixtures/ports';
import { makeTarget } from '../fixtures/targets';

const harness = (target: Target, answer: (request: HttpRequest) => number | Error) => memoryPorts([target], answer);

const jobFor = (overrides: Partial<DeployJob> = {}): DeployJob => {
  const [job] = planPush(parsePushEvent(makePushEvent()), [makeTarget()], 1_763_633_700_000).jobs;
  return { ...(job as DeployJob), ...overrides };
};

describe('deliver', () => {
  it('sends once, records `requested` and reports INPROGRESS then SUCCESSFUL on the commit', async () => {
    const h = harness(makeTarget(), () => 202);
    const result = await deliver(jobFor(), 0, h.ports);
    expect(result).toMatchObject({ kind: 'done', record: { state: 'requested', postedStatus: 'SUCCESSFUL', attempts: 1 } });
    expect(h.requests).toHaveLength(1);
    expect(h.statuses.map((s) => s.state)).toEqual(['INPROGRESS', 'SUCCESSFUL']);
    expect(h.statuses[1]).toMatchObject({ key: 'deploy-relay-staging-hook', refname: 'main', url: 'https://bitbucket.org/acme/web' });
  });

  it('claims the commit for the target once, with the first save of the job, and not on later saves', async () => {
    const h = harness(makeTarget(), () => 202);
    await deliver(jobFor(), 0, h.ports);
    expect(h.claimWrites).toEqual([true, false, false]);
  });

  it('keeps the claim across retries without writing it again', async () => {
    let calls = 0;
    const h = harness(makeTarget(), () => (++calls === 1 ? new HttpFault('server_error', '503', 503, null) : 200));
    await deliver(jobFor(), 0, h.ports);
    await deliver(jobFor(), 1, h.ports);
    expect(h.claimWrites).toEqual([true, false, false, false]);
    expect(h.requests).toHaveLength(2);
  });

  it('a redelivered job sends nothing', async () => {
    const h = harness(makeTarget(), () => 202);
    await deliver(jobFor(), 0, h.ports);
    const again = await deliver(jobFor(), 0, h.ports);
    expect(again.kind).toBe('done');
    expect(h.requests).toHaveLength(1);
  });

  it('another push of a commit already deployed to the target sends nothing', async () => {
    const h = harness(makeTarget(), () => 202);
    await deliver(jobFor(), 0, h.ports);
    const other = await deliver(jobFor({ deliveryId: 'd-other', jobKey: 'other' }), 0, h.ports);
    expect(other).toMatchObject({ kind: 'done', note: expect.stringContaining('already handled by delivery') });
    expect(h.requests).toHaveLength(1);
  });

  it('a job whose result is settled sends and posts nothing again once another push of the commit took the claim', async () => {
    const h = harness(makeTarget(), () => new HttpFault('server_error', '503', 503, null));
    await deliver(jobFor(), MAX_ATTEMPTS - 1, h.ports);
    // Another push of the same commit tries too (the first failed, so it may), and claims the commit.
    await deliver(jobFor({ deliveryId: 'd-other', jobKey: 'other' }), MAX_ATTEMPTS - 1, h.ports);
    const sent = h.requests.length;
    const posted = h.statuses.length;
    // The first job comes back (its FAILED status post was retried): it sends nothing, and leaves the
    // commit's line to the push that took the commit over.
    await deliver(jobFor(), MAX_ATTEMPTS, h.ports);
    expect(h.requests).toHaveLength(sent);
    expect(h.statuses).toHaveLength(posted);
    expect([...h.records.values()].map((d) => [d.jobKey === 'other' ? 'other' : 'first', d.state, d.attempts])).toEqual(
      expect.arrayContaining([
        ['first', 'failed', MAX_ATTEMPTS],
        ['other', 'failed', MAX_ATTEMPTS],
      ]),
    );
  });

  it('retries a fault with the server’s Retry-After, then succeeds on a later attempt', async () => {
    let calls = 0;
    const h = harness(makeTarget(), () => (++calls === 1 ? new HttpFault('rate_limited', '429', 429, 30) : 200));
    expect(await deliver(jobFor(), 0, h.ports)).toEqual({ kind: 'retry', afterSeconds: 30, reason: 'rate_limited' });
    expect([...h.records.values()][0]?.state).toBe('retrying');
    expect(await deliver(jobFor(), 1, h.ports)).toMatchObject({ kind: 'done', record: { state: 'requested', attempts: 2 } });
    expect(h.requests).toHaveLength(2);
  });

  it('records `failed` after the last attempt and reports FAILED', async () => {
    const h = harness(
      makeTarget(),
      () => new HttpFault('server_error', 'POST https://deploy.example.com/hooks/deploy answered 503', 503, null),
    );
    const result = await deliver(jobFor(), MAX_ATTEMPTS - 1, h.ports);
    expect(result).toMatchObject({ kind: 'done', record: { state: 'failed', postedStatus: 'FAILED' } });
    expect((result as { record: Deployment }).record.message).toBe(
      `Failed after ${MAX_ATTEMPTS} attempts: POST https://deploy.example.com/hooks/deploy answered 503`,
    );
  });

  it('fails at once on a 4xx with the provider’s message', async () => {
    const h = harness(
      makeTarget(),
      () => new HttpRejected('POST https://deploy.example.com/hooks/deploy answered 401: bad signature', 401),
    );
    const result = await deliver(jobFor(), 0, h.ports);
    expect(result).toMatchObject({ kind: 'done', record: { state: 'failed', message: expect.stringContaining('401: bad signature') } });
    expect(h.requests).toHaveLength(1);
  });

  it('records a skip and leaves the commit alone', async () => {
    const h = harness(makeTarget(), () => 200);
    const result = await deliver(jobFor({ skipReason: 'the commit message contains [skip ci]' }), 0, h.ports);
    expect(result).toMatchObject({ kind: 'done', record: { state: 'skipped', message: 'Skipped: the commit message contains [skip ci]' } });
    expect(h.requests).toHaveLength(0);
    expect(h.statuses).toHaveLength(0);
  });

  it('retries only the commit status when Bitbucket refuses it, without deploying again', async () => {
    const h = harness(makeTarget(), () => 200);
    let failStatus = true;
    const post = h.ports.postCommitStatus;
    h.ports.postCommitStatus = async (job, status) => {
      if (status.state === 'SUCCESSFUL' && failStatus) {
        failStatus = false;
        throw new HttpFault('server_error', 'Bitbucket commit status answered 500', 500, null);
      }
      await post(job, status);
    };
    expect(await deliver(jobFor(), 0, h.ports)).toMatchObject({ kind: 'retry' });
    expect(await deliver(jobFor(), 1, h.ports)).toMatchObject({ kind: 'done', record: { postedStatus: 'SUCCESSFUL' } });
    expect(h.requests).toHaveLength(1);
  });

  it('fails a target whose settings are invalid, naming the field', async () => {
    const h = harness(makeTarget({ settings: { url: 'not a url' } }), () => 200);
    const result = await deliver(jobFor(), 0, h.ports);
    expect(result).toMatchObject({
      kind: 'done',
      record: { state: 'failed', message: expect.stringMatching(/Signed webhook settings are not valid: url: must be a URL/) },
    });
  });

  it('reports nothing on the commit when the target says not to', async () => {
    const h = harness(makeTarget({ options: { skipMarkers: true, coalesce: true, reportOnCommit: false } }), () => 200);
    await deliver(jobFor(), 0, h.ports);
    expect(h.statuses).toHaveLength(0);
  });

  describe('coalescing', () => {
    const newer = (job: DeployJob, order: number) => ({
      repositoryUuid: job.repository.uuid,
      targetId: job.targetId,
      ref: job.ref.name,
      jobKey: 'newer',
      commit: 'c3'.repeat(20),
      order,
    });

    it('a job overtaken by a newer push to its branch is superseded before anything is sent', async () => {
      const h = harness(makeTarget(), () => 200);
      const job = jobFor();
      await h.ports.store.markLatestPushes([newer(job, Date.parse(job.pushedAt as string) + 1000)]);
      const result = await deliver(job, 0, h.ports);
      expect(result).toMatchObject({
        kind: 'done',
        record: { state: 'superseded', postedStatus: 'STOPPED', message: 'Superseded by a newer push of c3c3c3c before it was sent' },
      });
      expect(h.requests).toHaveLength(0);
    });

    it('an older mark, a manual deploy, or coalescing turned off all deploy', async () => {
      const job = jobFor();
      const older = harness(makeTarget(), () => 200);
      await older.ports.store.markLatestPushes([newer(job, Date.parse(job.pushedAt as string) - 1000)]);
      expect(await deliver(job, 0, older.ports)).toMatchObject({ record: { state: 'requested' } });
      const manual = harness(makeTarget(), () => 200);
      await manual.ports.store.markLatestPushes([newer(job, Number.MAX_SAFE_INTEGER)]);
      expect(await deliver({ ...job, trigger: 'manual' }, 0, manual.ports)).toMatchObject({ record: { state: 'requested' } });
      const off = harness(makeTarget({ options: { skipMarkers: true, coalesce: false, reportOnCommit: true } }), () => 200);
      await off.ports.store.markLatestPushes([newer(job, Number.MAX_SAFE_INTEGER)]);
      expect(await deliver(job, 0, off.ports)).toMatchObject({ record: { state: 'requested' } });
    });

    it('a retrying job overtaken while it waits is superseded on its next attempt', async () => {
      const h = harness(makeTarget(), () => new HttpFault('server_error', '503', 503, null));
      const job = jobFor();
      expect(await deliver(job, 0, h.ports)).toMatchObject({ kind: 'retry' });
      await h.ports.store.markLatestPushes([newer(job, Date.parse(job.pushedAt as string) + 1000)]);
      expect(await deliver(job, 1, h.ports)).toMatchObject({ record: { state: 'superseded' } });
      expect(h.requests).toHaveLength(1);
    });
  });
});
