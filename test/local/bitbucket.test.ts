import { route } from '@forge/api';
import { createBitbucketStandIn, loadDefaultFixture, type BitbucketCaller, type BitbucketStandIn } from '../../local/bitbucket';

const WS_UUID = '{3f2a6c1e-8b4d-4e7a-9c15-2d6e8f0a1b37}';
const REPO_UUID = '{5c9e7a3b-1d2f-4b6a-8e4c-7f0a2b3c4d5e}';
const ADMIN = '557058:admin-0001';
const READER = '557058:reader-0002';
const APP: BitbucketCaller = { asUser: false };
const asUser = (accountId: string): BitbucketCaller => ({ asUser: true, accountId });

/** Fixture commits by message, so tests name them instead of copying hashes. */
const fixtureHashes = new Map(loadDefaultFixture().repositories[0]?.commits.map((c) => [c.message, c.hash]));
function hashOf(message: string): string {
  const hash = fixtureHashes.get(message);
  if (hash === undefined) throw new Error(`No fixture commit "${message}"`);
  return hash;
}
const C3_DOCS = hashOf('Document the deployment process');
const C5_RETRY = hashOf('Retry failed API calls');
const C6_RELEASE = hashOf('Release 1.2.0');
const C7_LOGIN = hashOf('Add login form');
const C8_RENAME = hashOf('Rename session helper to useSession');
const C9_DROP = hashOf('Drop legacy styles');

interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  body: any;
}

async function call(bb: BitbucketStandIn, method: string, path: string, body?: unknown, caller: BitbucketCaller = APP): Promise<Answer> {
  const response = await bb.handle(method, path, body === undefined ? undefined : JSON.stringify(body), caller);
  return { status: response.status, headers: response.headers, body: await response.json() };
}
const get = (bb: BitbucketStandIn, path: string, caller?: BitbucketCaller): Promise<Answer> => call(bb, 'GET', path, undefined, caller);

/** Paths built the way the app builds them, with @forge/api's `route`. */
const repoPath = (ws = WS_UUID, repo = REPO_UUID): string => route`/2.0/repositories/${ws}/${repo}`.value;
const statusPath = (hash: string): string => route`/2.0/repositories/${WS_UUID}/${REPO_UUID}/commit/${hash}/statuses/build`.value;
/** `next` links are absolute; the SDK sends their path and query. */
const pathOf = (next: string): string => {
  const url = new URL(next);
  return `${url.pathname}${url.search}`;
};

const goodStatus = {
  type: 'commitstatus',
  key: 'deploy-relay-prod',
  state: 'INPROGRESS',
  name: 'Deploy to prod',
  description: 'Deploying',
  url: 'https://relay.test/deploys/1',
  refname: 'main',
};

function clock(start: string): { now: () => Date; advance: (ms: number) => void } {
  let time = Date.parse(start);
  return { now: () => new Date(time), advance: (ms) => void (time += ms) };
}

