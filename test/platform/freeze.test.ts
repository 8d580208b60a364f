/**
 * Issue 11, item 3 (freeze windows), through the real SDK on the local platform: a push during a
 * weekly freeze in Europe/Berlin waits until the freeze's local end, across the weekend the clocks go
 * forward; a target that skips pushes during a freeze skips them; Deploy now during a freeze is refused
 * unless the admin overrides the gates, and the override is in the audit log and on the record.
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
  REPO,
  type SettingsSession,
  webhookTargetInput,
} from '../page/settings-harness';
import type { Receiver } from '../../local/receiver';
import type { AuditPage, DeployNowResult, PageData, Result, TargetView } from '../../src/core/settings-api';
import { hashOf } from '../fixtures/events';

const SECRET = 'relay-signing-secret-f4b8e2a6';
const HOUR = 3_600_000;

let session: SettingsSession;
let receiver: Receiver;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;

beforeEach(async () => {
  ({ session, receiver, asAdmin } = await openReceiverSession(SECRET));
});
afterEach(() => closeReceiverSession({ session, receiver, asAdmin }));

const freeze = (fields: { timeZone?: string; weekly?: string; once?: string; during?: 'wait' | 'skip' }) => ({
  freeze: { timeZone: 'UTC', weekly: '', once: '', during: 'wait', ...fields },
});
const withTarget = async (options: Record<string, unknown>) =>
  ok<TargetView>(await asAdmin('saveTarget', webhookTargetInput(receiver.url, SECRET, options)));
/** Runs what is due now; a timer further away stays queued. */
const settle = () => session.platform.drain({ advanceClock: false });
const latest = async () => ok<PageData>(await asAdmin('getPage')).history.deployments[0];
const ownStatus = (targetId: string, round: number) => ownStatusOf(session, hashOf(round), targetId);
const delivered = () => deliveredCommits(receiver);
/** "2026-12-04 10:00": a one-off window's end as the form writes it, in UTC. */
const utcLine = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** Friday 16:30 in Berlin (still UTC+1) before the next last Sunday of March, when Berlin's clocks go forward. */
function fridayBeforeSpringForward(after: number): { friday: number; mondayEight: number } {
  for (let year = new Date(after).getUTCFullYear(); ; year += 1) {
    const lastSunday = 31 - new Date(Date.UTC(year, 2, 31)).getUTCDay();
    const friday = Date.UTC(year, 2, lastSunday - 2, 15, 30);
    // Monday 08:00 in Berlin is 06:00 UTC once summer time has begun.
    if (friday > after) return { friday, mondayEight: Date.UTC(year, 2, lastSunday + 1, 6, 0) };
  }
}

