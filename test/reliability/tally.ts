import { commitStatusFor, type CommitStatusState, type Deployment, isFinal } from '../../src/core/deployment';
import { MAX_ATTEMPTS } from '../../src/core/retry';
import type { VendorDeployment, WebhookDelivery } from './backends';
import { COALESCES, type Push, type TargetId } from './traffic';

/**
 * Judges a run: every push against the records the app kept, the requests the receivers and the vendor
 * acted on, and the statuses on the commits in Bitbucket. Pure, so tally.test.ts can show that each
 * check fails when it should.
 */

export interface Observations {
  pushes: readonly Push[];
  records: readonly Deployment[];
  /** Deploy requests the webhook receivers acted on. */
  webhook: readonly WebhookDelivery[];
  /** Requests the receivers' fronts saw per `<repository> <target> <ref> <commit>`, failed ones included. */
  webhookAttempts: ReadonlyMap<string, number>;
  /** How many times a push's event was delivered (each delivery may attempt its deploys again). */
  deliveriesOf(push: Push): number;
  /** Deployments the DigitalOcean API created, and which repository each app belongs to. */
  vendor: readonly VendorDeployment[];
  repositoryOfApp: ReadonlyMap<string, string>;
  /** The commit status Bitbucket shows for a key, if any. */
  statusOf(repository: string, commit: string, key: string): CommitStatusState | undefined;
  /** Queue events the platform dropped. */
  deadLetters: number;
}