describe('repository', () => {
  const bb = createBitbucketStandIn();

  it.each([
    ['slugs', '/2.0/repositories/acme/web'],
    ['raw {uuid}s', `/2.0/repositories/${WS_UUID}/${REPO_UUID}`],
    ['URL-encoded {uuid}s', `/2.0/repositories/${encodeURIComponent(WS_UUID)}/${encodeURIComponent(REPO_UUID)}`],
  ])('answers by %s in the spec shape', async (_, path) => {
    const { status, body } = await get(bb, path);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      type: 'repository',
      uuid: REPO_UUID,
      full_name: 'acme/web',
      name: 'web',
      slug: 'web',
      is_private: true,
      mainbranch: { name: 'main', type: 'branch' },
      workspace: { type: 'workspace', uuid: WS_UUID, slug: 'acme' },
      links: { html: { href: 'https://bitbucket.org/acme/web' }, self: { href: 'https://api.bitbucket.org/2.0/repositories/acme/web' } },
    });
  });

  it('answers 404 with Bitbucket error body for an unknown repository or workspace', async () => {
    const unknownRepo = await get(bb, repoPath(WS_UUID, '{00000000-0000-4000-8000-000000000000}'));
    expect(unknownRepo.status).toBe(404);
    expect(unknownRepo.body).toEqual({
      type: 'error',
      error: { message: 'Repository {3f2a6c1e-8b4d-4e7a-9c15-2d6e8f0a1b37}/{00000000-0000-4000-8000-000000000000} not found' },
    });
    const unknownWs = await get(bb, '/2.0/repositories/nope/web');
    expect(unknownWs.status).toBe(404);
    expect(unknownWs.body.type).toBe('error');
  });

  it('answers 404 for anything it does not serve, including a known path with another method', async () => {
    for (const [method, path] of [
      ['GET', '/2.0/repositories/acme/web/pullrequests'],
      ['GET', '/2.0/workspaces/acme'],
      ['DELETE', '/2.0/repositories/acme/web'],
      ['GET', '/1.0/repositories/acme/web'],
    ] as const) {
      const { status, body } = await call(bb, method, path);
      expect(status).toBe(404);
      expect(body).toEqual({ type: 'error', error: { message: expect.stringContaining('not found') } });
    }
  });

  it('refuses a private repository to a user without permission (403) and a user call without account (401)', async () => {
    expect((await get(bb, repoPath(), asUser('557058:stranger-9'))).status).toBe(403);
    expect((await get(bb, repoPath(), { asUser: true })).status).toBe(401);
    expect((await get(bb, repoPath(), asUser(READER))).status).toBe(200);
  });
});

