// The relay harness comes first: it loads the local platform, which wraps fetch before @forge/api loads.
import { REPO, startRelay, targetFor, WORKSPACE, type RelayOnPeers } from './relay';
import { ADMIN } from '../page/settings-harness';
import api, { route } from '@forge/api';
import { startReceiver, type Receiver } from '../../local/receiver';
import type { BranchSearch, DeployNowResult, PageData, Result } from '../../src/core/settings-api';
import { DEFAULT_OPTIONS } from '../../src/core/targets';
import { PEER_TIMEOUT_MS, prismFor } from './processes';

/**
 * The app's Bitbucket calls (src/forge/bitbucket.ts, through the real requestBitbucket) against Prism
 * serving Bitbucket's own spec (bitbucket-cloud.openapi3.prism.json, paths under /2.0). The platform's
 * `bitbucketMirror` sends each call to Prism as well as to the stand-in, which keeps answering, so the
 * app runs on the stand-in's state while Prism judges every request it makes.
 */
const SIGNING_SECRET = 'bitbucket-contract-test-secret';

jest.setTimeout(PEER_TIMEOUT_MS);

const prism = prismFor('bitbucket-cloud.openapi3.prism.json');
let receiver: Receiver;
let relay: RelayOnPeers;

beforeAll(async () => {
  relay = startRelay({ bitbucketMirror: prism().url });
  // The receiver judges a signature's age by the platform's clock, which runs ahead of the real one.
  receiver = await startReceiver({ secret: SIGNING_SECRET, now: relay.platform.now });
  await relay.configure([
    { target: targetFor('webhook', 'hook-all', { url: receiver.url }), secrets: { signingSecret: SIGNING_SECRET } },
    {
      target: {
        ...targetFor('webhook', 'hook-src', { url: receiver.url }),
        rules: { branches: ['main'], tags: [], paths: { include: ['src/**'], exclude: [] } },
      },
      secrets: { signingSecret: SIGNING_SECRET },
    },
  ]);
});
afterAll(async () => {
  await relay?.close();
  await receiver?.close();
});
beforeEach(() => {
  relay.platform.egressLog.length = 0;
});

/** The Bitbucket calls Prism saw, as `METHOD /2.0/…` with the repository's path and the query cut. */
const mirrored = () =>
  relay.platform.egressLog
    .filter((r) => r.url.startsWith('https://api.bitbucket.org/'))
    .map(
      (r) =>
        `${r.method} ${new URL(r.url).pathname
          .replace(/^\/2\.0\/repositories\/[^/]+\/[^/]+/, '/2.0/repositories/{ws}/{repo}')
          .replace(/^\/2\.0\/user\/workspaces\/[^/]+/, '/2.0/user/workspaces/{ws}')} -> ${r.status}`,
    );

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.data;
}

