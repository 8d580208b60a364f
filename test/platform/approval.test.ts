/**
 * Issue 11, item 2 (approval before deploy), through the real SDK on the local platform: a target whose
 * deploys wait until a repository admin approves them on the settings page (the decideDeploy resolver),
 * with the pusher's own approval refused when the target says so, rejection, the time limit, and each
 * decision in the audit log.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  ADMIN,
  closeReceiverSession,
  deliveredCommits,
  ok,
  openReceiverSession,
  ownStatusOf,
  pushEventOf,
  pushToMain,
  REPO,
  type SettingsSession,
  webhookTargetInput,
} from '../page/settings-harness';
import type { Receiver } from '../../local/receiver';
import type { AuditPage, DecisionView, PageData, Result, TargetView } from '../../src/core/settings-api';
import { hashOf } from '../fixtures/events';

const SECRET = 'relay-signing-secret-a9e3c1d7';
/** A second administrator of acme/web: pushes in these tests are ADMIN's (the fixture push's actor). */
const OTHER_ADMIN = '557058:admin-0003';

let session: SettingsSession;
let receiver: Receiver;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;
let asOther: (key: string, payload?: unknown) => Promise<Result<unknown>>;

beforeEach(async () => {
  ({ session, receiver, asAdmin } = await openReceiverSession(SECRET));
  session.platform.bitbucket.addUser({
    accountId: OTHER_ADMIN,
    uuid: '{c9a3e2f4-7d5b-4e0a-9f83-2b4d6c8e0a32}',
    displayName: 'Olga Other',
    nickname: 'olga',
  });
  session.platform.bitbucket.setPermission(REPO, OTHER_ADMIN, 'admin');
  asOther = session.invokeAs(OTHER_ADMIN) as typeof asOther;
});
afterEach(() => closeReceiverSession({ session, receiver, asAdmin }));

async function withTarget(options: Record<string, unknown> = {}): Promise<TargetView> {
  return ok<TargetView>(await asAdmin('saveTarget', webhookTargetInput(receiver.url, SECRET, { requireApproval: true, ...options })));
}

/** Runs what is due now; the wait's timer (hours away) stays queued. */
const settle = () => session.platform.drain({ advanceClock: false });
const latest = async () => ok<PageData>(await asAdmin('getPage')).history.deployments[0];
const delivered = () => deliveredCommits(receiver);
const ownStatus = (targetId: string) => ownStatusOf(session, hashOf(1), targetId);

describe('a target that requires approval', () => {
  it('waits, shows who pushed, and deploys once another admin approves it on the page; the audit log says who', async () => {
    const target = await withTarget({ approverNotPusher: true });
    await session.platform.emit(pushEventOf(session, 1));
    await settle();
    const waiting = await latest();
    expect(waiting).toMatchObject({ state: 'waiting', waitingFor: 'approval', actor: ADMIN, message: 'Waiting for approval' });
    expect(ownStatus(target.id)).toMatchObject({ state: 'INPROGRESS', description: 'Waiting for approval' });
    expect(receiver.deliveries).toEqual([]);

    // The pusher may not approve their own deploy here.
    expect(await asAdmin('decideDeploy', { deploymentId: waiting?.id, decision: 'approve' })).toEqual({
      ok: false,
      error: {
        code: 'FORBIDDEN',
        message: 'This target needs someone other than whoever pushed the deploy to approve it; ask another admin. Nothing was changed.',
      },
    });
    await settle();
    expect(receiver.deliveries).toEqual([]);

    const decided = ok<DecisionView>(await asOther('decideDeploy', { deploymentId: waiting?.id, decision: 'approve' }));
    expect(decided).toEqual({ deploymentId: waiting?.id, decision: 'approve', by: OTHER_ADMIN, mine: true });
    await settle();
    expect(delivered()).toEqual([hashOf(1)]);
    expect(await latest()).toMatchObject({ state: 'requested', decidedBy: OTHER_ADMIN, waitingFor: null });
    expect(ownStatus(target.id)?.state).toBe('SUCCESSFUL');
    const log = ok<AuditPage>(await asAdmin('getAudit', {}));
    expect(log.entries[0]).toMatchObject({
      action: 'deploy.approved',
      actor: OTHER_ADMIN,
      detail: `Approved the deploy of main at ${hashOf(1).slice(0, 7)}`,
    });
  });

  it('lets the pusher approve when the target does not ask for someone else', async () => {
    await withTarget();
    await session.platform.emit(pushEventOf(session, 1));
    await settle();
    ok<DecisionView>(await asAdmin('decideDeploy', { deploymentId: (await latest())?.id, decision: 'approve' }));
    await settle();
    expect(delivered()).toEqual([hashOf(1)]);
  });

  it('a rejected deploy is never sent; the commit and the history say so, and the first decision stands', async () => {
    const target = await withTarget();
    await session.platform.emit(pushEventOf(session, 1));
    await settle();
    const id = (await latest())?.id;
    expect(ok<DecisionView>(await asOther('decideDeploy', { deploymentId: id, decision: 'reject' }))).toMatchObject({ mine: true });
    // Another admin's approval, before the job has even woken, changes nothing: it is told the decision made.
    expect(ok<DecisionView>(await asAdmin('decideDeploy', { deploymentId: id, decision: 'approve' }))).toEqual({
      deploymentId: id,
      decision: 'reject',
      by: OTHER_ADMIN,
      mine: false,
    });
    await session.platform.drain();
    expect(receiver.deliveries).toEqual([]);
    expect(await latest()).toMatchObject({ state: 'rejected', message: 'Rejected on the settings page', decidedBy: OTHER_ADMIN });
    expect(ownStatus(target.id)?.state).toBe('STOPPED');
    const actions = ok<AuditPage>(await asAdmin('getAudit', {})).entries.map((e) => [e.action, e.actor]);
    expect(actions.filter(([action]) => action !== 'target.created')).toEqual([['deploy.rejected', OTHER_ADMIN]]);
  });

  it('ends as blocked when nobody approves it within the target’s limit', async () => {
    await withTarget({ approvalWaitHours: 2 });
    await session.platform.emit(pushEventOf(session, 1));
    await session.platform.drain();
    expect(await latest()).toMatchObject({ state: 'blocked', message: 'Blocked: not approved within 2 hours' });
    expect(receiver.deliveries).toEqual([]);
  });

  it('waits for the builds first, then for the approval', async () => {
    await withTarget({ waitForBuilds: true });
    await session.platform.emit(pushEventOf(session, 1));
    await settle();
    expect(await latest()).toMatchObject({ waitingFor: 'builds' });
    session.platform.advanceClock(1000);
    await session.platform.emit(
      session.platform.bitbucket.reportBuild(REPO, hashOf(1), { key: 'ci', state: 'SUCCESSFUL', url: 'https://ci.example.com/1' }),
    );
    await settle();
    expect(await latest()).toMatchObject({ waitingFor: 'approval', message: 'Waiting for approval' });
    ok<DecisionView>(await asOther('decideDeploy', { deploymentId: (await latest())?.id, decision: 'approve' }));
    await settle();
    expect(delivered()).toEqual([hashOf(1)]);
  });

  it('refuses a decision on a deploy that does not wait for one', async () => {
    await withTarget({ requireApproval: false });
    await pushToMain(session, 1);
    expect(await asAdmin('decideDeploy', { deploymentId: (await latest())?.id, decision: 'approve' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'This deploy is not waiting for an approval (it is requested); reload the page.' },
    });
  });
});
