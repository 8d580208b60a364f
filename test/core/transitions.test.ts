import type { Deployment } from '../../src/core/deployment';
import type { DeployJob } from '../../src/core/job';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import { newRecord } from '../../src/core/run';
import { EMPTY_TARGET_STATE, LEASE_MS, markOf, type TargetState } from '../../src/core/target-state';
import { DEFAULT_OPTIONS, type Target } from '../../src/core/targets';
import {
  ANSWER_ROWS,
  type AnswerSituation,
  decide,
  DELIVERY_ROWS,
  type DeliverySituation,
  FOLLOW_ROWS,
  type FollowSituation,
  ORDER_WAIT_MS,
  READ_ROWS,
  type ReadSituation,
  type Row,
} from '../../src/core/transitions';
import { makeDeployJob } from '../fixtures/jobs';
import { makeTarget } from '../fixtures/targets';

/**
 * One case per row of each table in src/core/transitions.ts: the situation that reaches the row (and
 * no row before it), and the step it leads to. The last test checks every row has its case, so a row
 * added without one fails here.
 */

const NOW = 1_763_633_800_000;
const job = makeDeployJob();
const older: DeployJob = makeDeployJob({ jobKey: 'older', deliveryId: 'd-older', order: job.order - 1, commit: { hash: 'c0'.repeat(20) } });
const PREVIEW = { pullRequest: { id: 7, title: 'T', destination: 'main', author: null } };
const newer: DeployJob = makeDeployJob({ jobKey: 'newer', deliveryId: 'd-newer', order: job.order + 1, commit: { hash: 'd0'.repeat(20) } });
const target = makeTarget();
const noCoalescing: Target = makeTarget({ options: { ...DEFAULT_OPTIONS, coalesce: false } });
const waitsForBuilds: Target = makeTarget({ options: { ...DEFAULT_OPTIONS, waitForBuilds: true } });
const needsApproval: Target = makeTarget({ options: { ...DEFAULT_OPTIONS, waitForBuilds: true, requireApproval: true } });
// NOW is Thursday 20 November 2025, 10:16 UTC.
const frozenFreeze = (during: 'wait' | 'skip') => ({
  timeZone: 'UTC',
  weekly: [],
  once: [{ from: '2025-11-20T09:00', to: '2025-11-20T17:00', reason: 'Release week' }],
  during,
});
const frozenWaits: Target = makeTarget({ options: { ...DEFAULT_OPTIONS, freeze: frozenFreeze('wait') } });
const frozenSkips: Target = makeTarget({ options: { ...DEFAULT_OPTIONS, freeze: frozenFreeze('skip') } });
const FROZEN = { endsAt: Date.parse('2025-11-20T17:00:00Z'), why: 'Release week (2025-11-20 09:00 – 2025-11-20 17:00, UTC)' };
const state = (fields: Partial<TargetState> = {}): TargetState => ({ ...EMPTY_TARGET_STATE, version: 3, ...fields });
const record = (fields: Partial<Deployment> = {}): Deployment => ({ ...newRecord(job, target, NOW), ...fields });
const lease = (jobKey: string, token: string, until = NOW + LEASE_MS) => ({ jobKey, token, until });

const delivery = (fields: Partial<DeliverySituation> = {}): DeliverySituation => ({
  now: NOW,
  job,
  target,
  record: null,
  state: state(),
  planned: [],
  token: 'mine',
  answer: null,
  handedOn: null,
  ...fields,
});

const accepted = { kind: 'accepted', reconciled: false, result: { state: 'requested', message: 'ok', vendorId: null, url: null } } as const;

