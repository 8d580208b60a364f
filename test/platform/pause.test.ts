/**
 * Issue 11, item 5 (pause automatic deploys), through the real SDK on the local platform: a paused
 * target records each push as skipped and sends nothing, whether the push came before or after the
 * pause; Deploy now still deploys; an edit keeps the pause; resuming deploys the next push; the audit
 * log has both switches with who turned them.
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
  type SettingsSession,
  webhookTargetInput,
} from '../page/settings-harness';
import type { Receiver } from '../../local/receiver';
import type { AuditPage, DeployNowResult, PageData, Result, TargetView } from '../../src/core/settings-api';
import { hashOf } from '../fixtures/events';

const SECRET = 'relay-signing-secret-7c1d9e3b';

let session: SettingsSession;
let receiver: Receiver;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;

beforeEach(async () => {
  ({ session, receiver, asAdmin } = await openReceiverSession(SECRET));
});
afterEach(() => closeReceiverSession({ session, receiver, asAdmin }));

const delivered = () => deliveredCommits(receiver);
const history = async () => ok<PageData>(await asAdmin('getPage')).history.deployments;
const targetNow = async () => ok<PageData>(await asAdmin('getPage')).targets[0] as TargetView;
const ownStatus = (targetId: string, round: number) => ownStatusOf(session, hashOf(round), targetId);

async function push(round: number): Promise<void> {
  await session.platform.emit(pushEventOf(session, round));
  await session.platform.drain();
}

describe('pausing automatic deploys', () => {
  it('skips pushes, queued before the pause or after it, keeps Deploy now, survives an edit, and resumes', async () => {
    const target = ok<TargetView>(await asAdmin('saveTarget', webhookTargetInput(receiver.url, SECRET)));
    expect(ok(await asAdmin('setPaused', { id: target.id, paused: true }))).toEqual({
      id: target.id,
      paused: true,
      updatedAt: expect.any(String),
    });
    expect(ok<PageData>(await asAdmin('getPage')).targets[0]).toMatchObject({ paused: true, enabled: true });

    await push(1);
    expect(receiver.deliveries).toEqual([]);
    expect((await history())[0]).toMatchObject({
      commit: hashOf(1),
      state: 'skipped',
      message: 'Skipped: automatic deploys of this target are paused',
    });
    expect(ownStatus(target.id, 1)).toBeUndefined();

    // Deploy now is not automatic: it deploys the branch's head, the commit the paused push skipped.
    const queued = ok<DeployNowResult>(await asAdmin('deployNow', { targetId: target.id, branch: 'main' }));
    expect(queued.commit).toBe(hashOf(1));
    await session.platform.drain();
    expect(delivered()).toEqual([queued.commit]);

    // An edit of the target (its name) keeps it paused.
    const edited = ok<TargetView>(
      await asAdmin('saveTarget', {
        ...webhookTargetInput(receiver.url, ''),
        id: target.id,
        name: 'Renamed',
        expectedUpdatedAt: (await targetNow()).updatedAt,
      }),
    );
    expect(edited).toMatchObject({ name: 'Renamed', paused: true });

    // Resumed, a push is queued, and the target is paused again before the push runs: it is skipped.
    session.platform.advanceClock(1000);
    ok(await asAdmin('setPaused', { id: target.id, paused: false }));
    await session.platform.emit(pushEventOf(session, 3));
    session.platform.advanceClock(1000);
    ok(await asAdmin('setPaused', { id: target.id, paused: true }));
    await session.platform.drain();
    expect(delivered()).toEqual([queued.commit]);
    expect((await history())[0]).toMatchObject({
      commit: hashOf(3),
      state: 'skipped',
      message: 'Skipped: automatic deploys of this target are paused',
    });

    session.platform.advanceClock(1000);
    ok(await asAdmin('setPaused', { id: target.id, paused: false }));
    await push(4);
    expect(delivered()).toEqual([queued.commit, hashOf(4)]);

    const entries = ok<AuditPage>(await asAdmin('getAudit', {})).entries;
    expect(
      entries.filter((e) => e.action.startsWith('target.p') || e.action.startsWith('target.r')).map((e) => [e.action, e.detail, e.actor]),
    ).toEqual([
      ['target.resumed', 'Resumed automatic deploys of Renamed', ADMIN],
      ['target.paused', 'Paused automatic deploys of Renamed', ADMIN],
      ['target.resumed', 'Resumed automatic deploys of Renamed', ADMIN],
      ['target.paused', 'Paused automatic deploys of Production', ADMIN],
    ]);
  });

  it('pausing a paused target changes nothing and logs nothing', async () => {
    const target = ok<TargetView>(await asAdmin('saveTarget', webhookTargetInput(receiver.url, SECRET)));
    // Entries of one millisecond have no order between them.
    session.platform.advanceClock(1000);
    ok(await asAdmin('setPaused', { id: target.id, paused: true }));
    const before = ok<PageData>(await asAdmin('getPage')).targets[0];
    ok(await asAdmin('setPaused', { id: target.id, paused: true }));
    expect(ok<PageData>(await asAdmin('getPage')).targets[0]).toEqual(before);
    expect(ok<AuditPage>(await asAdmin('getAudit', {})).entries.map((e) => e.action)).toEqual(['target.paused', 'target.created']);
  });
});
