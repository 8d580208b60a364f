/**
 * Issue 10's "Done when", walked through the real page on the local platform: a repository admin adds a
 * Dokploy target on a host manifest.yml does not declare; the page explains what will be allowed and
 * asks Forge (permissions.egress.set from @forge/bridge), a workspace admin approves in Forge's modal,
 * the target is saved, and a push deploys to it. With the approval refused, nothing is saved and
 * nothing is sent. Dokploy is a real HTTP server on 127.0.0.1 that the platform routes the host to; the
 * platform's guard lets requests through only once the approval is held.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, leakedSecrets, openSession, pageContext, pushToMain, REPO, WORKSPACE, type SettingsSession } from './settings-harness';
import path from 'node:path';
import { kvs } from '@forge/kvs';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { EGRESS_GROUP } from '../../src/core/settings-api';
import { listDeployments } from '../../src/forge/store';
import { acceptedAnswer } from '../fixtures/every-provider';
import { loopbackVendor } from '../providers/loopback-vendor';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const HOST = 'dokploy.customer.example';
const API_KEY = 'dokploy-api-key-4b8e1c7f2a9d6e3b5c0a8f1e';
const titles: string[] = [];
const dokploy = loopbackVendor((request) => acceptedAnswer('dokploy', request, titles));

let session: SettingsSession;
let page: PageHarness | undefined;

beforeEach(() => {
  titles.length = 0;
  session = openSession({ routes: { [HOST]: dokploy.base } });
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await session.platform.close();
});

async function openForm(): Promise<PageHarness> {
  const ui = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN), bridge: session.bridgeAs(ADMIN) });
  await ui.press('Add target');
  await ui.fill('name', 'Self-hosted');
  await ui.fill('environment', 'production');
  await ui.select('provider', 'dokploy');
  await ui.fill('settings.baseUrl', `https://${HOST}`);
  await ui.select('settings.kind', 'application');
  await ui.fill('settings.resourceId', 'app-relay-1');
  await ui.fill('secrets.apiKey', API_KEY);
  await ui.press('Save target');
  return ui;
}

const storedTargets = () =>
  session.platform.run(async () => (await kvs.query().getMany()).results.map((r) => r.key).filter((k) => k.startsWith('targets:')));

describe('a Dokploy target on a host the manifest does not declare', () => {
  it('is saved once a workspace admin approves the host in Forge’s modal, and a push deploys to it', async () => {
    page = await openForm();
    // Not saved yet: the page explains what would be allowed and asks first.
    expect(page.text()).toContain('A workspace admin must approve this host');
    expect(page.text()).toContain(`This target calls ${HOST}, which Deploy Relay may not reach yet.`);
    expect(await storedTargets()).toEqual([]);

    // The admin is a workspace admin too: only they can approve, and only they may record what Forge holds.
    session.platform.bitbucket.setWorkspaceRole(WORKSPACE, ADMIN, 'owner');
    session.platform.customerEgress.decideWith(({ accountId }) => accountId === ADMIN);
    await page.press(`Approve ${HOST} and save`);
    expect(session.platform.customerEgress.asked).toEqual([
      {
        request: {
          accountId: ADMIN,
          egresses: [
            {
              key: EGRESS_GROUP.key,
              description: EGRESS_GROUP.description,
              configured: [{ domain: `https://${HOST}`, type: ['FETCH_BACKEND_SIDE'] }],
            },
          ],
        },
        approved: true,
      },
    ]);
    expect(page.invocations.map((i) => i.functionKey)).toEqual(['getPage', 'saveTarget', 'recordEgress', 'saveTarget']);
    expect(page.findAll('Modal')).toEqual([]);
    expect(page.text()).not.toContain('is not approved');
    expect(await storedTargets()).toHaveLength(1);

    await pushToMain(session, 1);
    expect(dokploy.seen.map((s) => `${s.method} ${s.path}`)).toContainEqual('POST /api/application.deploy');
    expect(dokploy.seen.every((s) => s.headers['x-api-key'] === API_KEY)).toBe(true);
    const [record] = (await session.platform.run(() => listDeployments(REPO, 10))).deployments;
    expect(record).toMatchObject({ state: 'succeeded', target: { name: 'Self-hosted' } });
    expect(leakedSecrets(session.responses, [API_KEY])).toEqual([]);
  });

  it('with the approval refused, says so, saves nothing and sends nothing', async () => {
    page = await openForm();
    session.platform.customerEgress.decideWith(() => false);
    await page.press(`Approve ${HOST} and save`);
    expect(page.text()).toContain(
      `${HOST} was not approved, so nothing was saved. Only a workspace admin of this Bitbucket workspace can approve a host: ask one to open this target and save it.`,
    );
    expect(session.platform.customerEgress.asked.map((a) => a.approved)).toEqual([false]);
    expect(session.platform.customerEgress.backendDomains()).toEqual([]);
    expect(page.invocations.map((i) => i.functionKey)).not.toContain('recordEgress');
    expect(await storedTargets()).toEqual([]);
    await pushToMain(session, 2);
    expect(dokploy.seen).toEqual([]);
    expect(session.platform.egressLog).toEqual([]);
  });
});