describe('branches', () => {
  const bb = createBitbucketStandIn();
  const branches = (query: string): string => `${repoPath()}/refs/branches${query}`;
  const search = (q: string): string => route`/2.0/repositories/${WS_UUID}/${REPO_UUID}/refs/branches?q=${q}`.value;

  it('lists in git order by default, with targets', async () => {
    const { status, body } = await get(bb, branches(''));
    expect(status).toBe(200);
    expect(body).toMatchObject({ page: 1, pagelen: 10, size: 4 });
    expect(body.next).toBeUndefined();
    expect(body.values.map((b: { name: string }) => b.name)).toEqual(['develop', 'feature/login', 'main', 'release/1.2']);
    expect(body.values[2]).toMatchObject({
      type: 'branch',
      name: 'main',
      target: {
        type: 'commit',
        hash: C3_DOCS,
        date: '2025-03-05T10:05:00+00:00',
        message: 'Document the deployment process',
        author: { raw: 'Ada Admin <ada@acme.test>', user: { account_id: ADMIN } },
      },
      links: { html: { href: 'https://bitbucket.org/acme/web/branch/main' } },
    });
  });

  it('filters with name ~ (case-insensitive contains) and name = (exact), and sorts by -target.date', async () => {
    const contains = await get(bb, search('name ~ "REL"'));
    expect(contains.body.values.map((b: { name: string }) => b.name)).toEqual(['release/1.2']);
    const exact = await get(bb, search('name = "main"'));
    expect(exact.body.values.map((b: { name: string }) => b.name)).toEqual(['main']);
    const none = await get(bb, search('name = "Main"'));
    expect(none.body).toMatchObject({ size: 0, values: [] });
    const newest = await get(bb, `${branches('')}?sort=-target.date`);
    expect(newest.body.values.map((b: { name: string }) => b.name)).toEqual(['feature/login', 'release/1.2', 'develop', 'main']);
  });

  it('answers 400 for a query or sort it does not understand', async () => {
    const badField = await get(bb, search('target.hash = "x"'));
    expect(badField.status).toBe(400);
    expect(badField.body.error.message).toBe('Invalid field name: target.hash');
    expect((await get(bb, search('name ~ rel'))).status).toBe(400);
    expect((await get(bb, `${branches('')}?sort=size`)).status).toBe(400);
  });

  it('gets one branch whose name contains a slash, encoded or not', async () => {
    for (const name of ['release%2F1.2', 'release/1.2']) {
      const { status, body } = await get(bb, branches(`/${name}`));
      expect(status).toBe(200);
      expect(body).toMatchObject({ name: 'release/1.2', target: { hash: C6_RELEASE } });
    }
    const missing = await get(bb, branches('/release%2F9.9'));
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ type: 'error', error: { message: 'Branch not found: release/9.9' } });
  });

  describe('with 5,000 branches', () => {
    const big = createBitbucketStandIn();
    const base = Date.parse('2025-01-01T00:00:00Z');
    // 50 commits a day apart; branch `topic/i` points at commit i % 50, so dates repeat and ties test the name tiebreak.
    const heads: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      heads.push(
        big.addCommit('acme/web', {
          parents: [heads[i - 1] ?? C3_DOCS],
          message: `c${i}`,
          date: new Date(base + i * 86_400_000).toISOString(),
          files: [`src/f${i}.ts`],
        }),
      );
    }
    for (let i = 1; i <= 5000; i += 1) big.setBranch('acme/web', `topic/${i}`, heads[i % 50] ?? '');
    const bigBranches = `${repoPath()}/refs/branches`;

    it('answers a search in one fast call', async () => {
      const started = performance.now();
      const { status, body } = await get(
        big,
        route`/2.0/repositories/${WS_UUID}/${REPO_UUID}/refs/branches?pagelen=${100}&q=${'name ~ "42"'}&sort=${'-target.date'}`.value,
      );
      const elapsed = performance.now() - started;
      expect(status).toBe(200);
      // 199 of 1..5000 contain "42": one page of 100, newest targets first.
      expect(body.size).toBe(199);
      expect(body.values).toHaveLength(100);
      const names: string[] = body.values.map((b: { name: string }) => b.name);
      expect(names.every((n) => n.includes('42'))).toBe(true);
      const dates: number[] = body.values.map((b: { target: { date: string } }) => Date.parse(b.target.date));
      expect(dates).toEqual([...dates].sort((a, b) => b - a));
      // The newest commit (49) carries topic/49, 99, ..., 4999; of those only 4249 and 4299 contain "42", and the name breaks the tie.
      expect(names[0]).toBe('topic/4249');
      expect(elapsed).toBeLessThan(500);
      expect(body.next).toBe(
        `https://api.bitbucket.org/2.0/repositories/${WS_UUID}/${REPO_UUID}/refs/branches?pagelen=100&q=name+%7E+%2242%22&sort=-target.date&page=2`,
      );
    });

    it('pages with next links, sorts names naturally and caps pagelen at 100', async () => {
      const first = await get(big, `${bigBranches}?sort=name&pagelen=1000`);
      expect(first.body).toMatchObject({ page: 1, pagelen: 100, size: 5004 });
      expect(first.body.values.slice(0, 4).map((b: { name: string }) => b.name)).toEqual([
        'develop',
        'feature/login',
        'main',
        'release/1.2',
      ]);
      expect(first.body.values.slice(4, 15).map((b: { name: string }) => b.name)).toEqual([
        'topic/1',
        'topic/2',
        'topic/3',
        'topic/4',
        'topic/5',
        'topic/6',
        'topic/7',
        'topic/8',
        'topic/9',
        'topic/10',
        'topic/11',
      ]);
      const second = await get(big, pathOf(first.body.next));
      expect(second.body.page).toBe(2);
      expect(second.body.values[0].name).toBe('topic/97');
      const last = await get(big, `${bigBranches}?sort=name&pagelen=100&page=51`);
      expect(last.body.values.map((b: { name: string }) => b.name)).toEqual(['topic/4997', 'topic/4998', 'topic/4999', 'topic/5000']);
      expect(last.body.next).toBeUndefined();
    });
  });
});

