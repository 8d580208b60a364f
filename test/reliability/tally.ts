import { commitStatusFor, type CommitStatusState, type Deployment, isFinal } from '../../src/core/deployment';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import type { VendorDeployment, WebhookDelivery } from './backends';
import type { Push } from './traffic';

/**
 * Judges a run: every push against the records the app kept, the requests the receivers and the vendor
 * acted on (in the order they arrived), and the statuses on the commits in Bitbucket. Pure, so
 * tally.test.ts can show that each check fails when it should.
 */

export interface Observations {
  pushes: readonly Push[];
  /** The delivery id the app gives each push (derived from the event: a redelivery has the same). */
  deliveryIdOf(push: Push): string;
  records: readonly Deployment[];
  /** Deploy requests the webhook receivers acted on, in the order they arrived. */
  webhook: readonly WebhookDelivery[];
  /** Requests the receivers' fronts saw per `<delivery id> <target>` (one push and target), failed ones included. */
  webhookAttempts: ReadonlyMap<string, number>;
  /** Deployments the DigitalOcean API created, in the order it created them, and which repository each app belongs to. */
  vendor: readonly VendorDeployment[];
  repositoryOfApp: ReadonlyMap<string, string>;
  /** The commit status Bitbucket shows for a key, if any. */
  statusOf(repository: string, commit: string, key: string): CommitStatusState | undefined;
  /** Queue events the platform dropped. */
  deadLetters: number;
}

