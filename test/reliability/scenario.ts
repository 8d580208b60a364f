// The platform must load before any module that imports @forge/api: it installs the SDK's seams.
import { createLocalPlatform, type EgressRecord, type LocalPlatform } from '../../local/platform';
import { harshProfile } from '../../local/harsh';
import { type BitbucketStandIn, createBitbucketStandIn } from '../../local/bitbucket';
import type { Deployment } from '../../src/core/deployment';
import { deliveryIdFor } from '../../src/core/plan';
import { parsePushEvent } from '../../src/core/push-event';
import { DEFAULT_OPTIONS, type Target } from '../../src/core/targets';
import { PROVIDER_TIMEOUT_MS } from '../../src/forge/http';
import { listDeployments, putSecrets, putTargets } from '../../src/forge/store';
import { SIGNING_SECRET } from '../platform/app';
import { makeTarget } from '../fixtures/targets';
import { digitalOceanBackend, type VendorDeployment, webhookBackend } from './backends';
import { type BitbucketFault, createFaultPlan, type FaultPlan, seededRandom } from './fault-plan';
import { type FaultyServer, refusingPort, startFaultyServer } from './faulty-server';
import { formatTally, tally, type Tally } from './tally';
import { planTraffic, type Push, type Repository, type Traffic, type TrafficSize } from './traffic';
import { secretsSavedFor } from '../../src/providers/registry';
import { storedShapeChecker } from '../platform/stored-shapes';

/**
 * Pushes over many repositories, each with three targets (a signed webhook that coalesces, DigitalOcean
 * followed to its outcome, and a webhook that takes every push in order), on the harsh local platform
 * (local/harsh.ts: events out of order, twice, two of one target at once, invocations stopped midway,
 * storage writes and queue pushes failing), while 20 % of provider calls fail (500/502/503, 429 with and
 * without Retry-After, answers lost after the vendor acted, requests held past the app's timeout,
 * connections refused) and Bitbucket's status posts fail with 500 and 429; Bitbucket delivers some
 * events twice and some late, after newer pushes. One module for the short runs in `npm test` and the
 * full one in `npm run test:load`: only the size differs.
 *
 * Time: the pushes of a wave happen a minute after the wave before, on the platform's clock, which
 * stamps their events (a microsecond apart, in push order). Pushes arrive in sessions of waves; within
 * a session each wave runs what is due by then, so retries wait while newer pushes arrive; at the end
 * of a session the clock runs until the queues are dry (retries, back-off, status reads for up to an
 * hour), as in a quiet spell.
 */

export interface ScenarioSize extends TrafficSize {
  name: string;
  /** Queue deliveries run at once (per drain). */
  concurrency: number;
  /** Repositories whose `hook` receiver refuses every connection: its deploys fail after the bounded attempts. */
  deadReceivers: number;
  /** Requests held past the app's 20 s timeout in each session (each costs real seconds). */
  timeoutsPerSession: number;
  seed: number;
  /** Forge's retry cap, when the run assumes one (4, as some write-ups say); none: its 24 hours. */
  maxRetries?: number;
  /**
   * Gates on: `audit` waits for the commit's builds (a CI reports each pushed commit green, some before
   * the push, most after its job has begun to wait, its events delivered as harshly as pushes), and `do`
   * is frozen for three waves early in the run. The invariants hold through the waits, and two more are
   * checked: nothing reaches `audit` before its builds passed, nothing reaches DigitalOcean during the freeze.
   */
  gates?: boolean;
}

/** A one-off freeze of the `do` targets, in UTC minutes as the form writes them. */
interface FreezeWindow {
  from: number;
  to: number;
}

/** Minutes of the freeze, and when it starts after the run's first wave. */
const FREEZE_WAVES = { after: 2, lasting: 3 };
const CI_KEY = 'ci';
const CI_URL = 'https://ci.example.com/builds';
/** The share of commits the CI reports green before their push arrives (a build already passed). */
const GREEN_FIRST = 1 / 3;

const utcMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16);

export interface ScenarioResult {
  tally: Tally;
  /** Push trigger invocations that failed: a push Forge would not deliver again. */
  triggerErrors: number;
  /** What the run prints: the figures first, then the counts. */
  lines: string[];
  seconds: number;
}

export interface Scenario {
  run(): Promise<ScenarioResult>;
  close(): Promise<void>;
}

