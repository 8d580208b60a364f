/**
 * Issue 11, item 1 (wait for builds), through the real SDK on the local platform: a target that deploys
 * only once the commit's builds pass. The Bitbucket stand-in holds the commit's statuses (the REST list
 * the worker reads once) and makes the build-status events Forge's type reference documents; the test
 * delivers them late, twice, out of order, and echoes the app's own statuses back, as Forge may.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  closeReceiverSession,
  deliveredCommits,
  ok,
  openReceiverSession,
  ownStatusOf,
  REPO,
  type SettingsSession,
  webhookTargetInput,
  WORKSPACE,
} from '../page/settings-harness';
import type { Receiver } from '../../local/receiver';
import type { PageData, Result, TargetView } from '../../src/core/settings-api';
import type { BuildStatusEventJson } from '../../local/bitbucket';
import { commitOf, hashOf, makePushEvent } from '../fixtures/events';

const SECRET = 'relay-signing-secret-b41d0c7e';
const PIPELINE_URL = 'https://bitbucket.org/acme/web/pipelines/results/12';

let session: SettingsSession;
let receiver: Receiver;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;
let target: TargetView;
let pushes = 0;

async function withTarget(options: Record<string, unknown> = {}) {
  target = ok<TargetView>(await asAdmin('saveTarget', webhookTargetInput(receiver.url, SECRET, { waitForBuilds: true, ...options })));
}

beforeEach(async () => ({ session, receiver, asAdmin } = await openReceiverSession(SECRET)));
afterEach(() => closeReceiverSession({ session, receiver, asAdmin }));

const bitbucket = () => session.platform.bitbucket;
/** Runs what is due now; a wait's timer (minutes away) stays queued. */
const settle = () => session.platform.drain({ advanceClock: false });

/** A new commit on main (known to the stand-in before its push, so a CI can report on it first). */
function commitOnMain(): string {
  pushes += 1;
  const before = bitbucket().branchHead(REPO, 'main');
  return bitbucket().addCommit(REPO, { hash: hashOf(1000 + pushes), parents: before ? [before] : [], files: ['src/app.ts'] });
}

async function push(commit: string): Promise<void> {
  session.platform.advanceClock(1000);
  await session.platform.emit(
    makePushEvent({
      timestamp: new Date(session.platform.now()).toISOString(),
      repository: { uuid: REPO },
      workspace: { uuid: WORKSPACE },
      push: { ref: 'main', after: commit, created: false, closed: false, commits: [commitOf(commit, `Change ${pushes}`)] },
    }),
  );
  await settle();
}

/** A CI system reporting a build: the status is on the commit from now on; its event is returned, not delivered. */
function report(commit: string, key: string, state: string, name = `Build ${key}`): BuildStatusEventJson {
  session.platform.advanceClock(1000);
  return bitbucket().reportBuild(REPO, commit, { key, state: state as 'SUCCESSFUL', name, url: `${PIPELINE_URL}/${key}` });
}

async function deliver(...events: BuildStatusEventJson[]): Promise<void> {
  for (const event of events) await session.platform.emit(event);
  await settle();
}

const ownStatus = (commit: string) => ownStatusOf(session, commit, target.id);
async function latest() {
  const page = await asAdmin('getPage');
  if (!page.ok) throw new Error(page.error.message);
  return (page.data as PageData).history.deployments[0];
}
const delivered = () => deliveredCommits(receiver);