describe('commit', () => {
  const bb = createBitbucketStandIn();

  it('answers by full or unique short hash', async () => {
    for (const hash of [C8_RENAME, C8_RENAME.slice(0, 7)]) {
      const { status, body } = await get(bb, `${repoPath()}/commit/${hash}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        type: 'commit',
        hash: C8_RENAME,
        message: 'Rename session helper to useSession',
        date: '2025-03-11T13:15:00+00:00',
        author: { type: 'author', raw: 'Dana Dev <dana@acme.test>' },
        parents: [{ type: 'commit', hash: C7_LOGIN }],
        repository: { full_name: 'acme/web', uuid: REPO_UUID },
      });
      expect(body.author.user).toBeUndefined();
    }
  });

  it('answers 404 for an unknown commit', async () => {
    const { status, body } = await get(bb, `${repoPath()}/commit/${'f'.repeat(40)}`);
    expect(status).toBe(404);
    expect(body).toEqual({ type: 'error', error: { message: `Commit not found: ${'f'.repeat(40)}` } });
  });
});

describe('build statuses', () => {
  it('creates (201), replaces by key (201, same position, created_on kept) and lists in creation order', async () => {
    const time = clock('2025-04-01T10:00:00.000Z');
    const bb = createBitbucketStandIn(undefined, { now: time.now });
    const created = await call(bb, 'POST', statusPath(C9_DROP), goodStatus);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      type: 'build',
      key: 'deploy-relay-prod',
      state: 'INPROGRESS',
      name: 'Deploy to prod',
      description: 'Deploying',
      url: 'https://relay.test/deploys/1',
      refname: 'main',
      created_on: '2025-04-01T10:00:00.000Z',
      updated_on: '2025-04-01T10:00:00.000Z',
      links: {
        self: { href: `https://api.bitbucket.org/2.0/repositories/acme/web/commit/${C9_DROP}/statuses/build/deploy-relay-prod` },
        commit: { href: `https://api.bitbucket.org/2.0/repositories/acme/web/commit/${C9_DROP}` },
      },
    });
    time.advance(1000);
    await call(bb, 'POST', statusPath(C9_DROP), { ...goodStatus, key: 'deploy-relay-staging' });
    time.advance(1000);
    const replaced = await call(bb, 'POST', statusPath(C9_DROP), { ...goodStatus, state: 'SUCCESSFUL', description: 'Live' });
    expect(replaced.status).toBe(201);

    const listed = await get(bb, `${repoPath()}/commit/${C9_DROP}/statuses`);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ page: 1, pagelen: 10, size: 2 });
    expect(listed.body.values.map((s: { key: string; state: string }) => [s.key, s.state])).toEqual([
      ['deploy-relay-prod', 'SUCCESSFUL'],
      ['deploy-relay-staging', 'INPROGRESS'],
    ]);
    expect(listed.body.values[0]).toMatchObject({
      description: 'Live',
      created_on: '2025-04-01T10:00:00.000Z',
      updated_on: '2025-04-01T10:00:02.000Z',
    });
    expect(bb.statuses('acme/web', C9_DROP)).toEqual(listed.body.values);
    expect(bb.statuses(REPO_UUID, C9_DROP.slice(0, 8))).toEqual(listed.body.values);
    expect(bb.statuses('acme/web', C8_RENAME)).toEqual([]);
  });

  it('updates with PUT on the key (200) and reads one status back', async () => {
    const bb = createBitbucketStandIn();
    await call(bb, 'POST', statusPath(C5_RETRY), goodStatus);
    const keyPath = `${statusPath(C5_RETRY)}/deploy-relay-prod`;
    const updated = await call(bb, 'PUT', keyPath, { state: 'FAILED', key: 'ignored-the-key-cannot-change' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      key: 'deploy-relay-prod',
      state: 'FAILED',
      url: 'https://relay.test/deploys/1',
      name: 'Deploy to prod',
    });
    expect((await get(bb, keyPath)).body.state).toBe('FAILED');
    expect((await call(bb, 'PUT', `${statusPath(C5_RETRY)}/other`, { state: 'FAILED' })).status).toBe(404);
  });

  it('filters the list by refname as the spec describes', async () => {
    const bb = createBitbucketStandIn();
    await call(bb, 'POST', statusPath(C6_RELEASE), { ...goodStatus, key: 'a', refname: 'main' });
    await call(bb, 'POST', statusPath(C6_RELEASE), { ...goodStatus, key: 'b', refname: 'release/1.2' });
    const { refname: _omit, ...noRef } = goodStatus;
    await call(bb, 'POST', statusPath(C6_RELEASE), { ...noRef, key: 'c' });
    const { body } = await get(bb, `${repoPath()}/commit/${C6_RELEASE}/statuses?refname=main`);
    expect(body.values.map((s: { key: string }) => s.key)).toEqual(['a', 'c']);
  });

  it.each([
    ['a missing key', { key: undefined }, 'key: This field is required.'],
    ['a key over 40 characters', { key: 'k'.repeat(41) }, 'key: Ensure this value has at most 40 characters (it has 41).'],
    ['a missing state', { state: undefined }, 'state: This field is required.'],
    ['an unknown state', { state: 'DONE' }, 'state: Select a valid choice. DONE is not one of the available choices.'],
    ['a missing url', { url: undefined }, 'url: This field is required.'],
    ['a relative url', { url: '/deploys/1' }, 'url: Enter a valid URL.'],
    ['a non-string name', { name: 42 }, 'name: Enter a valid value.'],
    ['two bad fields', { key: '', url: 'nope' }, 'key: This field is required. url: Enter a valid URL.'],
  ])('refuses %s with 400 naming the field, and stores nothing', async (_, override, message) => {
    const bb = createBitbucketStandIn();
    const { status, body } = await call(bb, 'POST', statusPath(C9_DROP), { ...goodStatus, ...override });
    expect(status).toBe(400);
    expect(body).toEqual({ type: 'error', error: { message } });
    expect(bb.statuses('acme/web', C9_DROP)).toEqual([]);
  });

  it('accepts a URL template and a body without type; refuses non-JSON (400) and an unknown commit (404)', async () => {
    const bb = createBitbucketStandIn();
    const { type: _omit, ...untyped } = goodStatus;
    expect((await call(bb, 'POST', statusPath(C9_DROP), { ...untyped, url: 'https://relay.test/{repository.full_name}/1' })).status).toBe(
      201,
    );
    const notJson = await bb.handle('POST', statusPath(C9_DROP), '{key:', APP);
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ type: 'error', error: { message: 'Bad request', detail: 'The body is not valid JSON.' } });
    expect((await call(bb, 'POST', statusPath('0'.repeat(40)), goodStatus)).status).toBe(404);
  });
});