/** The share of provider calls the servers fail; refused connections to the dead receivers come on top. */
const PROVIDER_FAULT_RATE = 0.2;
const BITBUCKET_FAULT_RATE = 0.2;
const WORKSPACE_UUID = '{7a1c2e4f-0b3d-4c5e-8f6a-9b0c1d2e3f40}';
const DO_TOKEN = 'dop_v1_reliability_token';
/**
 * A wave of pushes a minute: Forge takes 500 events a minute per installation, and each push makes up
 * to four (a wave of the full run holds 100 pushes). Bursts past the limit still happen, from retries.
 */
const WAVE_INTERVAL_MS = 60_000;
/** drain() stops after 10,000 deliveries by default, a guard against a consumer retrying forever. */
const MAX_DELIVERIES = 10_000_000;

function targetsOf(repo: Repository, hook: string, receiver: string, freeze: FreezeWindow | null): Target[] {
  const rules = (branches: string[]) => ({ branches, tags: [], paths: { include: [], exclude: [] } });
  const gates = freeze !== null;
  return [
    makeTarget({ id: 'hook', name: 'Staging hook', environment: 'staging', settings: { url: hook }, rules: rules(['main', 'release/*']) }),
    makeTarget({
      id: 'do',
      name: 'DigitalOcean',
      environment: 'production',
      provider: 'digitalocean',
      settings: { appId: repo.appId },
      secretHints: { token: { last4: DO_TOKEN.slice(-4) } },
      rules: rules(['main']),
      ...(freeze
        ? {
            options: {
              ...DEFAULT_OPTIONS,
              freeze: {
                timeZone: 'UTC',
                weekly: [],
                once: [{ from: utcMinute(freeze.from), to: utcMinute(freeze.to), reason: 'Fault run freeze' }],
                during: 'wait' as const,
              },
            },
          }
        : {}),
    }),
    makeTarget({
      id: 'audit',
      name: 'Audit log',
      environment: 'audit',
      settings: { url: `${receiver}/audit` },
      rules: rules(['**']),
      options: { ...DEFAULT_OPTIONS, skipMarkers: false, coalesce: false, waitForBuilds: gates },
    }),
  ];
}

/** Bitbucket's status posts fail through the stand-in's own fault injector, one rule per failed post. */
function failStatusPosts(bitbucket: BitbucketStandIn, plan: FaultPlan): void {
  const handle = bitbucket.handle;
  bitbucket.handle = async (method, path, body, caller) => {
    const fault: BitbucketFault | null = method === 'POST' && path.includes('/statuses/build') ? plan.bitbucketFault() : null;
    if (!fault) return handle(method, path, body, caller);
    // The stand-in answers from the rule synchronously, before any other request can match it.
    const rule = bitbucket.faults.inject({
      method,
      path,
      status: Number(fault.slice(0, 3)),
      times: 1,
      ...(fault === '429 Retry-After' ? { retryAfterSeconds: plan.retryAfterSeconds() } : {}),
    });
    try {
      return await handle(method, path, body, caller);
    } finally {
      rule.remove();
    }
  };
}

/** Provider calls as the app made them (the egress log), by what came back. */
class CallCounts {
  total = 0;
  readonly failed = new Map<string, number>();
  constructor(private readonly refusedPort: number) {}
  add(entries: readonly EgressRecord[]): void {
    for (const entry of entries) {
      this.total += 1;
      const kind = this.kindOf(entry);
      if (kind) this.failed.set(kind, (this.failed.get(kind) ?? 0) + 1);
    }
  }
  private kindOf(entry: EgressRecord): string | null {
    if (entry.status !== undefined) return entry.status >= 500 || entry.status === 429 ? String(entry.status) : null;
    if (new URL(entry.routedUrl ?? entry.url).port === String(this.refusedPort)) return 'refused';
    // The egress log keeps fetch's message only ("fetch failed"): here, keep-alive connections reset or
    // closed under the request, and held requests the server had to close (counted at the fronts).
    return /abort|timeout/i.test(entry.error ?? '') ? 'timeout' : 'connection reset or closed';
  }
  get failures(): number {
    return [...this.failed.values()].reduce((a, b) => a + b, 0);
  }
}

/**
 * The gates' own promises in a gated run, added to the tally's problems (the receiver checks on its
 * own that no request reached `audit` before the CI reported its commit): every request `audit` sent
 * left after the app saw its commit's builds pass, and DigitalOcean created no deployment during the freeze,
 * while the pushes made during it waited (then deployed, or were superseded by a newer push).
 */
