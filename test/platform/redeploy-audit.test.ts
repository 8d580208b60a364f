/**
 * Issue 11, items 4 and 6: Redeploy this commit from the history, and the audit log, through the real
 * @forge/resolver, @forge/kvs, @forge/events and @forge/api on the local platform: pushes from the
 * Bitbucket stand-in, the real queue and worker, and a signed-webhook receiver that checks signatures.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  ADMIN,
  closeReceiverSession,
  makeDeployment,
  ok,
  openReceiverSession,
  pushToMain,
  READER,
  recordTargetOf,
  REPO,
  seedDeployments,
  seedTargets,
  type SettingsSession,
  WORKSPACE,
} from '../page/settings-harness';
import type { Receiver } from '../../local/receiver';
import type { AuditPage, DeployNowResult, PageData, Result, TargetView } from '../../src/core/settings-api';
import { getDeployment } from '../../src/forge/store';
import { commitOf, hashOf, makePushEvent } from '../fixtures/events';
import { makeTarget } from '../fixtures/targets';

const SECRET = 'relay-signing-secret-2c8d41f0';

let session: SettingsSession;
let receiver: Receiver;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;

beforeEach(async () => ({ session, receiver, asAdmin } = await openReceiverSession(SECRET)));
afterEach(() => closeReceiverSession({ session, receiver, asAdmin }));

const hookInput = (overrides: Record<string, unknown> = {}) => ({
  name: 'Staging hook',
  environment: 'staging',
  provider: 'webhook',
  settings: { url: receiver.url },
  secrets: { signingSecret: SECRET },
  rules: { branches: ['main'], tags: [], paths: { include: [], exclude: [] } },
  options: { skipMarkers: true, coalesce: true, reportOnCommit: true },
  enabled: true,
  ...overrides,
});

interface HookBody {
  trigger: string;
  delivery_id: string;
  commit: { hash: string };
}
const bodyOf = (index: number) => JSON.parse(receiver.deliveries[index]?.body ?? '{}') as HookBody;

describe('Redeploy this commit', () => {
  it('deploys an older commit of the history again: the receiver gets that hash, signed, and the history and the commit say so', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    await pushToMain(session, 1);
    await pushToMain(session, 2);
    expect(receiver.deliveries.map((_, i) => bodyOf(i).commit.hash)).toEqual([hashOf(1), hashOf(2)]);

    const before = ok<PageData>(await asAdmin('getPage'));
    const older = before.history.deployments.find((d) => d.commit === hashOf(1));
    expect(older).toMatchObject({ state: 'requested', redeploy: { ok: true, by: 'commit' } });

    session.platform.advanceClock(1000);
    const queued = ok<DeployNowResult>(await asAdmin('redeploy', { deploymentId: older?.id }));
    expect(queued).toMatchObject({ targetId: saved.id, branch: 'main', commit: hashOf(1) });
    await session.platform.drain();

    expect(receiver.deliveries).toHaveLength(3);
    expect(receiver.deliveries[2]).toMatchObject({ hubSignatureValid: true, standardWebhooksValid: true, status: 200 });
    expect(bodyOf(2)).toMatchObject({ trigger: 'redeploy', delivery_id: queued.deliveryId, commit: { hash: hashOf(1) } });

    const after = ok<PageData>(await asAdmin('getPage'));
    expect(after.history.deployments[0]).toMatchObject({ trigger: 'redeploy', commit: hashOf(1), state: 'requested', actor: ADMIN });
    const record = await session.platform.run(() => getDeployment(REPO, after.history.deployments[0]!.id));
    expect(record?.redeployOf).toBe(older?.id);
    // What is live is the redeployed commit, not the newer push before it.
    expect(after.targets[0]?.live).toMatchObject({ commit: hashOf(1), trigger: 'redeploy' });
    const statuses = session.platform.bitbucket.statuses(REPO, hashOf(1));
    expect(statuses.map((s) => s.state)).toEqual(['SUCCESSFUL']);
  });

  it('goes after the newest push sent even when Bitbucket stamped that push ahead of the function’s clock', async () => {
    ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    await pushToMain(session, 1);
    // Push 2 carries a timestamp five minutes ahead of the clock the page's resolver reads.
    await session.platform.emit(
      makePushEvent({
        timestamp: new Date(session.platform.now() + 5 * 60_000).toISOString(),
        repository: { uuid: REPO },
        workspace: { uuid: WORKSPACE },
        push: {
          ref: 'main',
          before: hashOf(1),
          after: hashOf(2),
          created: false,
          closed: false,
          commits: [commitOf(hashOf(2), 'Round 2')],
        },
      }),
    );
    await session.platform.drain();
    const older = ok<PageData>(await asAdmin('getPage')).history.deployments.find((d) => d.commit === hashOf(1));
    ok<DeployNowResult>(await asAdmin('redeploy', { deploymentId: older?.id }));
    await session.platform.drain();
    expect(receiver.deliveries.map((_, i) => bodyOf(i).commit.hash)).toEqual([hashOf(1), hashOf(2), hashOf(1)]);
  });

  it('a later push deploys over a redeploy as usual', async () => {
    ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    await pushToMain(session, 1);
    await pushToMain(session, 2);
    const older = ok<PageData>(await asAdmin('getPage')).history.deployments.find((d) => d.commit === hashOf(1));
    session.platform.advanceClock(1000);
    ok<DeployNowResult>(await asAdmin('redeploy', { deploymentId: older?.id }));
    await session.platform.drain();
    await pushToMain(session, 3);
    expect(receiver.deliveries.map((_, i) => bodyOf(i).commit.hash)).toEqual([hashOf(1), hashOf(2), hashOf(1), hashOf(3)]);
  });

  it('is disabled, with the reason, where the vendor cannot deploy a given commit, and refused the same way if asked', async () => {
    const hook = makeTarget({ id: 'render-hook', name: 'Render', provider: 'render', settings: { mode: 'hook' }, secretHints: {} });
    await seedTargets(session, [hook]);
    const record = makeDeployment(Date.now() - 60_000, { target: recordTargetOf(hook), state: 'requested' });
    await seedDeployments(session, [record]);
    const page = ok<PageData>(await asAdmin('getPage'));
    expect(page.history.deployments[0]?.redeploy).toEqual({
      ok: false,
      why: 'A Render deploy hook deploys the branch’s newest commit; switch the target to an API key to redeploy a given commit',
    });
    const refused = await asAdmin('redeploy', { deploymentId: record.id });
    expect(refused).toEqual({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        message:
          'A Render deploy hook deploys the branch’s newest commit; switch the target to an API key to redeploy a given commit. Nothing was deployed.',
      },
    });
    expect(session.platform.pendingEvents()).toBe(0);
  });

  it('rolls back only to a deploy that succeeded, by the id the vendor gave it', async () => {
    const droplet = makeTarget({
      id: 'do-prod',
      name: 'Production',
      provider: 'digitalocean',
      settings: { appId: '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf', forceBuild: false },
      secretHints: { token: { last4: 'oken' } },
    });
    await seedTargets(session, [droplet]);
    const now = Date.now();
    const failed = makeDeployment(now - 120_000, { target: recordTargetOf(droplet), state: 'failed', vendorId: 'dep-1' });
    const unnamed = makeDeployment(now - 90_000, { target: recordTargetOf(droplet), state: 'succeeded', vendorId: null });
    const good = makeDeployment(now - 60_000, { target: recordTargetOf(droplet), state: 'succeeded', vendorId: 'dep-2' });
    await seedDeployments(session, [failed, unnamed, good]);
    const byId = new Map(ok<PageData>(await asAdmin('getPage')).history.deployments.map((d) => [d.id, d.redeploy]));
    expect(byId.get(good.id)).toEqual({ ok: true, by: 'rollback', how: 'Rolls back to this deploy with the vendor’s own rollback' });
    expect(byId.get(unnamed.id)).toEqual({ ok: false, why: 'The vendor gave this deploy no id to roll back to' });
    expect(byId.get(failed.id)).toEqual({ ok: false, why: 'The vendor rolls back only to a deploy that succeeded' });
  });

  it('refuses a deploy still under way, a deleted target, and an id that is in no history', async () => {
    const target = makeTarget();
    await seedTargets(session, [target]);
    const running = makeDeployment(Date.now() - 60_000, { target: recordTargetOf(target), state: 'in_progress', finishedAt: null });
    const orphan = makeDeployment(Date.now() - 50_000, { target: { ...recordTargetOf(target), id: 'gone' } });
    await seedDeployments(session, [running, orphan]);
    expect(await asAdmin('redeploy', { deploymentId: running.id })).toMatchObject({
      ok: false,
      error: { message: 'This deploy is still under way. Nothing was deployed.' },
    });
    expect(await asAdmin('redeploy', { deploymentId: orphan.id })).toMatchObject({
      ok: false,
      error: { message: 'Its target was deleted. Nothing was deployed.' },
    });
    expect(await asAdmin('redeploy', { deploymentId: '8240000000000-nosuchjob' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(session.platform.pendingEvents()).toBe(0);
  });

  it('a target whose provider changed after the redeploy was asked for refuses it before anything leaves', async () => {
    const saved = ok<TargetView>(await asAdmin('saveTarget', hookInput()));
    await pushToMain(session, 1);
    const record = ok<PageData>(await asAdmin('getPage')).history.deployments[0];
    session.platform.advanceClock(1000);
    ok<DeployNowResult>(await asAdmin('redeploy', { deploymentId: record?.id }));
    // Before the worker runs, the target is pointed at another vendor.
    await seedTargets(session, [
      makeTarget({
        id: saved.id,
        name: 'Staging hook',
        provider: 'heroku',
        settings: { app: 'acme-web', sourceUrlTemplate: 'https://bitbucket.org/{repository}/get/{commit}.tar.gz' },
        secretHints: {},
      }),
    ]);
    await session.platform.drain();
    expect(receiver.deliveries).toHaveLength(1);
    const newest = ok<PageData>(await asAdmin('getPage')).history.deployments[0];
    expect(newest).toMatchObject({
      trigger: 'redeploy',
      state: 'failed',
      message: 'Redeploy refused: The target deploys to heroku now, not where this deploy went',
    });
  });
});

describe('audit log', () => {
  /** Each action a second after the last: entries made in one millisecond have no order between them. */
  const later = (key: string, payload?: unknown) => {
    session.platform.advanceClock(1000);
    return asAdmin(key, payload);
  };

  it('records who created, changed, disabled, enabled and deleted a target, and who asked for each deploy, newest first; secrets named, never shown', async () => {
    const saved = ok<TargetView>(await later('saveTarget', hookInput()));
    ok<TargetView>(
      await later(
        'saveTarget',
        hookInput({
          id: saved.id,
          name: 'Staging',
          secrets: { signingSecret: 'relay-rotated-secret-99aa' },
          rules: { branches: ['main', 'release/*'], tags: [], paths: { include: [], exclude: [] } },
        }),
      ),
    );
    // A save that changes nothing is not an entry.
    ok<TargetView>(
      await later(
        'saveTarget',
        hookInput({
          id: saved.id,
          name: 'Staging',
          secrets: { signingSecret: '' },
          rules: { branches: ['main', 'release/*'], tags: [], paths: { include: [], exclude: [] } },
        }),
      ),
    );
    ok(await later('setEnabled', { id: saved.id, enabled: false }));
    ok(await later('setEnabled', { id: saved.id, enabled: false }));
    ok(await later('setEnabled', { id: saved.id, enabled: true }));
    ok<DeployNowResult>(await later('deployNow', { targetId: saved.id, branch: 'main' }));
    await session.platform.drain();
    const record = ok<PageData>(await later('getPage')).history.deployments[0];
    ok<DeployNowResult>(await later('redeploy', { deploymentId: record?.id }));
    ok(await later('deleteTarget', { id: saved.id }));

    const log = ok<AuditPage>(await later('getAudit', {}));
    expect(log.corruptEntries).toBe(0);
    expect(log.entries.map((e) => [e.action, e.actor, e.detail])).toEqual([
      ['target.deleted', ADMIN, 'Deleted Staging (webhook, staging) and its secrets'],
      ['deploy.redeploy', ADMIN, `Redeploy of main at ${record?.commit.slice(0, 7)} (this exact commit)`],
      ['deploy.manual', ADMIN, `Deploy now: main at ${record?.commit.slice(0, 7)}`],
      ['target.enabled', ADMIN, 'Enabled Staging'],
      ['target.disabled', ADMIN, 'Disabled Staging'],
      ['target.changed', ADMIN, 'Changed name, rules.branches, secret signingSecret'],
      ['target.created', ADMIN, 'Created Staging hook (webhook, staging)'],
    ]);
    expect(log.entries.find((e) => e.action === 'target.changed')).toMatchObject({
      changed: ['name', 'rules.branches'],
      secrets: ['signingSecret'],
    });
    expect(log.entries.every((e) => e.target?.id === saved.id)).toBe(true);
    expect(JSON.stringify(log)).not.toContain('relay-rotated-secret');
    expect(JSON.stringify(log)).not.toContain(SECRET);
  });

  it('pages newest first with a cursor, and is refused to someone who does not administer the repository', async () => {
    const saved = ok<TargetView>(await later('saveTarget', hookInput()));
    for (let i = 0; i < 24; i += 1) ok(await later('setEnabled', { id: saved.id, enabled: i % 2 === 1 }));
    const first = ok<AuditPage>(await later('getAudit', {}));
    expect(first.entries).toHaveLength(20);
    const second = ok<AuditPage>(await later('getAudit', { cursor: first.nextCursor }));
    expect(second.nextCursor).toBeNull();
    const entries = [...first.entries, ...second.entries];
    expect(entries.map((e) => e.action)).toEqual([
      ...Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 'target.enabled' : 'target.disabled')),
      'target.created',
    ]);
    const times = entries.map((e) => e.at);
    expect(times.every((at, i) => i === 0 || at < times[i - 1]!)).toBe(true);
    expect(await session.invokeAs(READER)('getAudit', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('a change refused for a conflict writes no entry', async () => {
    const saved = ok<TargetView>(await later('saveTarget', hookInput()));
    const stale = await later('saveTarget', hookInput({ id: saved.id, name: 'Other', expectedUpdatedAt: '2000-01-01T00:00:00.000Z' }));
    expect(stale).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(ok<AuditPage>(await later('getAudit', {})).entries.map((e) => e.action)).toEqual(['target.created']);
  });
});