describe('diffstat', () => {
  const bb = createBitbucketStandIn();
  const diffstat = (spec: string, query = ''): string => `${repoPath()}/diffstat/${spec}${query}`;
  type Entry = { status: string; lines_added: number; lines_removed: number; old: { path: string } | null; new: { path: string } | null };
  const summary = (values: Entry[]): Array<[string, string | null, string | null, number, number]> =>
    values.map((v) => [v.status, v.old?.path ?? null, v.new?.path ?? null, v.lines_added, v.lines_removed]);

  it('folds the commits reachable from the first commit and not from the second', async () => {
    // feature/login (c9) against main (c3): five commits, API client, login, rename, legacy styles dropped.
    const { status, body } = await get(bb, diffstat(`${C9_DROP}..${C3_DOCS}`, '?topic=false'));
    expect(status).toBe(200);
    expect(body).toMatchObject({ page: 1, pagelen: 500, size: 7 });
    expect(summary(body.values)).toEqual([
      ['modified', 'package.json', 'package.json', 2, 0],
      ['added', null, 'src/api/client.ts', 90, 4],
      ['modified', 'src/app.ts', 'src/app.ts', 9, 5],
      ['added', null, 'src/auth/useSession.ts', 30, 3],
      ['added', null, 'src/pages/Login.tsx', 66, 2],
      ['removed', 'src/styles/legacy.css', null, 0, 120],
      ['added', null, 'test/api/client.test.ts', 44, 0],
    ]);
    expect(body.values[2]).toMatchObject({
      type: 'diffstat',
      old: { type: 'commit_file', path: 'src/app.ts' },
      new: {
        type: 'commit_file',
        path: 'src/app.ts',
        links: { self: { href: `https://api.bitbucket.org/2.0/repositories/acme/web/src/${C9_DROP}/src/app.ts` } },
      },
    });
  });

  it('pages with pagelen and next links', async () => {
    const first = await get(bb, diffstat(`${C9_DROP}..${C3_DOCS}`, '?pagelen=3'));
    expect(first.body).toMatchObject({ page: 1, pagelen: 3, size: 7 });
    expect(first.body.values.map((v: Entry) => v.new?.path ?? v.old?.path)).toEqual(['package.json', 'src/api/client.ts', 'src/app.ts']);
    const second = await get(bb, pathOf(first.body.next));
    expect(second.body.values.map((v: Entry) => v.new?.path ?? v.old?.path)).toEqual([
      'src/auth/useSession.ts',
      'src/pages/Login.tsx',
      'src/styles/legacy.css',
    ]);
    const third = await get(bb, pathOf(second.body.next));
    expect(third.body.values.map((v: Entry) => v.new?.path ?? v.old?.path)).toEqual(['test/api/client.test.ts']);
    expect(third.body.next).toBeUndefined();
  });

  it('compares a single commit with its parent, rename included', async () => {
    const { body } = await get(bb, diffstat(C8_RENAME));
    expect(summary(body.values)).toEqual([
      ['renamed', 'src/auth/session.ts', 'src/auth/useSession.ts', 3, 3],
      ['modified', 'src/pages/Login.tsx', 'src/pages/Login.tsx', 2, 2],
    ]);
  });

  it('infers added or modified for bare paths from the history', async () => {
    const local = createBitbucketStandIn();
    const hash = local.addCommit('acme/web', { parents: [C3_DOCS], message: 'Touch', files: ['README.md', 'docs/new.md'] });
    const { body } = await get(local, diffstat(hash));
    expect(summary(body.values)).toEqual([
      ['modified', 'README.md', 'README.md', 1, 1],
      ['added', null, 'docs/new.md', 1, 0],
    ]);
  });

  it('answers 404 for an unknown commit and 400 for a malformed spec', async () => {
    const unknown = await get(bb, diffstat(`${C9_DROP}..${'e'.repeat(40)}`));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(`Commit not found: ${'e'.repeat(40)}`);
    expect((await get(bb, diffstat(`${C9_DROP}..`))).status).toBe(400);
  });
});

