/**
 * Issue 11, item 5 (cancel a running deploy), through the real SDK on the local platform: the settings
 * resolver asks the vendor (a DigitalOcean stand-in on loopback, reached through the platform's egress
 * route) to cancel the deployment it is running, by the id it gave; the poller's next status read
 * records the deploy as canceled and the commit as STOPPED; the audit log names who. A refusal from
 * the vendor, a deploy that is not running and an unknown id change nothing. The request's shape is
 * checked against DigitalOcean's spec by test/peers/digitalocean.test.ts.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, ok, openSession, ownStatusOf, pushEventOf, type SettingsSession } from '../page/settings-harness';
import type { AuditPage, CancelView, DeploymentView, PageData, Result, TargetView } from '../../src/core/settings-api';
import { hashOf } from '../fixtures/events';
import { loopbackVendor, type Reply, type Seen } from '../providers/loopback-vendor';

const APP_ID = '4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf';
const DEPLOYMENT_ID = 'b6bdf840-2854-4f87-a36c-5f231c617c84';
const TOKEN = 'dop_v1_cancel-test-token-0001';

/** Building until it is canceled; what the cancel call answers is up to each test. */
let canceled = false;
let cancelReply: Reply = { status: 200, body: { deployment: { id: DEPLOYMENT_ID, phase: 'CANCELED' } } };
const digitalOcean = loopbackVendor((seen: Seen): Reply => {
  const deployment = { id: DEPLOYMENT_ID, phase: canceled ? 'CANCELED' : 'BUILDING' };
  if (seen.method === 'POST' && seen.path.endsWith('/cancel')) {
    if (cancelReply.status < 300) canceled = true;
    return cancelReply;
  }
  return { status: 200, body: { deployment } };
});

let session: SettingsSession;
let asAdmin: (key: string, payload?: unknown) => Promise<Result<unknown>>;

beforeEach(() => {
  canceled = false;
  cancelReply = { status: 200, body: { deployment: { id: DEPLOYMENT_ID, phase: 'CANCELED' } } };
  session = openSession({ routes: { 'api.digitalocean.com': digitalOcean.base } });
  asAdmin = session.invokeAs(ADMIN) as typeof asAdmin;
});
afterEach(() => session.platform.close());

const latest = async (): Promise<DeploymentView> => ok<PageData>(await asAdmin('getPage')).history.deployments[0] as DeploymentView;
const cancels = () => digitalOcean.seen.filter((s) => s.method === 'POST' && s.path.endsWith('/cancel'));

/** A DigitalOcean target, and a push it is deploying: the first status read is still to come. */
async function running(): Promise<{ target: TargetView; deployment: DeploymentView }> {
  const target = ok<TargetView>(
    await asAdmin('saveTarget', {
      name: 'App Platform',
      environment: 'production',
      provider: 'digitalocean',
      settings: { appId: APP_ID },
      secrets: { token: TOKEN },
      rules: { branches: ['main'], tags: [], paths: { include: [], exclude: [] } },
      options: { skipMarkers: true, coalesce: true, reportOnCommit: true },
      enabled: true,
    }),
  );
  await session.platform.emit(pushEventOf(session, 1));
  await session.platform.drain({ advanceClock: false });
  const deployment = await latest();
  expect(deployment).toMatchObject({ state: 'in_progress', cancel: { ok: true } });
  return { target, deployment };
}

describe('Cancel a running deploy', () => {
  it('asks the vendor to cancel the deployment it named; the next status read records it canceled, the commit STOPPED, the audit log who', async () => {
    const { target, deployment } = await running();
    session.platform.advanceClock(1000);
    const answer = ok<CancelView>(await asAdmin('cancelDeploy', { deploymentId: deployment.id }));
    expect(answer.message).toBe(
      `DigitalOcean is canceling deployment ${DEPLOYMENT_ID}. The history shows how the deploy ended at its next status read.`,
    );
    expect(cancels().map((s) => [s.target, s.headers.authorization, s.body])).toEqual([
      [`/v2/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}/cancel`, `Bearer ${TOKEN}`, ''],
    ]);

    await session.platform.drain();
    expect(await latest()).toMatchObject({ id: deployment.id, state: 'canceled', final: true });
    expect(ownStatusOf(session, hashOf(1), target.id)?.state).toBe('STOPPED');
    const [entry] = ok<AuditPage>(await asAdmin('getAudit', {})).entries;
    expect(entry).toMatchObject({
      action: 'deploy.cancel',
      actor: ADMIN,
      detail: `Asked DigitalOcean App Platform to cancel the deploy of main at ${hashOf(1).slice(0, 7)}`,
    });
  });

  it('a refusal from the vendor is shown in its words: the deploy goes on, and the log shows only the ask', async () => {
    const { deployment } = await running();
    cancelReply = { status: 404, body: { id: 'not_found', message: 'The resource you were accessing could not be found.' } };
    const refused = await asAdmin('cancelDeploy', { deploymentId: deployment.id });
    expect(refused).toMatchObject({ ok: false, error: { code: 'PROVIDER_REJECTED' } });
    expect(!refused.ok && refused.error.message).toBe(
      `DigitalOcean App Platform refused to cancel it: POST https://api.digitalocean.com/v2/apps/${APP_ID}/deployments/${DEPLOYMENT_ID}/cancel answered 404: The resource you were accessing could not be found. The deploy goes on.`,
    );
    // The ask is on record (it is written before the vendor is asked); the deploy goes on.
    expect(ok<AuditPage>(await asAdmin('getAudit', {})).entries.map((e) => e.action)).toEqual(['deploy.cancel', 'target.created']);
    expect(await latest()).toMatchObject({ state: 'in_progress' });
  });

  it('refuses a deploy that is not running and an unknown id before calling the vendor', async () => {
    const { deployment } = await running();
    ok(await asAdmin('cancelDeploy', { deploymentId: deployment.id }));
    await session.platform.drain();
    const again = await asAdmin('cancelDeploy', { deploymentId: deployment.id });
    expect(again).toEqual({
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'Only a deploy the vendor is running can be canceled. Nothing was changed.' },
    });
    const unknown = await asAdmin('cancelDeploy', { deploymentId: '8240000000000-0123456789abcdef01234567' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(cancels()).toHaveLength(1);
  });
});