describe('the app’s Bitbucket calls, against Bitbucket’s spec', () => {
  it('posts each target’s commit statuses, and reads the push’s changed files once for a path filter, in requests the spec accepts', async () => {
    const before = relay.platform.bitbucket.branchHead(REPO, 'main');
    const records = await relay.push(['src/app.ts']);
    const hash = records[0]?.commit.hash ?? '';
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const calls = mirrored();
    expect(new Set(calls)).toEqual(
      new Set([
        `POST /2.0/repositories/{ws}/{repo}/commit/${hash}/statuses/build -> 201`,
        `GET /2.0/repositories/{ws}/{repo}/diffstat/${hash}..${before} -> 200`,
      ]),
    );
    expect(calls.filter((c) => c.includes('/diffstat/'))).toHaveLength(1);
    expect(records.map((r) => [r.target.id, r.state]).sort()).toEqual([
      ['hook-all', 'requested'],
      ['hook-src', 'requested'],
    ]);
    expect(
      relay.platform.bitbucket
        .statuses(REPO, hash)
        .map((s) => [s.key, s.state])
        .sort(),
    ).toEqual([
      ['deploy-relay-hook-all', 'SUCCESSFUL'],
      ['deploy-relay-hook-src', 'SUCCESSFUL'],
    ]);
  });

  it('reads the repository, and checks the caller is its admin as that user, in requests the spec accepts', async () => {
    const page = ok(await relay.resolve<PageData>('getPage'));
    expect(page.repository).toMatchObject({ fullName: 'acme/web', mainBranch: 'main' });
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(mirrored().sort()).toEqual([
      'GET /2.0/repositories/{ws}/{repo} -> 200',
      'GET /2.0/user/workspaces/{ws}/permissions/repositories -> 200',
    ]);
  });

  it('checks a workspace admin with no permission of their own on the repository by their workspace role, in requests the spec accepts', async () => {
    relay.platform.bitbucket.setPermission(REPO, ADMIN, 'none');
    relay.platform.bitbucket.setWorkspaceRole(WORKSPACE, ADMIN, 'owner');
    // Past the minute the last answer is kept for.
    relay.platform.advanceClock(60_000);
    try {
      ok(await relay.resolve<unknown>('getHistory', {}));
      expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
      expect(mirrored()).toEqual([
        'GET /2.0/user/workspaces/{ws}/permissions/repositories -> 200',
        'GET /2.0/user/workspaces/{ws}/permission -> 200',
      ]);
    } finally {
      relay.platform.bitbucket.setPermission(REPO, ADMIN, 'admin');
      relay.platform.bitbucket.setWorkspaceRole(WORKSPACE, ADMIN, 'none');
    }
  });

  it('searches branches by name, newest first, in one request the spec accepts', async () => {
    const search = ok(await relay.resolve<BranchSearch>('searchBranches', { text: 'ma' }));
    expect(search.branches.map((b) => b.name)).toContain('main');
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const query = relay.platform.egressLog.find((r) => r.url.includes('/refs/branches'))?.url ?? '';
    expect(Object.fromEntries(new URL(query).searchParams)).toMatchObject({ q: 'name ~ "ma"', sort: '-target.date' });
    // The admin check's answer is kept for a minute: no permission call here.
    expect(mirrored()).toEqual(['GET /2.0/repositories/{ws}/{repo}/refs/branches -> 200']);
  });

  it('reads a branch’s head for “deploy now” and reports the deploy on it, in requests the spec accepts', async () => {
    // A moment after the push: deploy now orders by when it was asked for, and asks for a later deploy.
    relay.platform.advanceClock(1000);
    const queued = ok(await relay.resolve<DeployNowResult>('deployNow', { targetId: 'hook-all', branch: 'main' }));
    await relay.platform.drain();
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const calls = mirrored();
    expect(calls.slice(0, 1)).toEqual(['GET /2.0/repositories/{ws}/{repo}/refs/branches/main -> 200']);
    expect(new Set(calls.slice(1))).toEqual(new Set([`POST /2.0/repositories/{ws}/{repo}/commit/${queued.commit}/statuses/build -> 201`]));
  });

  it('lists a commit’s statuses once for a target that waits for builds, and reports the wait on the commit, in requests the spec accepts', async () => {
    await relay.configure([
      {
        target: { ...targetFor('webhook', 'hook-gated', { url: receiver.url }), options: { ...DEFAULT_OPTIONS, waitForBuilds: true } },
        secrets: { signingSecret: SIGNING_SECRET },
      },
    ]);
    relay.platform.egressLog.length = 0;
    const [record] = await relay.push(['src/app.ts'], { advanceClock: false });
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    const hash = record?.commit.hash ?? '';
    expect(mirrored()).toEqual([
      `GET /2.0/repositories/{ws}/{repo}/commit/${hash}/statuses -> 200`,
      `POST /2.0/repositories/{ws}/{repo}/commit/${hash}/statuses/build -> 201`,
    ]);
    expect(record).toMatchObject({ state: 'waiting', message: 'Waiting for builds: none reported on this commit yet' });
  });

  it('asks for a pull request’s source and its full commit, reports the preview on the source commit and posts its comment, in requests the spec accepts', async () => {
    await relay.configure([
      {
        target: { ...targetFor('webhook', 'hook-previews', { url: receiver.url }), preview: { allowForks: false } },
        secrets: { signingSecret: SIGNING_SECRET },
      },
    ]);
    relay.platform.egressLog.length = 0;
    await relay.pullRequest({ open: 'feature/preview' });
    const head = relay.platform.bitbucket.branchHead(REPO, 'feature/preview') ?? '';
    expect(await prism().refusals(relay.platform.egressLog)).toEqual([]);
    expect(mirrored()).toEqual([
      'GET /2.0/repositories/{ws}/{repo}/pullrequests/1 -> 200',
      `GET /2.0/repositories/{ws}/{repo}/commit/${head.slice(0, 12)} -> 200`,
      `POST /2.0/repositories/{ws}/{repo}/commit/${head}/statuses/build -> 201`,
      // The pull request's one comment: its comments looked through for the app's own, then the comment posted.
      'GET /2.0/repositories/{ws}/{repo}/pullrequests/1/comments -> 200',
      'POST /2.0/repositories/{ws}/{repo}/pullrequests/1/comments -> 201',
    ]);
  });

  it('reports a request the spec refuses with Prism’s reasons, so no refusal passes unseen', async () => {
    const hash = relay.platform.bitbucket.branchHead(REPO, 'main') ?? '';
    await relay.platform.run(() =>
      api.asApp().requestBitbucket(route`/2.0/repositories/${WORKSPACE}/${REPO}/commit/${hash}/statuses/build`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'commitstatus', key: 'k', state: 'DONE', url: 'https://example.com' }),
      }),
    );
    const [refusal, ...more] = await prism().refusals(relay.platform.egressLog);
    expect(more).toEqual([]);
    expect(refusal).toMatch(
      /^POST http:\/\/127\.0\.0\.1:\d+\/2\.0\/repositories\/.*\/statuses\/build -> 422: Request body property state must be equal to one of the allowed values: FAILED, INPROGRESS, STOPPED, SUCCESSFUL$/,
    );
  });
});
