// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { hookTarget, startApp, type TestApp } from './app';
import { documentedShapeProblems } from '../../local/bitbucket/events';
import { APP_ACCOUNT_ID, type PullRequestEventJson } from '../../local/bitbucket/pullrequests';
import type { Target } from '../../src/core/targets';
import { commitOf, FIXTURE_REPOSITORY_UUID, makePushEvent } from '../fixtures/events';

/**
 * Issue 12 (pull-request previews), through the real SDK on the local platform: the Bitbucket stand-in
 * holds the pull requests and emits their events as Forge's reference shapes them (12-character
 * hashes), the app asks it for the source repository and the full commit, and a signed-webhook preview
 * target's receiver verifies every request with its own code.
 */

let app: TestApp;
afterEach(async () => app?.close());

const ADA = { accountId: '557058:admin-0001', uuid: '{a7e1c0d2-5b3f-4c8e-9d61-0f2b4a6c8e10}' };
const at = (second: number) => `2026-11-20T10:17:${String(second).padStart(2, '0')}.000000Z`;

const previewTarget = (a: TestApp, overrides: Partial<Target> = {}): Target =>
  hookTarget(a.receiver, { id: 'previews', name: 'Previews', environment: 'preview', preview: { allowForks: false }, ...overrides });

async function appWith(targets: (a: TestApp) => Target[]): Promise<TestApp> {
  app = await startApp();
  app.platform.bitbucket.recordPush(makePushEvent());
  await app.configure(targets(app));
  return app;
}

/** A push to the branch (its commits made by the stand-in); the head's full hash. */
function pushTo(branch: string, second: number, message = `work on ${branch}`): string {
  const event = app.platform.bitbucket.push(FIXTURE_REPOSITORY_UUID, {
    ref: branch,
    messages: [message],
    actor: ADA,
    timestamp: at(second),
  });
  return (event.push as { after: string }).after;
}

async function deliver(...events: PullRequestEventJson[]): Promise<void> {
  for (const event of events) {
    expect(documentedShapeProblems(event)).toEqual([]);
    await app.platform.emit(event);
  }
  await app.platform.drain();
}

interface Received {
  event: string;
  commit: { hash: string };
  pull_request: { id: number; source: { commit: string } };
}
const received = (): (Received & { signed: boolean })[] =>
  app.receiver.deliveries.map((d) => ({ ...(JSON.parse(d.body) as Received), signed: d.hubSignatureValid && d.standardWebhooksValid }));
const sent = () => received().map((r) => `${r.event} #${r.pull_request?.id ?? '-'} ${r.commit.hash.slice(0, 12)}`);

const comments = () =>
  app.platform.bitbucket.pullRequestComments(FIXTURE_REPOSITORY_UUID, 1).map(({ accountId, raw }) => ({ accountId, raw }));

const open = (second: number, source = 'feature/login') =>
  app.platform.bitbucket.openPullRequest(FIXTURE_REPOSITORY_UUID, {
    title: 'Log in with SSO',
    source,
    destination: 'main',
    authorAccountId: ADA.accountId,
    timestamp: at(second),
  });