describe('a target with freeze windows', () => {
  it('holds a push until the weekly freeze ends at 08:00 Berlin time, across the change to summer time', async () => {
    const target = await withTarget(freeze({ timeZone: 'Europe/Berlin', weekly: 'Fri 16:00 - Mon 08:00' }));
    const { friday, mondayEight } = fridayBeforeSpringForward(session.platform.now());
    session.platform.advanceClock(friday - session.platform.now() - 60_000);
    await session.platform.emit(pushEventOf(session, 1));
    await settle();
    const waiting = await latest();
    const monday = new Date(mondayEight).getUTCDate();
    const message = `Waiting for the freeze to end at Mon ${monday} Mar, 08:00 Europe/Berlin: weekly freeze Fri 16:00 – Mon 08:00 (Europe/Berlin)`;
    expect(waiting).toMatchObject({ state: 'waiting', waitingFor: 'freeze', message });
    expect(ownStatus(target.id, 1)).toMatchObject({ state: 'INPROGRESS', description: message });
    expect(ok<PageData>(await asAdmin('getPage')).targets[0]?.frozen).toEqual({
      until: `Mon ${monday} Mar, 08:00 Europe/Berlin`,
      why: 'weekly freeze Fri 16:00 – Mon 08:00 (Europe/Berlin)',
    });

    // 07:59 in Berlin on Monday (05:59 UTC): an hour after a fixed UTC+1 would have ended it, still frozen.
    session.platform.advanceClock(mondayEight - 60_000 - session.platform.now());
    await settle();
    expect(receiver.deliveries).toEqual([]);
    expect(await latest()).toMatchObject({ state: 'waiting', waitingFor: 'freeze' });

    session.platform.advanceClock(2 * 60_000);
    await settle();
    expect(delivered()).toEqual([hashOf(1)]);
    expect(await latest()).toMatchObject({ state: 'requested', waitingFor: null });
    expect(ownStatus(target.id, 1)?.state).toBe('SUCCESSFUL');
  });

  it('skips a push during a freeze when the target says so, with the freeze’s reason', async () => {
    const now = session.platform.now();
    await withTarget(freeze({ once: `${utcLine(now - HOUR)} - ${utcLine(now + 3 * HOUR)} Quarter close`, during: 'skip' }));
    await session.platform.emit(pushEventOf(session, 1));
    await session.platform.drain();
    expect(receiver.deliveries).toEqual([]);
    expect(await latest()).toMatchObject({
      state: 'skipped',
      message: `Skipped: the target is frozen (Quarter close (${utcLine(now - HOUR)} – ${utcLine(now + 3 * HOUR)}, UTC))`,
    });
  });

  it('refuses Deploy now during a freeze unless the gates are overridden; the override is on the record and in the audit log', async () => {
    const now = session.platform.now();
    const target = await withTarget(freeze({ once: `${utcLine(now - HOUR)} - ${utcLine(now + 3 * HOUR)} Quarter close` }));
    session.platform.bitbucket.addCommit(REPO, { hash: hashOf(1), parents: [], files: ['src/app.ts'] });
    const refused = await asAdmin('deployNow', { targetId: target.id, branch: 'main' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(!refused.ok && refused.error.message).toMatch(
      /^Production is frozen until \w{3} \d+ \w{3}, \d{2}:\d{2} UTC \(Quarter close .*\)\. Nothing was deployed; to deploy anyway, choose Override the gates \(the audit log records it\)\.$/,
    );
    await session.platform.drain();
    expect(receiver.deliveries).toEqual([]);
    expect(ok<AuditPage>(await asAdmin('getAudit', {})).entries.map((e) => e.action)).toEqual(['target.created']);

    // Entries of one millisecond have no order between them: the override comes a second later.
    session.platform.advanceClock(1000);
    const queued = ok<DeployNowResult>(await asAdmin('deployNow', { targetId: target.id, branch: 'main', overrideGates: true }));
    await session.platform.drain();
    expect(delivered()).toEqual([queued.commit]);
    expect(await latest()).toMatchObject({ state: 'requested', trigger: 'manual', overrideGates: true, actor: ADMIN });
    const [entry] = ok<AuditPage>(await asAdmin('getAudit', {})).entries;
    expect(entry).toMatchObject({ action: 'deploy.manual', actor: ADMIN });
    expect(entry?.detail).toMatch(/^Deploy now: main at [0-9a-f]{7}, overriding the freeze until \w{3} \d+ \w{3}, \d{2}:\d{2} UTC$/);
  });

  it('refuses a freeze that does not read, naming the field, and saves nothing', async () => {
    const refused = await asAdmin(
      'saveTarget',
      webhookTargetInput(receiver.url, SECRET, freeze({ timeZone: 'Berlin', weekly: 'Fri 16:00 - Mon 08:00\nweekends', once: '' })),
    );
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        fields: {
          'options.freeze.weekly': 'line 2: write a window as Fri 16:00 - Mon 08:00',
          'options.freeze.timeZone': 'is not a time zone (use a name such as Europe/Berlin)',
        },
      },
    });
    expect(ok<PageData>(await asAdmin('getPage')).targets).toEqual([]);
  });
});
