/**
 * Issue 10, item 6: the admin check every resolver makes, against the endpoints the Bitbucket spec in
 * ../shared/specs marks current (not the deprecated /user/permissions/repositories), workspace admins
 * included; asked at most once a minute per person and repository, so a revoked admin is refused within
 * the minute; Forge's consent and proxy errors surfaced as such.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import { ADMIN, openSession, pageContext, READER, REPO, WORKSPACE, type SettingsSession } from '../page/settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { CONSENT_MESSAGE, type Result } from '../../src/core/settings-api';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const OWNER = '557058:owner-0003';

let session: SettingsSession;
let page: PageHarness | undefined;
beforeEach(() => {
  session = openSession();
  session.platform.bitbucket.addUser({ accountId: OWNER, displayName: 'Olga Owner', nickname: 'olga' });
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await session.platform.close();
});

const getHistory = (accountId: string) => session.invokeAs(accountId)('getHistory', {}) as Promise<Result<unknown>>;
/** The permission calls Bitbucket received as `accountId`, as `GET path`. */
const permissionCalls = (accountId: string) =>
  session.platform.bitbucket.calls.filter((c) => c.asUser && c.accountId === accountId).map((c) => `${c.method} ${c.path.split('?')[0]}`);

describe('who may manage the targets', () => {
  it('a repository admin, asked on the workspace-scoped list the spec points to from the deprecated one', async () => {
    expect(await getHistory(ADMIN)).toMatchObject({ ok: true });
    expect(permissionCalls(ADMIN)).toEqual([`GET /2.0/user/workspaces/${WORKSPACE}/permissions/repositories`]);
    expect(session.platform.bitbucket.calls.some((c) => c.path.startsWith('/2.0/user/permissions/'))).toBe(false);
  });

  it('a workspace admin (owner) with no permission of their own on the repository; not a plain member, nor a reader', async () => {
    session.platform.bitbucket.setWorkspaceRole(WORKSPACE, OWNER, 'owner');
    expect(await getHistory(OWNER)).toMatchObject({ ok: true });
    expect(permissionCalls(OWNER)).toEqual([
      `GET /2.0/user/workspaces/${WORKSPACE}/permissions/repositories`,
      `GET /2.0/user/workspaces/${WORKSPACE}/permission`,
    ]);
    session.platform.bitbucket.setWorkspaceRole(WORKSPACE, OWNER, 'member');
    session.platform.advanceClock(60_000);
    expect(await getHistory(OWNER)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await getHistory(READER)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});

describe('how often Bitbucket is asked', () => {
  it('at most once a minute per person and repository, however often the page refreshes', async () => {
    // A call every 3 s: at 0 s, 3 s, …, 57 s Bitbucket's first answer holds; at 60 s it is asked again.
    for (let i = 0; i < 20; i += 1) {
      expect(await getHistory(ADMIN)).toMatchObject({ ok: true });
      session.platform.advanceClock(3_000);
    }
    expect(permissionCalls(ADMIN)).toHaveLength(1);
    expect(await getHistory(ADMIN)).toMatchObject({ ok: true });
    expect(permissionCalls(ADMIN)).toHaveLength(2);
  });

  it('a revoked admin is refused once the minute since Bitbucket was last asked has passed', async () => {
    expect(await getHistory(ADMIN)).toMatchObject({ ok: true });
    session.platform.bitbucket.setPermission(REPO, ADMIN, 'none');
    session.platform.advanceClock(59_000);
    // Still within the minute: what Bitbucket said last holds.
    expect(await getHistory(ADMIN)).toMatchObject({ ok: true });
    session.platform.advanceClock(1_000);
    expect(await getHistory(ADMIN)).toEqual({
      ok: false,
      error: { code: 'FORBIDDEN', message: 'Only administrators of this repository can manage its deploy targets. Nothing was changed.' },
    });
  });
});

describe('Forge’s own answers to the permission check', () => {
  it('consent not given yet: the error leaves the resolver so Forge can ask, and the page says what to do', async () => {
    session.platform.bitbucket.faults.inject({
      path: '/user/workspaces/',
      status: 401,
      headers: { 'forge-proxy-error': 'NEEDS_AUTHENTICATION_ERR' },
    });
    await expect(getHistory(ADMIN)).rejects.toMatchObject({ name: 'NEEDS_AUTHENTICATION_ERR' });
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    expect(page.text()).toContain(CONSENT_MESSAGE);
  });

  it('a failing proxy: a clear message that it is Forge’s, and nothing changed', async () => {
    session.platform.bitbucket.faults.inject({ path: '/user/workspaces/', status: 502, headers: { 'forge-proxy-error': 'PROXY_FAILURE' } });
    expect(await getHistory(ADMIN)).toEqual({
      ok: false,
      error: {
        code: 'PLATFORM_UNAVAILABLE',
        message: 'Forge could not pass the permission check call to Bitbucket (502 PROXY_FAILURE); try again in a moment.',
      },
    });
  });
});