describe('recordPush', () => {
  const NEW_WS = '{11111111-2222-4333-8444-555555555555}';
  const NEW_REPO = '{66666666-7777-4888-8999-aaaaaaaaaaaa}';
  const H1 = '1'.repeat(40);
  const H2 = '2'.repeat(40);
  const branchPush = (push: Record<string, unknown>) => ({
    eventType: 'avi:bitbucket:push:repository',
    actor: { type: 'user', accountId: ADMIN },
    repository: { uuid: NEW_REPO },
    workspace: { uuid: NEW_WS },
    push: { ref: 'main', mainbranch: true, forced: false, truncated: false, ...push },
  });

  it('creates an unknown repository, its commits and branch, then takes a status on the pushed commit', async () => {
    const bb = createBitbucketStandIn();
    bb.recordPush(
      branchPush({
        created: true,
        closed: false,
        after: H2,
        commits: [
          {
            hash: H2,
            message: { value: 'Second', truncated: false },
            date: '2025-05-02T00:00:00+00:00',
            author: { user: { accountId: ADMIN } },
          },
          {
            hash: H1,
            message: { value: 'First', truncated: false },
            date: '2025-05-01T00:00:00+00:00',
            author: { user: { accountId: ADMIN } },
          },
        ],
      }),
    );
    const repo = await get(bb, repoPath(NEW_WS, NEW_REPO));
    expect(repo.status).toBe(200);
    expect(repo.body).toMatchObject({ uuid: NEW_REPO, mainbranch: { name: 'main' }, workspace: { uuid: NEW_WS } });
    const main = await get(bb, `${repoPath(NEW_WS, NEW_REPO)}/refs/branches/main`);
    expect(main.body.target).toMatchObject({
      hash: H2,
      message: 'Second',
      parents: [{ hash: H1 }],
      author: { user: { account_id: ADMIN, display_name: 'Ada Admin' } },
    });

    const posted = await call(bb, 'POST', route`/2.0/repositories/${NEW_WS}/${NEW_REPO}/commit/${H2}/statuses/build`.value, goodStatus);
    expect(posted.status).toBe(201);
    expect(bb.statuses(NEW_REPO, H2).map((s) => [s.key, s.state])).toEqual([['deploy-relay-prod', 'INPROGRESS']]);
  });

  it('moves a branch, deletes it when closed, and keeps tags apart', async () => {
    const bb = createBitbucketStandIn();
    const h3 = '3'.repeat(40);
    bb.recordPush({
      repository: { uuid: REPO_UUID },
      workspace: { uuid: WS_UUID },
      push: {
        ref: 'develop',
        mainbranch: false,
        before: C5_RETRY,
        after: h3,
        created: false,
        closed: false,
        commits: [{ hash: h3, message: { value: 'Tweak' } }],
      },
    });
    expect(bb.branchHead('acme/web', 'develop')).toBe(h3);
    expect((await get(bb, `${repoPath()}/commit/${h3}`)).body.parents).toMatchObject([{ hash: C5_RETRY }]);

    bb.recordPush({
      repository: { uuid: REPO_UUID },
      workspace: { uuid: WS_UUID },
      push: { ref: 'v2.0.0', after: h3, created: true, closed: false },
    });
    expect(bb.tagHead('acme/web', 'v2.0.0')).toBe(h3);
    expect(bb.branchHead('acme/web', 'v2.0.0')).toBeUndefined();

    bb.recordPush({
      repository: { uuid: REPO_UUID },
      workspace: { uuid: WS_UUID },
      push: { ref: 'develop', mainbranch: false, before: h3, created: false, closed: true, commits: [] },
    });
    expect(bb.branchHead('acme/web', 'develop')).toBeUndefined();
    expect((await get(bb, `${repoPath()}/refs/branches/develop`)).status).toBe(404);
  });

  it('throws on an event that is not a push', () => {
    const bb = createBitbucketStandIn();
    expect(() => bb.recordPush({ repository: { uuid: REPO_UUID } })).toThrow();
  });
});

