/**
 * Issue 12's second "done when", on the local platform: a pull request's preview shows its URL on the
 * page's Previews tab, and the pull request has exactly one comment however many times it was updated.
 * The page is rendered by the real UI Kit reconciler; its invokes reach the real resolver; the events
 * come from the Bitbucket stand-in in Forge's documented shapes.
 */
// The platform comes first (through the session helper): it wraps fetch before @forge/api loads.
import {
  ADMIN,
  closeReceiverSession,
  ok,
  openReceiverSession,
  pageContext,
  REPO,
  type ReceiverSession,
  webhookTargetInput,
} from './settings-harness';
import path from 'node:path';
import { renderPage, type PageHarness } from '../../local/ui/harness';
import { nodeText } from '../../local/ui/forgedoc';
import { APP_ACCOUNT_ID } from '../../local/bitbucket/pullrequests';
import type { TargetView } from '../../src/core/settings-api';

const PAGE = path.join(__dirname, '..', '..', 'static', 'settings', 'index.tsx');
const SECRET = 'relay-previews-page-secret-0001';
const ACTOR = { accountId: ADMIN, uuid: '{a7e1c0d2-5b3f-4c8e-9d61-0f2b4a6c8e10}' };

let harness: ReceiverSession;
let page: PageHarness | undefined;

beforeEach(async () => {
  harness = await openReceiverSession(SECRET);
});
afterEach(async () => {
  await page?.unmount();
  page = undefined;
  await closeReceiverSession(harness);
});

describe('the Previews tab', () => {
  it("shows an open pull request's preview with its URL, the pull request has one comment after three updates, and a teardown moves it down", async () => {
    const { session, receiver, asAdmin } = harness;
    const bitbucket = session.platform.bitbucket;
    ok<TargetView>(
      await asAdmin('saveTarget', { ...webhookTargetInput(receiver.url, SECRET), name: 'Previews', preview: { allowForks: false } }),
    );
    const at = (s: number) => new Date(session.platform.now() + s * 1000).toISOString();
    const deliver = async (event: { eventType: string }) => {
      await session.platform.emit(event as never);
      await session.platform.drain();
    };
    bitbucket.push(REPO, { ref: 'feature/sso', messages: ['Start SSO'], actor: ACTOR, timestamp: at(1) });
    await deliver(
      bitbucket.openPullRequest(REPO, {
        title: 'Log in with SSO',
        source: 'feature/sso',
        destination: 'main',
        authorAccountId: ADMIN,
        timestamp: at(2),
      }),
    );
    for (const round of [3, 4, 5]) {
      bitbucket.push(REPO, { ref: 'feature/sso', messages: [`SSO, part ${round}`], actor: ACTOR, timestamp: at(round * 2) });
      await deliver(bitbucket.updatePullRequest(REPO, 1, at(round * 2 + 1)));
    }
    const head = bitbucket.branchHead(REPO, 'feature/sso') as string;
    const url = new URL('/previews/1', receiver.url).toString();

    const comments = bitbucket.pullRequestComments(REPO, 1);
    expect(comments.map((c) => c.accountId)).toEqual([APP_ACCOUNT_ID]);
    expect(comments[0]?.raw).toContain(`[${url}](${url}), commit \`${head.slice(0, 12)}\``);
    expect(receiver.deliveries).toHaveLength(4);

    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    await page.selectTab('Previews');
    const rows = page.findAll('Row').filter((row) => String(row.props.rowKey).startsWith('1-'));
    expect(rows.map((row) => nodeText(row))).toEqual([expect.stringContaining('#1 Log in with SSO')]);
    expect(page.findAll('Link').map((link) => link.props.href)).toEqual(
      expect.arrayContaining(['https://bitbucket.org/acme/web/pull-requests/1', url]),
    );
    expect(nodeText(rows[0]!)).toContain(`feature/sso ${head.slice(0, 7)} → main`);

    await deliver(bitbucket.closePullRequest(REPO, 1, 'declined', at(20)));
    await page.unmount();
    page = await renderPage(PAGE, { context: pageContext(ADMIN), invoke: session.invokeAs(ADMIN) });
    await page.selectTab('Previews');
    expect(page.text()).toContain('No pull request has a preview now.');
    expect(page.text()).toContain('Last teardowns');
    expect(bitbucket.pullRequestComments(REPO, 1).map((c) => c.raw)).toEqual([
      '**Deploy Relay previews**\n\n- **Previews** (production): torn down (The receiver accepted the teardown (200))',
    ]);
  });
});
