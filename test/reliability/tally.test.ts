// settings-harness loads the local platform first, as any module that reaches @forge/api must.
import { makeDeployment } from '../page/settings-harness';
import type { CommitStatusState, Deployment } from '../../src/core/deployment';
import { hashOf, makePushEvent } from '../fixtures/events';
import type { VendorDeployment, WebhookDelivery } from './backends';
import { type Observations, tally, type Tally } from './tally';
import type { Push, TargetId } from './traffic';

/**
 * The fault scenario's verdict must be able to fail: each check is shown catching the one thing it is
 * for, in a small world of three pushes, so a run that prints `lost: 0` has been looked at.
 */

const REPO = '{00000000-0000-4000-8000-000000000001}';
const APP = '00000000-0000-4000-9000-000000000001';
const [C1, C2] = [hashOf(1), hashOf(2)];

const push = (seq: number, ref: string, commit: string, targets: TargetId[]): Push => ({
  seq,
  wave: 0,
  repository: REPO,
  ref,
  commit,
  event: makePushEvent(),
  expected: targets.map((target) => ({ target, skip: false })),
});

/** main @ C1, then main @ C2 (coalescing supersedes C1 for hook and do), then release/1 cut at C2. */
const PUSHES = [
  push(0, 'main', C1, ['hook', 'do', 'audit']),
  push(1, 'main', C2, ['hook', 'do', 'audit']),
  push(2, 'release/1', C2, ['hook', 'audit']),
];
const deliveryIdOf = (p: Push) => `d-${p.seq}`;

const PROVIDERS: Record<TargetId, string> = { hook: 'webhook', do: 'digitalocean', audit: 'webhook' };
const record = (p: Push, target: TargetId, state: Deployment['state'], overrides: Partial<Deployment> = {}): Deployment =>
  makeDeployment(1_763_633_800_000 + p.seq, {
    repositoryUuid: REPO,
    deliveryId: deliveryIdOf(p),
    jobKey: `${deliveryIdOf(p)}-${target}`,
    order: p.seq,
    ref: { name: p.ref, type: 'branch' },
    target: { id: target, name: target, environment: 'staging', provider: PROVIDERS[target] },
    commit: { hash: p.commit, message: 'Change', author: null },
    state,
    message: state === 'superseded' ? 'Superseded: a newer push (main 0000000) is queued for this target' : 'done',
    ...overrides,
  });

const [P0, P1, P2] = PUSHES as [Push, Push, Push];

function world() {
  const records = [
    record(P0, 'hook', 'superseded'),
    record(P0, 'do', 'superseded'),
    record(P0, 'audit', 'requested'),
    record(P1, 'hook', 'requested'),
    record(P1, 'do', 'succeeded', { vendorId: 'dep-1' }),
    record(P1, 'audit', 'requested'),
    // The release branch cut at C2: the target already runs C2.
    record(P2, 'hook', 'skipped', { message: 'Skipped: push main already deployed this commit' }),
    record(P2, 'audit', 'skipped', { message: 'Skipped: push main already deployed this commit' }),
  ];
  const delivery = (p: Push, target: TargetId): WebhookDelivery => ({
    repository: REPO,
    target,
    commit: p.commit,
    deliveryId: deliveryIdOf(p),
    signaturesValid: true,
  });
  const webhook: WebhookDelivery[] = [delivery(P0, 'audit'), delivery(P1, 'hook'), delivery(P1, 'audit')];
  const vendor: VendorDeployment[] = [{ appId: APP, id: 'dep-1', createdAt: 0 }];
  const attempts = new Map([
    ['d-0 audit', 2],
    ['d-1 hook', 1],
    ['d-1 audit', 5],
  ]);
  const statuses = new Map<string, CommitStatusState>([
    [`${C1} deploy-relay-hook`, 'STOPPED'],
    [`${C1} deploy-relay-do`, 'STOPPED'],
    [`${C1} deploy-relay-audit`, 'SUCCESSFUL'],
    [`${C2} deploy-relay-hook`, 'SUCCESSFUL'],
    [`${C2} deploy-relay-do`, 'SUCCESSFUL'],
    [`${C2} deploy-relay-audit`, 'SUCCESSFUL'],
  ]);
  return { records, webhook, vendor, statuses, attempts };
}

function judge(change: (w: ReturnType<typeof world>) => void = () => undefined): Tally {
  const w = world();
  change(w);
  const observed: Observations = {
    pushes: PUSHES,
    deliveryIdOf,
    records: w.records,
    webhook: w.webhook,
    webhookAttempts: w.attempts,
    vendor: w.vendor,
    repositoryOfApp: new Map([[APP, REPO]]),
    statusOf: (_repo, commit, key) => w.statuses.get(`${commit} ${key}`),
    deadLetters: 0,
  };
  return tally(observed);
}