describe('user permissions', () => {
  const permissionsPath = route`/2.0/user/permissions/repositories?q=${`repository.uuid="${REPO_UUID}"`}`.value;

  it('answers per user, in the repository_permission shape', async () => {
    const bb = createBitbucketStandIn();
    const admin = await get(bb, permissionsPath, asUser(ADMIN));
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ page: 1, pagelen: 10, size: 1 });
    expect(admin.body.values).toEqual([
      {
        type: 'repository_permission',
        permission: 'admin',
        user: expect.objectContaining({
          type: 'user',
          account_id: ADMIN,
          display_name: 'Ada Admin',
          uuid: '{a7e1c0d2-5b3f-4c8e-9d61-0f2b4a6c8e10}',
        }),
        repository: expect.objectContaining({ type: 'repository', uuid: REPO_UUID, full_name: 'acme/web', name: 'web' }),
      },
    ]);
    expect((await get(bb, permissionsPath, asUser(READER))).body.values[0].permission).toBe('read');
    expect((await get(bb, permissionsPath, asUser('557058:stranger-9'))).body).toMatchObject({ size: 0, values: [] });
  });

  it('follows setPermission, ignores app calls and filters by the query', async () => {
    const bb = createBitbucketStandIn();
    bb.setPermission('acme/web', '557058:stranger-9', 'write');
    expect((await get(bb, permissionsPath, asUser('557058:stranger-9'))).body.values[0]).toMatchObject({
      permission: 'write',
      user: { account_id: '557058:stranger-9' },
    });
    bb.setPermission('acme/web', ADMIN, 'none');
    expect((await get(bb, permissionsPath, asUser(ADMIN))).body.values).toEqual([]);
    expect((await get(bb, permissionsPath, APP)).body.values).toEqual([]);
    const otherRepo = route`/2.0/user/permissions/repositories?q=${'repository.uuid="{00000000-0000-4000-8000-000000000000}"'}`.value;
    expect((await get(bb, otherRepo, asUser(READER))).body.values).toEqual([]);
    expect((await get(bb, permissionsPath, { asUser: true })).status).toBe(401);
  });
});