const DELIVERY_CASES: Record<string, [DeliverySituation, unknown]> = {
  'target deleted': [delivery({ target: null }), { do: 'nothing', note: 'target deleted before the deploy ran' }],
  'already finished': [delivery({ record: record({ state: 'requested' }) }), { do: 'report' }],
  'accepted and followed': [delivery({ record: record({ state: 'in_progress' }) }), { do: 'follow' }],
  'answer in hand': [
    delivery({ record: record({ state: 'sending' }), state: state({ lease: lease(job.jobKey, 'mine') }), answer: accepted }),
    { do: 'record' },
  ],
  'lease taken, not sent yet': [
    delivery({ record: record({ state: 'sending' }), state: state({ lease: lease(job.jobKey, 'mine') }) }),
    { do: 'send' },
  ],
  'lease handed on, not sent yet': [
    delivery({ record: record({ state: 'sending' }), state: state({ lease: lease(job.jobKey, 'previous') }), handedOn: 'previous' }),
    { do: 'claim', lost: false },
  ],
  'another delivery of this job is sending': [
    delivery({ record: record({ state: 'sending' }), state: state({ lease: lease(job.jobKey, 'theirs') }) }),
    { do: 'wait', untilMs: NOW + LEASE_MS, why: 'another delivery of this job is sending it' },
  ],
  'retry not due': [
    delivery({ record: record({ state: 'retrying', nextAttemptAt: NOW + 10_000 }) }),
    { do: 'wait', untilMs: NOW + 10_000, why: 'its next attempt is not due yet' },
  ],
  'skip marker': [delivery({ job: { ...job, skipReason: 'the commit message contains [skip ci]' } }), { do: 'finish', state: 'skipped' }],
  'refused when planned': [
    delivery({ job: { ...job, refusal: { state: 'blocked', message: 'Not previewed: the pull request comes from a fork (x/y)' } } }),
    { do: 'finish', state: 'blocked', message: 'Not previewed: the pull request comes from a fork (x/y)' },
  ],
  'target disabled': [delivery({ target: { ...target, enabled: false } }), { do: 'finish', state: 'skipped' }],
  'automatic deploys paused': [
    delivery({ target: { ...target, paused: true } }),
    { do: 'finish', state: 'skipped', message: 'Skipped: automatic deploys of this target are paused' },
  ],
  'a newer push was sent': [
    delivery({ state: state({ sent: markOf(newer, 'requested') }) }),
    { do: 'finish', state: 'superseded', message: 'Superseded: a newer push (main d0d0d0d) was already sent' },
  ],
  'preview torn down already': [
    delivery({
      job: { ...job, preview: { ...PREVIEW, action: 'teardown' } },
      state: state({ sent: markOf({ ...older, preview: { ...PREVIEW, action: 'teardown' } }, 'requested') }),
    }),
    { do: 'finish', state: 'skipped', message: 'Skipped: the preview was torn down already (main c0c0c0c)' },
  ],
  'a newer push is queued (coalescing)': [
    delivery({ planned: [{ jobKey: newer.jobKey, order: newer.order, commit: newer.commit.hash }] }),
    { do: 'finish', state: 'superseded', message: 'Superseded: a newer push (d0d0d0d) is queued for this target' },
  ],
  'commit already deployed': [
    delivery({ state: state({ sent: markOf({ ...older, commit: job.commit }, 'succeeded') }) }),
    { do: 'finish', state: 'skipped', message: 'Skipped: push main already deployed this commit' },
  ],
  'builds not passed yet': [
    delivery({ target: waitsForBuilds, record: record({ state: 'waiting', builds: { since: NOW, read: true, seen: [], passed: false } }) }),
    { do: 'gate' },
  ],
  'not approved yet': [
    delivery({
      target: needsApproval,
      record: record({
        state: 'waiting',
        builds: { since: NOW, read: true, seen: [], passed: true },
        approval: { since: NOW, decision: null },
      }),
    }),
    { do: 'approval' },
  ],
  frozen: [delivery({ target: frozenWaits }), { do: 'freeze', freeze: FROZEN }],
  'another request in flight': [
    delivery({ state: state({ lease: lease(older.jobKey, 'theirs') }) }),
    { do: 'wait', untilMs: NOW + LEASE_MS, why: 'another deploy to this target is being sent' },
  ],
  'an older push is still being sent (no coalescing)': [
    delivery({ target: noCoalescing, state: state({ sent: markOf(older, 'retrying') }) }),
    { do: 'wait', why: 'the older push main c0c0c0c goes first' },
  ],
  'an older push is queued (no coalescing)': [
    delivery({
      target: noCoalescing,

      planned: [{ jobKey: older.jobKey, order: older.order, commit: older.commit.hash }],
    }),
    { do: 'wait', why: 'the older push c0c0c0c goes first' },
  ],
  'out of attempts, last answer lost': [
    delivery({ record: record({ state: 'retrying', attempts: MAX_ATTEMPTS, answerLost: true, nextAttemptAt: NOW - 1 }) }),
    { do: 'finish', state: 'unknown' },
  ],
  'ready to send': [delivery(), { do: 'claim', lost: false }],
};