describe('pull-request previews', () => {
  it('created: one signed preview of the full source commit, learned from Bitbucket, its status on the pull request; pushes do not deploy it', async () => {
    await appWith((a) => [previewTarget(a), hookTarget(a.receiver, { id: 'staging', branches: ['main'] })]);
    const head = pushTo('feature/login', 1);
    const created = open(2);
    expect(created.pullrequest.source.commit.hash).toBe(head.slice(0, 12));
    await deliver(created);

    expect(received()).toEqual([
      expect.objectContaining({ event: 'preview', signed: true, commit: expect.objectContaining({ hash: head }) }),
    ]);
    expect(received()[0]?.pull_request).toEqual({
      id: 1,
      title: 'Log in with SSO',
      source: { branch: 'feature/login', commit: head },
      destination: { branch: 'main' },
      author: { account_id: ADA.accountId, display_name: 'Ada Admin' },
    });
    // On the source commit, for the source branch: that is what shows it on the pull request. The
    // receiver answered with the preview's address, which the status links.
    const previewUrl = new URL('/previews/1', app.receiver.url).toString();
    expect(app.statusesOf(head)).toEqual([
      expect.objectContaining({
        key: 'deploy-relay-previews',
        state: 'SUCCESSFUL',
        refname: 'feature/login',
        name: 'Preview of #1 on Previews',
        url: previewUrl,
      }),
    ]);
    const asked = app.platform.bitbucket.calls
      .filter((c) => c.method === 'GET')
      .map((c) => c.path.replace(/^.*\/(pullrequests|commit)\//, '$1/'));
    // Then the comment: the pull request's comments looked through once for one of the app's own, before the first is posted.
    expect(asked).toEqual(['pullrequests/1', `commit/${head.slice(0, 12)}`, 'pullrequests/1/comments?pagelen=100']);
    expect(comments()).toEqual([
      {
        accountId: APP_ACCOUNT_ID,
        raw: `**Deploy Relay previews**\n\n- **Previews** (preview): requested, [${previewUrl}](${previewUrl}), commit \`${head.slice(0, 12)}\``,
      },
    ]);
    expect((await app.history())[0]).toMatchObject({ state: 'requested', preview: { action: 'deploy', pullRequest: { id: 1 } } });

    // A push to main goes to the branch target only: a preview target deploys pull requests, not pushes.
    app.receiver.deliveries.splice(0);
    await app.platform.emit(makePushEvent({ timestamp: at(3) }));
    await app.platform.drain();
    expect(received().map((r) => r.event)).toEqual(['deploy']);
  });

  it('updated twice: each newer commit previewed, in order; a late delivery of an older update is superseded, never sent over the newer', async () => {
    await appWith((a) => [previewTarget(a)]);
    const first = pushTo('feature/login', 1);
    await deliver(open(2));
    const second = pushTo('feature/login', 3);
    const secondUpdate = app.platform.bitbucket.updatePullRequest(FIXTURE_REPOSITORY_UUID, 1, at(4));
    const third = pushTo('feature/login', 5);
    const thirdUpdate = app.platform.bitbucket.updatePullRequest(FIXTURE_REPOSITORY_UUID, 1, at(6));
    // Forge may deliver them out of order: the newest first, the older one late.
    await deliver(thirdUpdate);
    await deliver(secondUpdate);

    expect(sent()).toEqual([`preview #1 ${first.slice(0, 12)}`, `preview #1 ${third.slice(0, 12)}`]);
    // One comment, edited in place: it names the newest commit.
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.raw).toContain(`commit \`${third.slice(0, 12)}\``);
    const late = (await app.history()).find((d) => d.commit.hash === second);
    expect(late).toMatchObject({ state: 'superseded', message: expect.stringContaining('a newer push') });
  });

  it('declined: the preview is torn down; a deploy delivered after the teardown is superseded and never brings it back', async () => {
    await appWith((a) => [previewTarget(a)]);
    const head = pushTo('feature/login', 1);
    const created = open(2);
    const declined = app.platform.bitbucket.closePullRequest(FIXTURE_REPOSITORY_UUID, 1, 'declined', at(3));
    expect(declined.eventType).toBe('avi:bitbucket:rejected:pullrequest');
    // The decline arrives first; the pull request's creation is delivered late.
    await deliver(declined);
    await deliver(created);

    expect(sent()).toEqual([`preview_teardown #1 ${head.slice(0, 12)}`]);
    const byAction = Object.fromEntries((await app.history()).map((d) => [d.preview?.action, d.state]));
    expect(byAction).toEqual({ teardown: 'requested', deploy: 'skipped' });
    expect(comments().map((c) => c.raw)).toEqual([
      '**Deploy Relay previews**\n\n- **Previews** (preview): torn down (The receiver accepted the teardown (200))',
    ]);
  });

  it('a target edited back to deploying pushes sends no preview queued before the edit, and records why', async () => {
    await appWith((a) => [previewTarget(a)]);
    pushTo('feature/login', 1);
    await app.platform.emit(open(2));
    // The pull request's check runs and queues the preview's deploy (the drain stops there, saying so);
    // the target is edited before the worker takes the deploy.
    await expect(app.platform.drain({ maxDeliveries: 1 })).rejects.toThrow('stopped after maxDeliveries (1) with 1 event(s) still queued');
    await app.configure([hookTarget(app.receiver, { id: 'previews', name: 'Previews', environment: 'preview' })]);
    await app.platform.drain();
    expect(sent()).toEqual([]);
    expect((await app.history())[0]).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('Previews deploys pushes now, not pull-request previews: nothing was deployed'),
      preview: { action: 'deploy' },
    });
  });

  it('merged: the preview is torn down, and the branch target deploys the merge commit through the push path', async () => {
    await appWith((a) => [previewTarget(a), hookTarget(a.receiver, { id: 'production', branches: ['main'] })]);
    const head = pushTo('feature/login', 1);
    await deliver(open(2));
    const merged = app.platform.bitbucket.closePullRequest(FIXTURE_REPOSITORY_UUID, 1, 'merged', at(3));
    expect(merged.eventType).toBe('avi:bitbucket:fulfilled:pullrequest');
    const mergeCommit = app.platform.bitbucket.branchHead(FIXTURE_REPOSITORY_UUID, 'main') as string;
    await deliver(merged);
    await app.platform.emit(
      makePushEvent({
        timestamp: at(4),
        push: { after: mergeCommit, commits: [commitOf(mergeCommit, 'Merged in feature/login (pull request #1)')] },
      }),
    );
    await app.platform.drain();

    expect(sent()).toEqual([
      `preview #1 ${head.slice(0, 12)}`,
      `preview_teardown #1 ${head.slice(0, 12)}`,
      `deploy #- ${mergeCommit.slice(0, 12)}`,
    ]);
  });

  it('a deleted source branch tears its preview down once, though its decline comes too; nothing is torn down twice', async () => {
    await appWith((a) => [previewTarget(a)]);
    const head = pushTo('feature/login', 1);
    await deliver(open(2));
    const deleted = (second: number) =>
      makePushEvent({ timestamp: at(second), push: { ref: 'feature/login', before: head, after: null, closed: true, commits: [] } });
    // The pull request's decline comes too, delivered after the push; and the push is delivered twice.
    const declined = app.platform.bitbucket.closePullRequest(FIXTURE_REPOSITORY_UUID, 1, 'declined', at(4));
    await app.platform.emit(deleted(3));
    await app.platform.drain();
    const tornDown = [`preview #1 ${head.slice(0, 12)}`, `preview_teardown #1 ${head.slice(0, 12)}`];
    expect(sent()).toEqual(tornDown);
    await app.platform.emit(deleted(3));
    await deliver(declined);

    expect(sent()).toEqual(tornDown);
    const teardowns = (await app.history()).filter((d) => d.preview?.action === 'teardown');
    expect(teardowns).toHaveLength(2);
    expect(teardowns.filter((d) => d.state === 'requested')).toHaveLength(1);
    expect(teardowns.find((d) => d.state === 'skipped')?.message).toContain('Skipped: the preview was torn down already');
    // The skipped teardown posts nothing over the one that tore the preview down.
    expect(app.statusesOf(head).find((s) => s.key === 'deploy-relay-previews')).toMatchObject({
      state: 'SUCCESSFUL',
      description: 'The receiver accepted the teardown (200)',
    });
    expect(comments().map((c) => c.raw)).toEqual([
      '**Deploy Relay previews**\n\n- **Previews** (preview): torn down (The receiver accepted the teardown (200))',
    ]);
  });

  it("a branch deleted here keeps the preview of a fork's branch of the same name", async () => {
    await appWith((a) => [previewTarget(a, { preview: { allowForks: true } })]);
    app.platform.bitbucket.addRepository({ slug: 'web-fork', workspace: 'acme' });
    const forkHead = app.platform.bitbucket.addCommit('acme/web-fork', { message: 'From a fork' });
    app.platform.bitbucket.setBranch('acme/web-fork', 'feature/login', forkHead);
    await deliver(
      app.platform.bitbucket.openPullRequest(FIXTURE_REPOSITORY_UUID, {
        title: 'From outside',
        source: 'feature/login',
        destination: 'main',
        authorAccountId: ADA.accountId,
        timestamp: at(2),
        fork: 'acme/web-fork',
      }),
    );
    const ownHead = pushTo('feature/login', 3);
    await app.platform.emit(
      makePushEvent({ timestamp: at(4), push: { ref: 'feature/login', before: ownHead, after: null, closed: true, commits: [] } }),
    );
    await app.platform.drain();

    expect(sent()).toEqual([`preview #1 ${forkHead.slice(0, 12)}`]);
    expect((await app.history()).filter((d) => d.preview?.action === 'teardown')).toEqual([]);
  });

  it("a fork's pull request is not previewed unless the target allows forks, and its status on the pull request says why", async () => {
    await appWith((a) => [previewTarget(a), previewTarget(a, { id: 'forks-too', name: 'Forks too', preview: { allowForks: true } })]);
    app.platform.bitbucket.addRepository({ slug: 'web-fork', workspace: 'acme' });
    const forkHead = app.platform.bitbucket.addCommit('acme/web-fork', { message: 'From a fork' });
    app.platform.bitbucket.setBranch('acme/web-fork', 'feature/fork', forkHead);
    const created = app.platform.bitbucket.openPullRequest(FIXTURE_REPOSITORY_UUID, {
      title: 'From outside',
      source: 'feature/fork',
      destination: 'main',
      authorAccountId: ADA.accountId,
      timestamp: at(2),
      fork: 'acme/web-fork',
    });
    await deliver(created);

    expect(sent()).toEqual([`preview #1 ${forkHead.slice(0, 12)}`]);
    const refused = (await app.history()).find((d) => d.target.id === 'previews');
    expect(refused).toMatchObject({ state: 'blocked', message: expect.stringContaining('comes from a fork (acme/web-fork)') });
    expect(app.statusesOf(forkHead).find((s) => s.key === 'deploy-relay-previews')).toMatchObject({
      state: 'STOPPED',
      description: expect.stringContaining('does not preview forks'),
    });
  });

  it('Bitbucket failing is retried with back-off through the queue; the preview goes out once it answers', async () => {
    await appWith((a) => [previewTarget(a)]);
    const head = pushTo('feature/login', 1);
    const created = open(2);
    app.platform.bitbucket.faults.inject({ path: /\/pullrequests\/1$/, status: 503, times: 2 });
    await deliver(created);
    expect(sent()).toEqual([`preview #1 ${head.slice(0, 12)}`]);
    expect(app.platform.bitbucket.calls.filter((c) => c.path.endsWith('/pullrequests/1')).map((c) => c.status)).toEqual([503, 503, 200]);
  });
});