describe('faults and the call log', () => {
  it('answers 429 with Retry-After for chosen requests, then lets them through', async () => {
    const bb = createBitbucketStandIn();
    const fault = bb.faults.inject({ method: 'POST', path: '/statuses/build', status: 429, retryAfterSeconds: 30, times: 1 });
    const limited = await call(bb, 'POST', statusPath(C9_DROP), goodStatus);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.body).toEqual({ type: 'error', error: { message: 'Rate limit for this resource has been exceeded' } });
    expect(bb.statuses('acme/web', C9_DROP)).toEqual([]);
    expect((await call(bb, 'POST', statusPath(C9_DROP), goodStatus)).status).toBe(201);
    expect(fault.hits).toBe(1);
    expect(bb.calls.map((c) => [c.method, c.status, c.faulted])).toEqual([
      ['POST', 429, true],
      ['POST', 201, false],
    ]);
  });

  it('fails after letting some through, matches decoded paths and regexps, and can be removed', async () => {
    const bb = createBitbucketStandIn();
    const fault = bb.faults.inject({ path: /refs\/branches\/release\/1\.2$/, status: 500, skip: 1 });
    const branch = `${repoPath()}/refs/branches/release%2F1.2`;
    expect((await get(bb, branch)).status).toBe(200);
    const failed = await get(bb, branch);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ type: 'error', error: { message: 'Injected fault (HTTP 500)' } });
    expect((await get(bb, repoPath())).status).toBe(200);
    fault.remove();
    expect((await get(bb, branch)).status).toBe(200);
    bb.faults.inject({ status: 503, body: { custom: true }, headers: { 'x-trace': 't1' } });
    const custom = await get(bb, repoPath());
    expect([custom.status, custom.body, custom.headers.get('x-trace')]).toEqual([503, { custom: true }, 't1']);
    bb.faults.clear();
    expect((await get(bb, repoPath())).status).toBe(200);
  });

  it('logs method, path as sent, caller and status', async () => {
    const bb = createBitbucketStandIn();
    const path = `${repoPath()}/refs/branches?pagelen=5`;
    await bb.handle('get', path, undefined, asUser(READER));
    await bb.handle('GET', '/2.0/repositories/acme/nope', undefined, APP);
    expect(bb.calls).toEqual([
      { method: 'GET', path, asUser: true, accountId: READER, status: 200, faulted: false },
      { method: 'GET', path: '/2.0/repositories/acme/nope', asUser: false, status: 404, faulted: false },
    ]);
    bb.clearCalls();
    expect(bb.calls).toEqual([]);
  });
});