const answer = (fields: Partial<AnswerSituation>): AnswerSituation => ({
  now: NOW,
  answer: accepted,
  attempts: 1,
  retryInSeconds: 10,
  ...fields,
});
const fault = { kind: 'fault', message: 'answered 503', retryAfterSeconds: null, mayHaveArrived: false } as const;

const ANSWER_CASES: Record<string, [AnswerSituation, unknown]> = {
  'accepted, to be followed': [
    answer({ answer: { ...accepted, result: { ...accepted.result, state: 'in_progress', vendorId: 'dep-1' } } }),
    { do: 'accepted', result: { state: 'in_progress', vendorId: 'dep-1' } },
  ],
  'accepted, final': [answer({}), { do: 'finish', state: 'requested', message: 'ok' }],
  'fault, attempts left': [
    answer({ answer: { ...fault, mayHaveArrived: true } }),
    { do: 'retry', atMs: NOW + 10_000, answerLost: true, message: `Attempt 1 of ${MAX_ATTEMPTS} failed (answered 503); retrying in 10 s` },
  ],
  'fault, out of attempts, the last may have arrived': [
    answer({ answer: { ...fault, mayHaveArrived: true }, attempts: MAX_ATTEMPTS }),
    { do: 'finish', state: 'unknown' },
  ],
  'fault, out of attempts': [
    answer({ answer: fault, attempts: MAX_ATTEMPTS }),
    { do: 'finish', state: 'failed', message: `Failed after ${MAX_ATTEMPTS} attempts: answered 503` },
  ],
  refused: [answer({ answer: { kind: 'refused', message: 'answered 401' } }), { do: 'finish', state: 'failed', message: 'answered 401' }],
};

const followed = (fields: Partial<Deployment> = {}) => record({ state: 'in_progress', vendorId: 'dep-1', checks: 2, ...fields });
const following = (fields: Partial<FollowSituation> = {}): FollowSituation => ({
  check: 2,
  record: followed(),
  target,
  cannotRead: null,
  ...fields,
});

const FOLLOW_CASES: Record<string, [FollowSituation, unknown]> = {
  'record gone': [following({ record: null }), { do: 'nothing' }],
  'already finished': [following({ record: followed({ state: 'succeeded' }) }), { do: 'report' }],
  'target deleted': [
    following({ target: null }),
    { do: 'finish', state: 'unknown', message: 'Outcome unknown: the target was deleted while its deploy was followed' },
  ],
  'stale check': [following({ check: 1 }), { do: 'nothing', note: 'stale status check' }],
  'no id to follow': [
    following({ record: followed({ vendorId: null }) }),
    { do: 'finish', state: 'unknown', message: 'Outcome unknown: the vendor accepted the deploy without an id to follow it by' },
  ],
  'vendor cannot be asked': [
    following({ cannotRead: "Signed webhook cannot report a deploy's outcome" }),
    { do: 'finish', state: 'unknown', message: "Outcome unknown: Signed webhook cannot report a deploy's outcome" },
  ],
  'read it': [following(), { do: 'read' }],
};

const reading = (fields: Partial<ReadSituation>): ReadSituation => ({
  answer: { kind: 'status', result: { state: 'in_progress', message: 'BUILDING', url: null } },
  vendor: 'DigitalOcean App Platform',
  nextDelaySeconds: 30,
  limitMinutes: 60,
  ...fields,
});

const READ_CASES: Record<string, [ReadSituation, unknown]> = {
  'finished at the vendor': [
    reading({ answer: { kind: 'status', result: { state: 'failed', message: 'ERROR', url: null } } }),
    { do: 'finish', state: 'failed', message: 'ERROR' },
  ],
  'refused by the vendor': [
    reading({ answer: { kind: 'refused', message: 'answered 401' } }),
    { do: 'finish', state: 'unknown', message: 'Outcome unknown: DigitalOcean App Platform could not be asked (answered 401)' },
  ],
  'following is over': [
    reading({ nextDelaySeconds: null }),
    { do: 'finish', state: 'unknown', message: "Outcome unknown: after 60 minutes it is still in progress; see the vendor's page" },
  ],
  'still running, or unreadable for now': [
    reading({ answer: { kind: 'fault', message: 'answered 502' } }),
    { do: 'again', delaySeconds: 30 },
  ],
};