const at = (w: ReturnType<typeof world>, p: Push, target: TargetId): Deployment => {
  const found = w.records.find((r) => r.target.id === target && r.deliveryId === deliveryIdOf(p));
  if (!found) throw new Error(`no ${target} record for push ${p.seq}`);
  return found;
};

it('a clean run counts every push × target once, the release cut at C2 as skipped: its commit was deployed', () => {
  const t = judge();
  expect(t).toMatchObject({
    expected: 8,
    lost: 0,
    notFinal: 0,
    duplicates: 0,
    regressions: 0,
    missingStatus: 0,
    wrongStatus: 0,
    misjudgedSkips: 0,
    wronglySuperseded: 0,
    problems: [],
  });
  expect(t.outcomes).toMatchObject({ deployed: 4, superseded: 2, skipped: 2 });
});

it.each<[string, (w: ReturnType<typeof world>) => void, Partial<Tally>]>([
  ['a push without a record is lost', (w) => void w.records.splice(w.records.indexOf(at(w, P0, 'audit')), 1), { lost: 1 }],
  ['a record left retrying is not final', (w) => void (at(w, P0, 'audit').state = 'retrying'), { notFinal: 1 }],
  ['a deploy that reached its receiver twice is a duplicate', (w) => void w.webhook.push(w.webhook[1]!), { duplicates: 1 }],
  [
    'a DigitalOcean deployment no record holds is a duplicate',
    (w) => void w.vendor.push({ appId: APP, id: 'dep-2', createdAt: 1 }),
    { duplicates: 1 },
  ],
  ['a DigitalOcean deployment held by two records is a duplicate', (w) => void (at(w, P0, 'do').vendorId = 'dep-1'), { duplicates: 1 }],
  [
    'an older push acted on after a newer one is a regression (and leaves the target on it)',
    (w) => void w.webhook.push({ ...w.webhook[0]!, target: 'audit' }),
    { regressions: 2, duplicates: 1 },
  ],
  [
    "a target whose last request is not its newest deployed push's is a regression",
    (w) => void w.vendor.splice(0, 1, { appId: APP, id: 'dep-0', createdAt: 0 }),
    { regressions: 1 },
  ],
  ['a final record whose status never reached the commit', (w) => void w.statuses.delete(`${C2} deploy-relay-hook`), { missingStatus: 1 }],
  [
    'a commit left INPROGRESS under a final record',
    (w) => void w.statuses.set(`${C1} deploy-relay-audit`, 'INPROGRESS'),
    { wrongStatus: 1 },
  ],
  [
    "a commit showing an older push's status, not its newest push's",
    (w) => Object.assign(at(w, P2, 'audit'), { state: 'failed', message: 'answered 401' }),
    { wrongStatus: 1 },
  ],
  ['a skip without a marker or a reason of the same commit', (w) => void (at(w, P0, 'audit').state = 'skipped'), { misjudgedSkips: 1 }],
  [
    'the newest push superseded by the app',
    (w) => Object.assign(at(w, P1, 'do'), { state: 'superseded', message: 'Superseded: a newer push (main 1234567) was already sent' }),
    { wronglySuperseded: 1 },
  ],
  ['a record with more attempts than the bound', (w) => void (at(w, P0, 'audit').attempts = 6), { overAttempts: 1 }],
  ['a receiver that saw more attempts than the bound', (w) => void w.attempts.set('d-0 audit', 6), { overAttempts: 1 }],
])('%s', (_name, change, counts) => {
  const t = judge(change);
  expect(t).toMatchObject(counts);
  expect(t.problems.length).toBeGreaterThan(0);
});

it("the newest push's own vendor saying SUPERSEDED is its outcome, not the app superseding it", () => {
  const t = judge((w) => Object.assign(at(w, P1, 'do'), { state: 'superseded', message: 'DigitalOcean deployment SUPERSEDED' }));
  expect(t.wronglySuperseded).toBe(0);
});

it('a deploy acted on twice after a lost answer, when its record says it was sent again, is counted apart, not as a duplicate', () => {
  const t = judge((w) => {
    w.webhook.push(w.webhook[1]!);
    at(w, P1, 'hook').resent = true;
  });
  expect(t).toMatchObject({ duplicates: 0, resentTwice: 1, problems: [] });
});
