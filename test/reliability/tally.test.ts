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

const PROVIDERS: Record<TargetId, string> = { hook: 'webhook', do: 'digitalocean', audit: 'webhook' };
const record = (target: TargetId, commit: string, state: Deployment['state'], overrides: Partial<Deployment> = {}): Deployment =>
  makeDeployment(1_763_633_800_000, {
    repositoryUuid: REPO,
    target: { id: target, name: target, environment: 'staging', provider: PROVIDERS[target] },
    commit: { hash: commit, message: 'Change', author: null },
    state,
    message: state === 'superseded' ? `Superseded by a newer push of ${C2.slice(0, 7)} before it was sent` : 'done',
    ...overrides,
  });

function world() {
  const records = [
    record('hook', C1, 'superseded'),
    record('do', C1, 'superseded'),
    record('audit', C1, 'requested'),
    record('hook', C2, 'requested'),
    record('do', C2, 'succeeded', { vendorId: 'dep-1' }),
    record('audit', C2, 'requested'),
  ];
  const webhook: WebhookDelivery[] = [
    { repository: REPO, target: 'audit', commit: C1, deliveryId: 'd-1', signaturesValid: true },
    { repository: REPO, target: 'hook', commit: C2, deliveryId: 'd-2', signaturesValid: true },
    { repository: REPO, target: 'audit', commit: C2, deliveryId: 'd-2', signaturesValid: true },
  ];
  const vendor: VendorDeployment[] = [{ appId: APP, id: 'dep-1' }];
  const attempts = new Map([
    [`${REPO} audit main ${C1}`, 2],
    [`${REPO} hook main ${C2}`, 1],
    [`${REPO} audit main ${C2}`, 5],
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
    records: w.records,
    webhook: w.webhook,
    webhookAttempts: w.attempts,
    deliveriesOf: (p) => (p.seq === 1 ? 2 : 1),
    vendor: w.vendor,
    repositoryOfApp: new Map([[APP, REPO]]),
    statusOf: (_repo, commit, key) => w.statuses.get(`${commit} ${key}`),
    deadLetters: 0,
  };
  return tally(observed);
}

const at = (w: ReturnType<typeof world>, target: TargetId, commit: string): Deployment => {
  const found = w.records.find((r) => r.target.id === target && r.commit.hash === commit);
  if (!found) throw new Error(`no ${target} record for ${commit}`);
  return found;
};

it('a clean run counts every push × target once, the release cut at C2 as covered by the push to main', () => {
  const t = judge();
  expect(t).toMatchObject({
    expected: 8,
    lost: 0,
    duplicates: 0,
    missingStatus: 0,
    wrongStatus: 0,
    misjudgedSkips: 0,
    wronglySuperseded: 0,
    problems: [],
  });
  expect(t.outcomes).toMatchObject({ deployed: 4, superseded: 2, 'covered by another push': 2 });
});

it.each<[string, (w: ReturnType<typeof world>) => void, Partial<Tally>]>([
  ['a push without a record is lost', (w) => void w.records.splice(w.records.indexOf(at(w, 'audit', C1)), 1), { lost: 1 }],
  ['a record left retrying is lost', (w) => void (at(w, 'audit', C1).state = 'retrying'), { lost: 1 }],
  // The release cut at C2 counted on the push to main: with that record gone, both pushes are lost.
  [
    'a push covered by a record that is gone is lost too',
    (w) => void w.records.splice(w.records.indexOf(at(w, 'audit', C2)), 1),
    { lost: 2 },
  ],
  [
    'a deploy that reached its receiver twice is a duplicate',
    (w) => void w.webhook.push({ ...w.webhook[1]!, deliveryId: 'd-3' }),
    { duplicates: 1 },
  ],
  ['a DigitalOcean deployment no record holds is a duplicate', (w) => void w.vendor.push({ appId: APP, id: 'dep-2' }), { duplicates: 1 }],
  [
    'a commit deployed to DigitalOcean by two records is a duplicate',
    (w) => {
      w.records.push(record('do', C2, 'succeeded', { vendorId: 'dep-2', jobKey: 'again' }));
      w.vendor.push({ appId: APP, id: 'dep-2' });
    },
    { duplicates: 1 },
  ],
  ['a final record whose status never reached the commit', (w) => void w.statuses.delete(`${C2} deploy-relay-hook`), { missingStatus: 1 }],
  [
    'a commit left INPROGRESS under a final record',
    (w) => void w.statuses.set(`${C1} deploy-relay-audit`, 'INPROGRESS'),
    { wrongStatus: 1 },
  ],
  [
    'a status on a commit whose only record was skipped',
    (w) => void (at(w, 'audit', C1).state = 'skipped'),
    { wrongStatus: 1, misjudgedSkips: 1 },
  ],
  [
    'the newest push superseded',
    (w) =>
      void Object.assign(at(w, 'hook', C2), { state: 'superseded', message: 'Superseded by a newer push of 1234567 before it was sent' }),
    { wronglySuperseded: 1 },
  ],
  ['a record with more attempts than the bound', (w) => void (at(w, 'audit', C1).attempts = 6), { overAttempts: 1 }],
  ['a receiver that saw more attempts than the bound', (w) => void w.attempts.set(`${REPO} audit main ${C1}`, 6), { overAttempts: 1 }],
  // The push to main @ C2 was delivered twice: each delivery may attempt its deploy five times.
  [
    'a receiver that saw more attempts than twice the bound for a push delivered twice',
    (w) => void w.attempts.set(`${REPO} audit main ${C2}`, 11),
    { overAttempts: 1 },
  ],
  [
    'a push whose commit was only ever superseded under another push is lost, not covered',
    (w) => void Object.assign(at(w, 'hook', C2), { state: 'superseded', ref: { name: 'other', type: 'branch' } }),
    { lost: 2 },
  ],
])('%s', (_name, change, counts) => {
  const t = judge(change);
  expect(t).toMatchObject(counts);
  expect(t.problems.length).toBeGreaterThan(0);
});