function eachRow<S>(title: string, rows: readonly Row<S, unknown>[], cases: Record<string, [S, unknown]>) {
  describe(title, () => {
    it.each(rows.map((row) => row.name))('row "%s"', (name) => {
      const entry = cases[name];
      if (!entry) throw new Error(`no case for row "${name}"`);
      const [situation, step] = entry;
      const decided = decide(rows, situation);
      expect(decided.row).toBe(name);
      expect(decided.step).toMatchObject(step as object);
    });

    it('has a case for every row and a row for every case', () => {
      expect(Object.keys(cases).sort()).toEqual(rows.map((row) => row.name).sort());
    });
  });
}

eachRow('the deploy worker', DELIVERY_ROWS, DELIVERY_CASES);
eachRow('the answer to a request', ANSWER_ROWS, ANSWER_CASES);
eachRow('the status poller', FOLLOW_ROWS, FOLLOW_CASES);
eachRow('a status read', READ_ROWS, READ_CASES);

describe('rows that say more than their name', () => {
  it('a job whose builds passed goes on to the lease and the order of pushes, as any other', () => {
    const passed = delivery({
      target: waitsForBuilds,
      record: record({ state: 'waiting', builds: { since: NOW, read: true, seen: [], passed: true } }),
      state: state({ lease: lease(older.jobKey, 'theirs') }),
    });
    expect(decide(DELIVERY_ROWS, passed).row).toBe('another request in flight');
  });

  it('a job that needs builds and an approval waits for the builds first, and once approved goes on to the lease', () => {
    const unbuilt = delivery({ target: needsApproval, record: record({ state: 'waiting', approval: { since: NOW, decision: null } }) });
    expect(decide(DELIVERY_ROWS, unbuilt).row).toBe('builds not passed yet');
    const approved = delivery({
      target: needsApproval,
      record: record({
        state: 'waiting',
        builds: { since: NOW, read: true, seen: [], passed: true },
        approval: { since: NOW, decision: { decision: 'approve', by: 'someone', at: NOW } },
      }),
      state: state({ lease: lease(older.jobKey, 'theirs') }),
    });
    expect(decide(DELIVERY_ROWS, approved).row).toBe('another request in flight');
  });

  it('during a freeze a push is skipped when the target says so, a deploy asked for from the page waits, and an override passes', () => {
    expect(decide(DELIVERY_ROWS, delivery({ target: frozenSkips })).step).toEqual({
      do: 'finish',
      state: 'skipped',
      message: `Skipped: the target is frozen (${FROZEN.why})`,
    });
    const manual = makeDeployJob({ trigger: 'manual' });
    expect(decide(DELIVERY_ROWS, delivery({ target: frozenSkips, job: manual })).step).toEqual({ do: 'freeze', freeze: FROZEN });
    const overridden = makeDeployJob({ trigger: 'manual', overrideGates: true });
    expect(decide(DELIVERY_ROWS, delivery({ target: frozenSkips, job: overridden })).row).toBe('ready to send');
    expect(decide(DELIVERY_ROWS, delivery({ target: frozenWaits, now: FROZEN.endsAt })).row).toBe('ready to send');
  });

  it('a paused or disabled target does not call a job skipped whose earlier request may have arrived', () => {
    const lostRetry = record({ state: 'retrying', nextAttemptAt: NOW - 1, answerLost: true });
    for (const changed of [
      { ...target, paused: true },
      { ...target, enabled: false },
    ])
      expect(decide(DELIVERY_ROWS, delivery({ target: changed, record: lostRetry })).step).toMatchObject({
        do: 'finish',
        state: 'unknown',
      });
  });

  it('a paused target still takes Deploy now and Redeploy, which are not pushes', () => {
    const paused = { ...target, paused: true };
    for (const trigger of ['manual', 'redeploy'] as const)
      expect(decide(DELIVERY_ROWS, delivery({ target: paused, job: { ...job, trigger } })).row).toBe('ready to send');
  });

  it('an approval given during a freeze still waits for the freeze; an override passes builds and approval too', () => {
    const frozenApproval = makeTarget({ options: { ...needsApproval.options, freeze: frozenFreeze('wait') } });
    const approved = record({
      state: 'waiting',
      builds: { since: NOW, read: true, seen: [], passed: true },
      approval: { since: NOW, decision: { decision: 'approve', by: 'someone', at: NOW } },
    });
    expect(decide(DELIVERY_ROWS, delivery({ target: frozenApproval, record: approved })).row).toBe('frozen');
    const overridden = makeDeployJob({ trigger: 'redeploy', overrideGates: true });
    expect(decide(DELIVERY_ROWS, delivery({ target: frozenApproval, job: overridden })).row).toBe('ready to send');
  });

  it('a job whose own answer was lost and that a newer push overtook ends as outcome unknown, not superseded', () => {
    const lostAnswer = delivery({
      record: record({ state: 'retrying', answerLost: true, nextAttemptAt: NOW - 1 }),
      state: state({ sent: markOf(newer, 'requested') }),
    });
    expect(decide(DELIVERY_ROWS, lostAnswer)).toMatchObject({ row: 'a newer push was sent', step: { do: 'finish', state: 'unknown' } });
  });

  it('a push skipped because an older one deployed its commit covers it: a still older push is then overtaken (git rollback, late event)', () => {
    const rollback = delivery({
      job: { ...job, order: newer.order + 1, jobKey: 'rollback' },
      state: state({ sent: markOf({ ...older, commit: job.commit }, 'succeeded') }),
    });
    expect(decide(DELIVERY_ROWS, rollback)).toMatchObject({
      row: 'commit already deployed',
      step: { do: 'finish', state: 'skipped', covers: true },
    });
    const late = delivery({
      job: newer,
      state: state({
        sent: markOf({ ...older, commit: job.commit }, 'succeeded'),
        covered: markOf({ ...job, order: newer.order + 1, jobKey: 'rollback' }, 'skipped'),
      }),
    });
    expect(decide(DELIVERY_ROWS, late)).toMatchObject({ row: 'a newer push was sent', step: { do: 'finish', state: 'superseded' } });
  });

  it('a job overtaken by a newer push of its own commit is skipped, so it posts nothing over that push', () => {
    const sameCommit = delivery({ state: state({ sent: markOf({ ...newer, commit: job.commit }, 'requested') }) });
    expect(decide(DELIVERY_ROWS, sameCommit)).toMatchObject({ step: { do: 'finish', state: 'skipped' } });
  });

  it('a job whose holder stopped (lease expired) is claimed again as lost', () => {
    const stopped = delivery({ record: record({ state: 'sending' }), state: state({ lease: lease(job.jobKey, 'gone', NOW - 1) }) });
    expect(decide(DELIVERY_ROWS, stopped)).toEqual({ row: 'ready to send', step: { do: 'claim', lost: true } });
  });

  it('with coalescing off, a job stops waiting for an older push ORDER_WAIT_MS after it began waiting', () => {
    const late = delivery({
      target: noCoalescing,
      job: { ...job, waitingSince: NOW - ORDER_WAIT_MS },
      state: state({ sent: markOf(older, 'retrying') }),
    });
    expect(decide(DELIVERY_ROWS, late).row).toBe('ready to send');
  });

  it('a teardown after a teardown that failed goes out: only one that did not fail left nothing to remove', () => {
    const teardown = delivery({
      job: { ...job, preview: { ...PREVIEW, action: 'teardown' } },
      state: state({ sent: markOf({ ...older, preview: { ...PREVIEW, action: 'teardown' } }, 'failed') }),
    });
    expect(decide(DELIVERY_ROWS, teardown).row).toBe('ready to send');
  });

  it("a preview's teardown passes the gates and the pause, and goes out though its commit was deployed: it removes what the deploy made", () => {
    const preview = { pullRequest: { id: 7, title: 'T', destination: 'main', author: null } };
    const teardown = { ...job, preview: { ...preview, action: 'teardown' as const } };
    const deployed = state({ sent: markOf({ ...older, commit: job.commit }, 'requested') });
    const gatedTarget = { ...needsApproval, paused: true, options: { ...needsApproval.options, freeze: frozenSkips.options.freeze } };
    expect(decide(DELIVERY_ROWS, delivery({ job: teardown, target: gatedTarget, state: deployed })).row).toBe('ready to send');
    // A preview's deploy is held as any push is.
    const deploy = { ...job, preview: { ...preview, action: 'deploy' as const } };
    expect(decide(DELIVERY_ROWS, delivery({ job: deploy, target: gatedTarget, state: deployed })).row).toBe('automatic deploys paused');
  });

  it('a deploy now of a commit already deployed sends it again: it was asked for', () => {
    const manual = delivery({
      job: { ...job, trigger: 'manual' },
      state: state({ sent: markOf({ ...older, commit: job.commit }, 'succeeded') }),
    });
    expect(decide(DELIVERY_ROWS, manual).row).toBe('ready to send');
  });
});