export const OUTCOMES = ['deployed', 'superseded', 'skipped', 'failed', 'canceled', 'unknown', 'covered by another push'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Tally {
  /** Push × matching target pairs. */
  expected: number;
  outcomes: Record<Outcome, number>;
  lost: number;
  duplicates: number;
  /** Commits without the final status their record calls for, and with a different one. */
  missingStatus: number;
  wrongStatus: number;
  /** Skipped without a marker, or not skipped despite one. */
  misjudgedSkips: number;
  /** A branch's newest push superseded: nothing newer would ever deploy. */
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

function outcomeOf(state: Deployment['state']): Outcome {
  if (state === 'requested' || state === 'succeeded') return 'deployed';
  return state as Outcome;
}

/** The record to judge when several exist for one push and target: a final one, then the latest. */
const better = (a: Deployment | undefined, b: Deployment): Deployment =>
  !a || (isFinal(b.state) && !isFinal(a.state)) || (isFinal(b.state) === isFinal(a.state) && b.updatedAt > a.updatedAt) ? b : a;

export function tally(observed: Observations): Tally {
  const problems: string[] = [];
  const problem = (text: string) => void (problems.length < MAX_PROBLEMS && problems.push(text));
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

  const own = new Map<string, Deployment>();
  const byCommit = new Map<string, Deployment[]>();
  for (const record of observed.records) {
    const pushKey = byKey(record.repositoryUuid, record.target.id, record.ref.name, record.commit.hash);
    own.set(pushKey, better(own.get(pushKey), record));
    const commitKey = byKey(record.repositoryUuid, record.target.id, record.commit.hash);
    byCommit.set(commitKey, [...(byCommit.get(commitKey) ?? []), record]);
  }

  let expected = 0;
  let lost = 0;
  let misjudgedSkips = 0;
  for (const push of observed.pushes) {
    for (const { target, skip } of push.expected) {
      expected += 1;
      const what = `${push.repository} ${target} ${push.ref}@${push.commit.slice(-8)}`;
      const record = own.get(byKey(push.repository, target, push.ref, push.commit));
      if (record) {
        if (!isFinal(record.state)) {
          lost += 1;
          problem(`lost: ${what} left ${record.state} (${record.message})`);
          continue;
        }
        outcomes[outcomeOf(record.state)] += 1;
        const skipped = record.state === 'skipped';
        if (skipped !== skip || (skipped && !/^Skipped: .+/.test(record.message))) {
          misjudgedSkips += 1;
          problem(`skip misjudged: ${what} is ${record.state} (${record.message}), expected ${skip ? 'skipped' : 'not skipped'}`);
        }
        continue;
      }
      // No record of its own: another push's deploy of the same commit must have handled it (the app
      // sends nothing then). One that was skipped or superseded never sent the commit: that is no cover.
      const others = byCommit.get(byKey(push.repository, target, push.commit)) ?? [];
      if (others.some((r) => isFinal(r.state) && r.state !== 'skipped' && r.state !== 'superseded'))
        outcomes['covered by another push'] += 1;
      else {
        lost += 1;
        problem(
          `lost: ${what} has no record${others.length > 0 ? `; the commit's other records: ${others.map((r) => `${r.ref.name} ${r.state}`).join(', ')}` : ''}`,
        );
      }
    }
  }

  let wronglySuperseded = 0;
  const newest = new Map<string, Push>();
  for (const push of observed.pushes) {
    for (const { target, skip } of push.expected) {
      if (!skip && COALESCES[target as TargetId]) newest.set(byKey(push.repository, target, push.ref), push);
    }
  }
  for (const [key, push] of newest) {
    const record = own.get(`${key} ${push.commit}`);
    if (record?.state === 'superseded' && record.message.startsWith('Superseded by a newer push')) {
      wronglySuperseded += 1;
      problem(`wrongly superseded: the newest push ${key}@${push.commit.slice(-8)}: ${record.message}`);
    }
  }

  let missingStatus = 0;
  let wrongStatus = 0;
  for (const [key, records] of byCommit) {
    const [repository = '', target = '', commit = ''] = key.split(' ');
    if (!records.every((r) => isFinal(r.state))) continue; // counted as lost above
    // Bitbucket keeps the last post per key; a skipped record posts nothing.
    const reporting = records.filter((r) => r.state !== 'skipped').sort((a, b) => a.updatedAt - b.updatedAt);
    const last = reporting[reporting.length - 1];
    const wanted = last ? commitStatusFor(last.state) : undefined;
    const shown = observed.statusOf(repository, commit, statusKey(target));
    if (wanted === shown) continue;
    if (shown === undefined) missingStatus += 1;
    else wrongStatus += 1;
    problem(
      `status: ${repository} ${target} @${commit.slice(-8)} shows ${shown ?? 'nothing'}, the record (${last?.state ?? 'skipped'}: ${last?.message ?? ''}) calls for ${wanted ?? 'nothing'}`,
    );
  }

  let duplicates = 0;
  const acted = new Map<string, number>();
  for (const d of observed.webhook)
    acted.set(byKey(d.repository, d.target, d.commit), (acted.get(byKey(d.repository, d.target, d.commit)) ?? 0) + 1);
  for (const [key, count] of acted) {
    if (count <= 1) continue;
    duplicates += count - 1;
    problem(`duplicate: ${key} reached its receiver ${count} times`);
  }
  // A DigitalOcean request carries no commit: each deployment it created must be held by exactly one record.
  const holders = new Map<string, Deployment[]>();
  for (const record of observed.records) {
    if (record.target.provider === 'digitalocean' && record.vendorId)
      holders.set(byKey(record.repositoryUuid, record.vendorId), [
        ...(holders.get(byKey(record.repositoryUuid, record.vendorId)) ?? []),
        record,
      ]);
  }
  for (const deployment of observed.vendor) {
    const repository = observed.repositoryOfApp.get(deployment.appId) ?? '?';
    const held = holders.get(byKey(repository, deployment.id)) ?? [];
    if (held.length === 1) continue;
    duplicates += 1;
    problem(`duplicate: DigitalOcean deployment ${deployment.id} of ${repository} is held by ${held.length} records`);
  }
  for (const [key, records] of byCommit) {
    const accepted = records.filter((r) => r.target.provider === 'digitalocean' && r.vendorId).sort((a, b) => a.createdAt - b.createdAt);
    // A deploy that failed or was superseded may rightly be sent again by a later push of its commit.
    const again = accepted.filter((r, i) => i > 0 && !['failed', 'superseded'].includes(accepted[i - 1]!.state));
    duplicates += again.length;
    if (again.length > 0) problem(`duplicate: ${key} was deployed to DigitalOcean ${accepted.length} times`);
  }

  let overAttempts = observed.records.filter((r) => r.attempts > MAX_ATTEMPTS).length;
  if (overAttempts > 0) problem(`${overAttempts} record(s) took more than ${MAX_ATTEMPTS} attempts`);
  // At the receivers, independently of the records: each delivery of an event may attempt a deploy
  // at most MAX_ATTEMPTS times (a redelivered event starts its own attempts).
  for (const push of observed.pushes) {
    for (const { target } of push.expected) {
      const key = byKey(push.repository, target, push.ref, push.commit);
      const attempts = observed.webhookAttempts.get(key) ?? 0;
      const bound = MAX_ATTEMPTS * observed.deliveriesOf(push);
      if (attempts <= bound) continue;
      overAttempts += 1;
      problem(`${key} was attempted ${attempts} times at its receiver, more than ${bound}`);
    }
  }
  const invalidSignatures = observed.webhook.filter((d) => !d.signaturesValid).length;
  return {
    expected,
    outcomes,
    lost,
    duplicates,
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

/** The lines a run prints: `lost: N`, `duplicates: N`, then each outcome and check. */
export function formatTally(t: Tally): string[] {
  return [
    `lost: ${t.lost}`,
    `duplicates: ${t.duplicates}`,
    `outcomes (${t.expected} push × target): ${OUTCOMES.map((o) => `${o} ${t.outcomes[o]}`).join(', ')}`,
    `commit statuses: missing ${t.missingStatus}, wrong ${t.wrongStatus}`,
    `checks: misjudged skips ${t.misjudgedSkips}, newest push superseded ${t.wronglySuperseded}, over ${MAX_ATTEMPTS} attempts ${t.overAttempts}, bad signatures ${t.invalidSignatures}, dead letters ${t.deadLetters}`,
  ];
}