function gateChecks(
  records: readonly Deployment[],
  vendor: readonly VendorDeployment[],
  freeze: FreezeWindow,
  problems: string[],
): string[] {
  const where = (r: Deployment) => `${r.target.id} ${r.ref.name}@${r.commit.hash.slice(-6)}`;
  const sentAudit = records.filter((r) => r.target.id === 'audit' && r.sentAt !== null);
  if (sentAudit.length === 0) problems.push('nothing was sent to audit: the wait for builds was not exercised');
  for (const r of sentAudit.filter((a) => a.builds?.passed !== true).slice(0, 5))
    problems.push(`sent before its builds passed: ${where(r)}`);
  const during = (at: number) => at >= freeze.from && at < freeze.to;
  for (const d of vendor.filter((v) => during(v.createdAt)).slice(0, 5))
    problems.push(`DigitalOcean deployment ${d.id} created during the freeze`);
  const held = records.filter((r) => r.target.id === 'do' && during(r.createdAt));
  for (const r of held.filter((h) => h.sentAt !== null && h.sentAt < freeze.to).slice(0, 5))
    problems.push(`sent during the freeze: ${where(r)}`);
  if (held.length === 0) problems.push('no push reached a frozen target during the freeze: the freeze was not exercised');
  const released = held.filter((r) => r.sentAt !== null).length;
  return [
    `gates: ${sentAudit.length} requests to audit, each after its commit's builds passed; ${held.length} pushes to DigitalOcean during the ${(freeze.to - freeze.from) / 60_000}-minute freeze, ${released} sent once it ended, the rest superseded; deployments DigitalOcean created during it: ${vendor.filter((v) => during(v.createdAt)).length}`,
  ];
}