export const OUTCOMES = ['deployed', 'superseded', 'skipped', 'failed', 'canceled', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Tally {
  /** Push × matching target pairs. */
  expected: number;
  outcomes: Record<Outcome, number>;
  lost: number;
  /** Records left in a state that is not final. */
  notFinal: number;
  /** A vendor acted on one push for one target more than once, apart from requests resent after a lost answer. */
  duplicates: number;
  /** Lost answers found at the vendor and followed instead of sent again. */
  reconciled: number;
  /** Requests sent again after a lost answer to a receiver that cannot be asked, each acted on twice. */
  resentTwice: number;
  /** Deployments started by a request whose answer was lost, left to the vendor's page (outcome unknown). */
  lostUnknown: number;
  /** A request acted on after a newer push's, or a target whose last request is not its newest push's. */
  regressions: number;
  missingStatus: number;
  wrongStatus: number;
  /** Skipped without a marker, or not skipped despite one. */
  misjudgedSkips: number;
  /** A target's newest push superseded: nothing newer would ever deploy. */
  wronglySuperseded: number;
  overAttempts: number;
  invalidSignatures: number;
  deadLetters: number;
  /** The first few problems, each with what it concerns, for a failing run's message. */
  problems: string[];
}

const MAX_PROBLEMS = 20;
const statusKey = (target: string) => `deploy-relay-${target}`;
const byKey = (...parts: string[]) => parts.join(' ');
const SKIP_MARKER_REASON = /^Skipped: the commit message contains /;
/** The skips the app makes on its own: another push carried the same commit. */
const SAME_COMMIT_REASON = /^Skipped: (push .+ already deployed this commit|a newer push of this commit|another push of this commit)/;
/** The outcome of a push whose answer was lost and that a newer push overtook, or that ran out of attempts (core/transitions.ts). */
const LOST_ANSWER = /^Outcome unknown: the answer to its (request|last attempt).* was lost/;

function outcomeOf(state: Deployment['state']): Outcome {
  if (state === 'requested' || state === 'succeeded') return 'deployed';
  return state as Outcome;
}

export function tally(observed: Observations): Tally {
  const problems: string[] = [];
  const problem = (text: string) => void (problems.length < MAX_PROBLEMS && problems.push(text));
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

  const recordOf = new Map<string, Deployment>();
  for (const record of observed.records) recordOf.set(byKey(record.deliveryId, record.target.id), record);
  const pushOf = new Map<string, Push>();
  for (const push of observed.pushes) pushOf.set(observed.deliveryIdOf(push), push);
  const what = (push: Push, target: string) =>
    `${push.repository.slice(-5, -1)} ${target} ${push.ref}@${push.commit.slice(-6)} (#${push.seq})`;

  let expected = 0;
  let lost = 0;
  let misjudgedSkips = 0;
  for (const push of observed.pushes) {
    for (const { target, skip } of push.expected) {
      expected += 1;
      const record = recordOf.get(byKey(observed.deliveryIdOf(push), target));
      if (!record) {
        lost += 1;
        problem(`lost: ${what(push, target)} has no record`);
        continue;
      }
      if (!isFinal(record.state)) continue; // counted below
      outcomes[outcomeOf(record.state)] += 1;
      const markerSkip = record.state === 'skipped' && SKIP_MARKER_REASON.test(record.message);
      const otherSkip = record.state === 'skipped' && !markerSkip;
      if (markerSkip !== skip || (otherSkip && !SAME_COMMIT_REASON.test(record.message))) {
        misjudgedSkips += 1;
        problem(
          `skip misjudged: ${what(push, target)} is ${record.state} (${record.message}), expected ${skip ? 'skipped' : 'not skipped'}`,
        );
      }
    }
  }
  const open = observed.records.filter((r) => !isFinal(r.state));
  for (const record of open) {
    problem(`not final: ${record.target.id} ${record.ref.name}@${record.commit.hash.slice(-6)} left ${record.state} (${record.message})`);
  }

  // What each target's vendor acted on, in arrival order, as pushes.
  const acted = new Map<string, (Push | undefined)[]>();
  const act = (repository: string, target: string, push: Push | undefined) => {
    const key = byKey(repository, target);
    acted.set(key, [...(acted.get(key) ?? []), push]);
  };
  let duplicates = 0;
  let resentTwice = 0;
  let lostUnknown = 0;
  const actedPerPush = new Map<string, number>();
  for (const d of observed.webhook) {
    const key = byKey(d.deliveryId, d.target);
    const times = (actedPerPush.get(key) ?? 0) + 1;
    actedPerPush.set(key, times);
    const record = recordOf.get(key);
    if (times > 1 && record?.resent) resentTwice += 1;
    else if (times > 1) {
      duplicates += 1;
      problem(
        `duplicate: ${key} reached its receiver ${times} times (record ${record?.state}, ${record?.attempts} attempts: ${record?.message})`,
      );
    }
    act(d.repository, d.target, pushOf.get(d.deliveryId));
  }
  // A DigitalOcean request carries no commit: each deployment it created must be held by exactly one record.
  const holders = new Map<string, Deployment[]>();
  for (const record of observed.records) {
    if (record.target.provider !== 'digitalocean' || !record.vendorId) continue;
    const key = byKey(record.repositoryUuid, record.vendorId);
    holders.set(key, [...(holders.get(key) ?? []), record]);
  }
  // A request whose answer was lost and whose push was then overtaken ends as outcome unknown, its
  // deployment held by no record: that is the one deployment of that push, not a second one.
  const unclaimed = new Map<string, number>();
  for (const record of observed.records) {
    if (record.target.provider === 'digitalocean' && record.state === 'unknown' && LOST_ANSWER.test(record.message)) {
      unclaimed.set(record.repositoryUuid, (unclaimed.get(record.repositoryUuid) ?? 0) + 1);
    }
  }
  for (const deployment of observed.vendor) {
    const repository = observed.repositoryOfApp.get(deployment.appId) ?? '?';
    const held = holders.get(byKey(repository, deployment.id)) ?? [];
    if (held.length === 0 && (unclaimed.get(repository) ?? 0) > 0) {
      unclaimed.set(repository, (unclaimed.get(repository) ?? 0) - 1);
      lostUnknown += 1;
    } else if (held.length !== 1) {
      duplicates += 1;
      problem(`duplicate: DigitalOcean deployment ${deployment.id} of ${repository} is held by ${held.length} records`);
    }
    act(repository, 'do', held[0] ? pushOf.get(held[0].deliveryId) : undefined);
  }
  const reconciled = observed.records.filter((r) => r.reconciled).length;

  // Push order at every vendor: nothing acted on after a newer push's request, and the newest push last.
  let regressions = 0;
  for (const [key, sequence] of acted) {
    let newest: Push | undefined;
    for (const push of sequence) {
      if (!push) continue;
      if (newest && push.seq < newest.seq) {
        regressions += 1;
        problem(`regression: ${key} acted on push #${push.seq} after push #${newest.seq}`);
      }
      if (!newest || push.seq > newest.seq) newest = push;
    }
  }
  // A target's newest push, leaving out those skipped (by a marker, or because another push carried the commit).
  const newestOf = new Map<string, Push>();
  for (const push of observed.pushes) {
    for (const { target } of push.expected) {
      const record = recordOf.get(byKey(observed.deliveryIdOf(push), target));
      if (record?.state !== 'skipped') newestOf.set(byKey(push.repository, target), push);
    }
  }
  let wronglySuperseded = 0;
  for (const [key, push] of newestOf) {
    const target = key.split(' ')[1] as string;
    const record = recordOf.get(byKey(observed.deliveryIdOf(push), target));
    // Superseded by the app (not a vendor that says its own deploy was superseded).
    if (record?.state === 'superseded' && record.message.startsWith('Superseded:')) {
      wronglySuperseded += 1;
      problem(`wrongly superseded: the newest push ${what(push, target)}: ${record.message}`);
    }
    const last = [...(acted.get(key) ?? [])].reverse().find((p) => p !== undefined);
    const deployed = record?.state === 'requested' || record?.state === 'succeeded';
    if (deployed && last !== push) {
      regressions += 1;
      problem(`regression: ${key} last acted on ${last ? `push #${last.seq}` : 'nothing'}, not its newest push, #${push.seq}`);
    }
  }

  // The commit's line for a target is the newest push of that commit that reports (a skipped one posts nothing).
  let missingStatus = 0;
  let wrongStatus = 0;
  const byCommit = new Map<string, Deployment[]>();
  for (const record of observed.records) {
    const key = byKey(record.repositoryUuid, record.target.id, record.commit.hash);
    byCommit.set(key, [...(byCommit.get(key) ?? []), record]);
  }
  for (const [key, records] of byCommit) {
    if (!records.every((r) => isFinal(r.state))) continue;
    const [repository = '', target = '', commit = ''] = key.split(' ');
    const owner = records
      .filter((r) => r.state !== 'skipped')
      .sort((a, b) => a.order - b.order)
      .at(-1);
    const wanted = owner ? commitStatusFor(owner.state) : undefined;
    const shown = observed.statusOf(repository, commit, statusKey(target));
    if (wanted === shown) continue;
    if (shown === undefined) missingStatus += 1;
    else wrongStatus += 1;
    const all = records.map((r) => `${r.ref.name} ${r.state}${r.postedStatus ? `/${r.postedStatus}` : ''}: ${r.message}`).join('; ');
    problem(
      `status: ${target} @${commit.slice(-6)} shows ${shown ?? 'nothing'}, its newest record calls for ${wanted ?? 'nothing'} (${all})`,
    );
  }

  let overAttempts = observed.records.filter((r) => r.attempts > MAX_ATTEMPTS).length;
  if (overAttempts > 0) problem(`${overAttempts} record(s) took more than ${MAX_ATTEMPTS} attempts`);
  for (const [key, attempts] of observed.webhookAttempts) {
    if (attempts <= MAX_ATTEMPTS) continue;
    overAttempts += 1;
    problem(`${key} was attempted ${attempts} times at its receiver, more than ${MAX_ATTEMPTS}`);
  }
  const invalidSignatures = observed.webhook.filter((d) => !d.signaturesValid).length;
  return {
    expected,
    outcomes,
    lost,
    notFinal: open.length,
    duplicates,
    reconciled,
    resentTwice,
    lostUnknown,
    regressions,
    missingStatus,
    wrongStatus,
    misjudgedSkips,
    wronglySuperseded,
    overAttempts,
    invalidSignatures,
    deadLetters: observed.deadLetters,
    problems,
  };
}

/** The lines a run prints: the checks first, then the outcomes. */
export function formatTally(t: Tally): string[] {
  return [
    `lost: ${t.lost}`,
    `duplicates: ${t.duplicates}`,
    `regressions: ${t.regressions}`,
    `records not final: ${t.notFinal}`,
    `commit statuses wrong: ${t.wrongStatus} (missing ${t.missingStatus})`,
    `lost answers: reconciled at the vendor ${t.reconciled}; resent to a receiver that cannot be asked and acted on twice ${t.resentTwice}; overtaken and left as outcome unknown ${t.lostUnknown}`,
    `outcomes (${t.expected} push × target): ${OUTCOMES.map((o) => `${o} ${t.outcomes[o]}`).join(', ')}`,
    `checks: misjudged skips ${t.misjudgedSkips}, newest push superseded ${t.wronglySuperseded}, over ${MAX_ATTEMPTS} attempts ${t.overAttempts}, bad signatures ${t.invalidSignatures}, dead letters ${t.deadLetters}`,
  ];
}