describe('a target that waits for builds', () => {
  it('deploys at once a commit whose builds already passed, without anyone touching the page', async () => {
    await withTarget();
    const commit = commitOnMain();
    report(commit, 'pipeline', 'SUCCESSFUL');
    await push(commit);
    expect(delivered()).toEqual([commit]);
    expect(await latest()).toMatchObject({ state: 'requested', commit });
    expect(ownStatus(commit)?.state).toBe('SUCCESSFUL');
  });

  it('never sends a commit whose build fails: the deploy is blocked, and the commit and the page name the build and link it', async () => {
    await withTarget();
    const commit = commitOnMain();
    report(commit, 'pipeline', 'INPROGRESS', 'Pipeline #12');
    await push(commit);
    expect(await latest()).toMatchObject({ state: 'waiting', message: 'Waiting for builds: 0 of 1 passed' });
    expect(ownStatus(commit)).toMatchObject({ state: 'INPROGRESS', description: 'Waiting for builds: 0 of 1 passed' });

    await deliver(report(commit, 'pipeline', 'FAILED', 'Pipeline #12'));
    expect(receiver.deliveries).toEqual([]);
    expect(await latest()).toMatchObject({
      state: 'blocked',
      message: 'Blocked: build Pipeline #12 failed',
      url: `${PIPELINE_URL}/pipeline`,
    });
    expect(ownStatus(commit)).toMatchObject({ state: 'STOPPED', description: 'Blocked: build Pipeline #12 failed' });
    // Nothing is left waiting: the timer's look finds the deploy over.
    await session.platform.drain();
    expect(receiver.deliveries).toEqual([]);
  });

  it('a failed build with a name longer than a record keeps still blocks, named by its first 255 characters', async () => {
    await withTarget();
    const commit = commitOnMain();
    const name = `Pipeline ${'n'.repeat(300)}`;
    report(commit, 'pipeline', 'FAILED', name);
    await push(commit);
    expect(receiver.deliveries).toEqual([]);
    // The record reads back: the page lists it, with the name as kept.
    expect(await latest()).toMatchObject({ state: 'blocked', message: `Blocked: build ${name.slice(0, 255)} failed` });
  });

  it('waits for builds that report late, shows how many passed, and deploys once the last passes', async () => {
    await withTarget({ buildKeys: ['unit', 'e2e'] });
    const commit = commitOnMain();
    await push(commit);
    expect(await latest()).toMatchObject({ state: 'waiting', message: 'Waiting for builds: 0 of 2 passed' });
    await deliver(report(commit, 'unit', 'INPROGRESS'), report(commit, 'lint', 'FAILED'));
    // A build the target does not wait for fails: it is not one of the named keys.
    expect(await latest()).toMatchObject({ state: 'waiting', message: 'Waiting for builds: 0 of 2 passed' });
    await deliver(report(commit, 'unit', 'SUCCESSFUL'));
    expect(ownStatus(commit)?.description).toBe('Waiting for builds: 1 of 2 passed');
    expect(receiver.deliveries).toEqual([]);
    await deliver(report(commit, 'e2e', 'SUCCESSFUL'));
    expect(delivered()).toEqual([commit]);
    expect(ownStatus(commit)?.state).toBe('SUCCESSFUL');
  });

  it('takes each build’s latest report whatever order the events come in, and deploys once however often they come', async () => {
    await withTarget();
    const commit = commitOnMain();
    const unitRunning = report(commit, 'unit', 'INPROGRESS');
    const e2eRunning = report(commit, 'e2e', 'INPROGRESS');
    await push(commit);
    const unitPassed = report(commit, 'unit', 'SUCCESSFUL');
    // The newer report first, then the older one late: the build stays passed.
    await deliver(unitPassed, unitRunning);
    expect(await latest()).toMatchObject({ state: 'waiting', message: 'Waiting for builds: 1 of 2 passed' });
    const e2ePassed = report(commit, 'e2e', 'SUCCESSFUL');
    await deliver(e2ePassed, e2ePassed, e2eRunning);
    expect(delivered()).toEqual([commit]);
    await session.platform.drain();
    expect(delivered()).toEqual([commit]);
  });

  it('does not count its own commit status, echoed back as a build-status event, as a build', async () => {
    await withTarget();
    const commit = commitOnMain();
    await push(commit);
    expect(ownStatus(commit)?.state).toBe('INPROGRESS');
    const echo = bitbucket().buildStatusEvent(REPO, commit, `deploy-relay-${target.id}`);
    const [outcome] = await session.platform.emit(echo);
    expect(outcome?.value).toEqual({ woken: 0, ignoredBecause: 'the app’s own commit status' });
    await settle();
    expect(await latest()).toMatchObject({ state: 'waiting', message: 'Waiting for builds: none reported on this commit yet' });
    expect(receiver.deliveries).toEqual([]);
  });

  it('ends as blocked when the builds have not passed within the target’s limit', async () => {
    await withTarget({ buildWaitMinutes: 30 });
    const commit = commitOnMain();
    await push(commit);
    await deliver(report(commit, 'unit', 'INPROGRESS'));
    // The wait's own timer comes back at the limit.
    await session.platform.drain();
    expect(await latest()).toMatchObject({ state: 'blocked', message: 'Blocked: builds still running after 30 minutes (0 of 1 passed)' });
    expect(ownStatus(commit)?.state).toBe('STOPPED');
    expect(receiver.deliveries).toEqual([]);
  });

  it('when Bitbucket cannot list the commit’s statuses, looks again a minute later and finds the build that passed meanwhile', async () => {
    await withTarget();
    const commit = commitOnMain();
    bitbucket().faults.inject({ method: 'GET', path: /\/statuses/, times: 1, status: 503 });
    await push(commit);
    expect(await latest()).toMatchObject({ state: 'waiting' });
    // Reported without an event this app receives (a CI that posted before the wait mark existed).
    report(commit, 'pipeline', 'SUCCESSFUL');
    session.platform.advanceClock(90_000);
    await settle();
    expect(delivered()).toEqual([commit]);
  });

  it('does not deploy on green events alone while the statuses are unread: a build that failed before the push still blocks', async () => {
    await withTarget();
    const commit = commitOnMain();
    report(commit, 'lint', 'FAILED', 'Lint');
    // Down for the first look and for the look the green event's wake makes.
    bitbucket().faults.inject({ method: 'GET', path: /\/statuses/, times: 2, status: 503 });
    await push(commit);
    await deliver(report(commit, 'pipeline', 'SUCCESSFUL'));
    expect(receiver.deliveries).toEqual([]);
    expect(await latest()).toMatchObject({ state: 'waiting', message: 'Waiting for builds: reading the commit’s statuses from Bitbucket' });
    session.platform.advanceClock(90_000);
    await settle();
    expect(await latest()).toMatchObject({ state: 'blocked', message: 'Blocked: build Lint failed' });
    expect(receiver.deliveries).toEqual([]);
  });

  it('counts only builds reported for the pushed branch, or for no branch: another branch’s red build of the commit does not block', async () => {
    await withTarget();
    const commit = commitOnMain();
    const forOtherBranch = (state: string) =>
      bitbucket().reportBuild(REPO, commit, {
        key: 'pr-pipeline',
        state: state as 'FAILED',
        url: `${PIPELINE_URL}/pr`,
        refname: 'feature/x',
      });
    forOtherBranch('FAILED');
    report(commit, 'pipeline', 'INPROGRESS');
    await push(commit);
    expect(await latest()).toMatchObject({ state: 'waiting', message: 'Waiting for builds: 0 of 1 passed' });
    session.platform.advanceClock(1000);
    const [outcome] = await session.platform.emit(forOtherBranch('STOPPED'));
    expect(outcome?.value).toEqual({ woken: 0, ignoredBecause: 'no deploy of this commit and ref waits' });
    await deliver(report(commit, 'pipeline', 'SUCCESSFUL'));
    expect(delivered()).toEqual([commit]);
  });

  it('a newer push supersedes a waiting one: only the newer commit deploys', async () => {
    await withTarget();
    const older = commitOnMain();
    await push(older);
    const newer = commitOnMain();
    await push(newer);
    await deliver(report(older, 'pipeline', 'SUCCESSFUL'));
    expect(receiver.deliveries).toEqual([]);
    await deliver(report(newer, 'pipeline', 'SUCCESSFUL'));
    expect(delivered()).toEqual([newer]);
    const page = (await asAdmin('getPage')) as { data: PageData };
    expect(page.data.history.deployments.map((d) => [d.commit, d.state])).toEqual([
      [newer, 'requested'],
      [older, 'superseded'],
    ]);
  });
});