export async function startScenario(size: ScenarioSize): Promise<Scenario> {
  const plan = createFaultPlan({ seed: size.seed + 1, providerRate: PROVIDER_FAULT_RATE, bitbucketRate: BITBUCKET_FAULT_RATE });
  const traffic: Traffic = planTraffic(size, seededRandom(size.seed));
  // The vendors' clock is the platform's (created below, once the vendors' addresses are known).
  const clock = { now: (): number => Date.now() };
  const hooks = webhookBackend(SIGNING_SECRET, () => clock.now());
  const digitalOcean = digitalOceanBackend(seededRandom(size.seed + 2), () => clock.now());
  const servers: FaultyServer[] = [];
  const holdMs = PROVIDER_TIMEOUT_MS + 2000;
  /** `<repository> <commit>` the CI has reported green, and the requests that reached `audit` before their commit was. */
  const builtGreen = new Set<string>();
  const unbuiltAtReceiver: string[] = [];
  const observe = (request: Parameters<typeof hooks.observe>[0]) => {
    const body = JSON.parse(request.body) as { target: { id: string }; repository: { uuid: string }; commit: { hash: string } };
    if (size.gates && body.target.id === 'audit' && !builtGreen.has(`${body.repository.uuid} ${body.commit.hash}`))
      unbuiltAtReceiver.push(`${body.repository.uuid.slice(-5, -1)} ${body.commit.hash.slice(-6)}`);
    hooks.observe(request);
  };
  const receiver = await startFaultyServer({ plan, holdMs, callerOf: hooks.callerOf, observe, backend: hooks.answer });
  servers.push(receiver);
  const vendor = await startFaultyServer({ plan, holdMs, callerOf: digitalOcean.callerOf, backend: digitalOcean.answer });
  servers.push(vendor);
  const refused = await refusingPort();

  const bitbucket = createBitbucketStandIn();
  failStatusPosts(bitbucket, plan);
  bitbucket.addWorkspace({ uuid: WORKSPACE_UUID, slug: 'reliability' });
  const shapes = storedShapeChecker();
  const app: LocalPlatform = createLocalPlatform({
    routes: { 'api.digitalocean.com': vendor.base },
    bitbucket,
    harsh: harshProfile(size.seed + 3),
    maxRetries: size.maxRetries,
    onStorageWrite: shapes.observe,
  });
  clock.now = app.now;
  // The first wave happens a minute from now; the freeze starts on a whole minute a little after.
  const freezeFrom = Math.ceil((app.now() + (FREEZE_WAVES.after + 1) * WAVE_INTERVAL_MS) / 60_000) * 60_000;
  const freeze: FreezeWindow | null = size.gates ? { from: freezeFrom, to: freezeFrom + FREEZE_WAVES.lasting * 60_000 } : null;
  const ciRandom = seededRandom(size.seed + 4);
  /** Build status trigger invocations that failed: a CI report Forge would not deliver again. */
  let triggerErrorsOfBuilds = 0;
  // The admins' saved targets, arranged calmly, as the settings page would have stored them.
  await app.run(
    async () => {
      for (const repo of traffic.repositories) {
        bitbucket.addRepository({ workspace: WORKSPACE_UUID, uuid: repo.uuid, slug: `repo-${repo.index}` });
        const hook = repo.index < size.deadReceivers ? `http://127.0.0.1:${refused}/hook` : `${receiver.base}/hook`;
        const targets = targetsOf(repo, hook, receiver.base, freeze);
        await putTargets({
          schemaVersion: 1,
          repository: { uuid: repo.uuid, workspaceUuid: WORKSPACE_UUID, fullName: `reliability/repo-${repo.index}` },
          targets,
        });
        for (const target of targets)
          await putSecrets(
            repo.uuid,
            target.id,
            secretsSavedFor(target, target.provider === 'digitalocean' ? { token: DO_TOKEN } : { signingSecret: SIGNING_SECRET }),
          );
      }
    },
    { calm: true },
  );

  async function run(): Promise<ScenarioResult> {
    const started = Date.now();
    const calls = new CallCounts(refused);
    const statusPosts = { total: 0, failed: 0 };
    let triggerErrors = 0;
    const emit = async (push: Push) => {
      // A trigger stopped midway (harsh platform) is retried by the platform: only a thrown error is lost.
      for (const outcome of await app.emit(push.event)) if (!outcome.ok && !outcome.timedOut) triggerErrors += 1;
    };
    /** The logs grow with every call: counted and emptied while nothing runs. */
    const collect = () => {
      calls.add(app.egressLog);
      app.egressLog.length = 0;
      app.resetCalls();
      const posts = bitbucket.calls.filter((c) => c.method === 'POST' && c.path.includes('/statuses/build'));
      statusPosts.total += posts.length;
      statusPosts.failed += posts.filter((c) => c.faulted).length;
      bitbucket.clearCalls();
    };
    const bornIn = new Map<number, Push[]>();
    for (const push of traffic.pushes) bornIn.set(push.wave, [...(bornIn.get(push.wave) ?? []), push]);

    let waveIndex = 0;
    for (const [index, session] of traffic.sessions.entries()) {
      // A long run says where it is; the counts come at the end.
      if (index > 0)
        process.stdout.write(
          `reliability (${size.name}): session ${index + 1} of ${traffic.sessions.length} at ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );
      // Held at the start of the session, requests time out beside its other work, not instead of it.
      plan.allowTimeouts(size.timeoutsPerSession);
      for (const wave of session) {
        // The wave's pushes happen now, a microsecond apart: their events carry that time. The clock
        // stands still while the wave runs (a receiver judges a signature's age by it).
        app.advanceClock(WAVE_INTERVAL_MS);
        (bornIn.get(waveIndex) ?? []).forEach((push, n) => {
          push.event.timestamp = `${new Date(app.now()).toISOString().slice(0, -1)}${String(n).padStart(3, '0')}Z`;
        });
        const born = bornIn.get(waveIndex) ?? [];
        waveIndex += 1;
        const builtLater = size.gates ? await buildFirst(born) : [];
        for (const push of wave) await emit(push);
        await app.drain({ advanceClock: false, concurrency: size.concurrency, maxDeliveries: MAX_DELIVERIES });
        if (builtLater.length > 0) {
          await reportBuilds(builtLater);
          await app.drain({ advanceClock: false, concurrency: size.concurrency, maxDeliveries: MAX_DELIVERIES });
        }
      }
      // From here the clock runs: a held request would stop it for 20 real seconds.
      plan.allowTimeouts(0);
      await app.drain({ concurrency: size.concurrency, maxDeliveries: MAX_DELIVERIES });
      collect();
    }
    for (const push of traffic.late) await emit(push);
    await app.drain({ concurrency: size.concurrency, maxDeliveries: MAX_DELIVERIES });
    collect();

    const records = await readRecords();
    const repositoryOfApp = new Map(traffic.repositories.map((r) => [r.appId, r.uuid]));
    const result = tally({
      pushes: traffic.pushes,
      deliveryIdOf: (push) => deliveryIdFor(parsePushEvent(push.event)),
      records,
      webhook: hooks.deliveries,
      webhookAttempts: hooks.attempts,
      vendor: digitalOcean.deployments,
      repositoryOfApp,
      statusOf: (repository, commit, key) => bitbucket.statuses(repository, commit).find((s) => s.key === key)?.state,
      deadLetters: app.deadLetters.length,
    });
    if (triggerErrors > 0) result.problems.unshift(`${triggerErrors} push trigger invocation(s) failed`);
    if (triggerErrorsOfBuilds > 0) result.problems.unshift(`${triggerErrorsOfBuilds} build status trigger invocation(s) failed`);
    for (const what of unbuiltAtReceiver.slice(0, 5)) result.problems.push(`reached audit before the CI reported its build: ${what}`);
    result.problems.push(...shapes.problems());
    const gateLines = freeze ? gateChecks(records, digitalOcean.deployments, freeze, result.problems) : [];
    for (const dead of app.deadLetters.slice(0, 5))
      result.problems.push(
        `dead letter: ${dead.queueName} after ${dead.retryCount} retries (${dead.error}): ${JSON.stringify(dead.body).slice(0, 300)}`,
      );
    const seconds = (Date.now() - started) / 1000;
    const share = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`;
    const kinds = (counts: Map<string, number>) =>
      [...counts]
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    const emits = traffic.sessions.flat(2).length + traffic.late.length;
    const fronts = (what: string) => servers.reduce((sum, server) => sum + (server.counts.get(what) ?? 0), 0);
    const held = fronts('held');
    const unended = fronts('held, closed by the server: the client never timed out');
    const lines = [
      `reliability (${size.name}, seed ${size.seed}, retries ${size.maxRetries === undefined ? 'for 24 hours' : `capped at ${size.maxRetries}`}): ${traffic.pushes.length} pushes (${emits - traffic.pushes.length} delivered twice, ${traffic.delayed} delivered late) over ${traffic.repositories.length} repositories × 3 targets, ${seconds.toFixed(1)} s`,
      `harsh platform: ${kinds(app.harshFaults())}`,
      `provider calls: ${calls.total}, failed ${calls.failures} (${share(calls.failures, calls.total)}): ${kinds(calls.failed)}`,
      `requests held past the app's ${PROVIDER_TIMEOUT_MS / 1000} s timeout: ${held}, given up by the app ${held - unended}, closed by the server after ${holdMs / 1000} s ${unended}; answers lost after the vendor acted: ${fronts('backend acted, answer lost')}`,
      `bitbucket status posts: ${statusPosts.total}, failed ${statusPosts.failed} (${share(statusPosts.failed, statusPosts.total)})`,
      `injected: ${kinds(plan.injected)}`,
      `receivers acted on ${hooks.deliveries.length} webhook deliveries; DigitalOcean created ${digitalOcean.deployments.length} deployments; ${records.length} records`,
      ...gateLines,
      ...formatTally(result),
      ...(triggerErrors > 0 ? [`trigger errors: ${triggerErrors}`] : []),
    ];
    return { tally: result, triggerErrors, lines, seconds };
  }

  /**
   * The CI of a gated run: the wave's commits become known to Bitbucket, and about a third of them are
   * built green before their push arrives; the rest are returned, to be built once their jobs wait.
   */
  async function buildFirst(pushes: readonly Push[]): Promise<Push[]> {
    for (const push of pushes) bitbucket.addCommit(push.repository, { hash: push.commit, parents: [], files: ['src/app.ts'] });
    const first = pushes.filter(() => ciRandom() < GREEN_FIRST);
    await reportBuilds(first);
    return pushes.filter((push) => !first.includes(push));
  }

  /** A green build on each push's commit and ref, its event delivered like any other (harshly). */
  async function reportBuilds(pushes: readonly Push[]): Promise<void> {
    for (const push of pushes) {
      builtGreen.add(`${push.repository} ${push.commit}`);
      const event = bitbucket.reportBuild(push.repository, push.commit, {
        key: CI_KEY,
        state: 'SUCCESSFUL',
        name: 'CI',
        url: `${CI_URL}/${push.seq}`,
        refname: push.ref,
      });
      for (const outcome of await app.emit(event)) if (!outcome.ok && !outcome.timedOut) triggerErrorsOfBuilds += 1;
    }
  }

  async function readRecords(): Promise<Deployment[]> {
    const records: Deployment[] = [];
    await app.run(async () => {
      for (const repo of traffic.repositories) {
        let cursor: string | undefined;
        do {
          const page = await listDeployments(repo.uuid, 100, cursor);
          if (page.corrupt.length > 0) throw new Error(`corrupt records in ${repo.uuid}: ${page.corrupt.map((c) => c.message).join('; ')}`);
          records.push(...page.deployments);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      }
    });
    return records;
  }

  return {
    run,
    async close() {
      await app.close();
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
