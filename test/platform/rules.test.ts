// The platform must load before any module that imports @forge/api: app.ts imports it first.
import { hookTarget, startApp, type TestApp } from './app';
import { DEFAULT_OPTIONS, type Target } from '../../src/core/targets';
import { commitOf, FIXTURE_REPOSITORY_UUID, makePushEvent } from '../fixtures/events';

/**
 * The rules that need Bitbucket or other pushes: path filters (decided from one diffstat call per push)
 * and coalescing (the newest queued push wins), end to end on the local platform with the real SDK.
 */

let app: TestApp;
afterEach(async () => app?.close());

const BASE = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';

/** The repository as Bitbucket knows it before the pushes under test: main at BASE. */
async function appWith(targets: (app: TestApp) => Target[]): Promise<TestApp> {
  app = await startApp();
  app.platform.bitbucket.recordPush(makePushEvent());
  await app.configure(targets(app));
  return app;
}

/** Commits on top of `parent`, one changed file each; returns their hashes, oldest first. */
function commitFiles(parent: string, files: string[]): string[] {
  const hashes: string[] = [];
  for (const [i, file] of files.entries()) {
    hashes.push(
      app.platform.bitbucket.addCommit(FIXTURE_REPOSITORY_UUID, {
        parents: [hashes[i - 1] ?? parent],
        message: `Change ${file}`,
        files: [file],
      }),
    );
  }
  return hashes;
}

const diffstatCalls = () => app.platform.bitbucket.calls.filter((c) => c.path.includes('/diffstat/'));
const stateOf = async () => Object.fromEntries((await app.history()).map((d) => [d.target.id, d.state]));
const paths = (include: string[], exclude: string[] = []) => ({ branches: ['main', 'feature/*'], tags: [], paths: { include, exclude } });

describe('path filters', () => {
  const filtered = (a: TestApp): Target[] => [
    hookTarget(a.receiver, { id: 'app', rules: paths(['src/**']) }),
    hookTarget(a.receiver, { id: 'docs', rules: paths(['docs/**'], ['docs/drafts/**']) }),
    hookTarget(a.receiver, { id: 'styles', rules: paths(['**/*.css']) }),
    hookTarget(a.receiver, { id: 'everything' }),
  ];

  it('a push of 20 commits decides every filtered target with exactly one diffstat call', async () => {
    await appWith(filtered);
    const files = Array.from({ length: 20 }, (_, i) => (i === 6 ? 'src/app.ts' : `docs/page-${i}.md`));
    const hashes = commitFiles(BASE, files);
    const head = hashes[19] as string;
    await app.platform.emit(
      makePushEvent({
        push: {
          before: BASE,
          after: head,
          truncated: true,
          commits: hashes
            .slice(-5)
            .reverse()
            .map((hash) => commitOf(hash, 'Change')),
        },
      }),
    );
    await app.platform.drain();
    expect(diffstatCalls()).toHaveLength(1);
    expect(diffstatCalls()[0]?.path).toContain(`/diffstat/${head}..${BASE}`);
    expect(await stateOf()).toEqual({ app: 'requested', docs: 'requested', styles: 'skipped', everything: 'requested' });
    const styles = (await app.history()).find((d) => d.target.id === 'styles');
    expect(styles?.message).toBe('Skipped: none of the 20 changed files match the path filters');
    // A skipped target leaves the commit alone; the three deploys report on it.
    expect(
      app
        .statusesOf(head)
        .map((s) => s.key)
        .sort(),
    ).toEqual(['deploy-relay-app', 'deploy-relay-docs', 'deploy-relay-everything']);
  });

  it('an exclude pattern removes matches, and a push whose changes all match nothing deploys nothing there', async () => {
    await appWith(filtered);
    const [head] = commitFiles(BASE, ['docs/drafts/idea.md']);
    await app.platform.emit(makePushEvent({ push: { before: BASE, after: head, commits: [commitOf(head as string, 'Draft')] } }));
    await app.platform.drain();
    expect(await stateOf()).toEqual({ app: 'skipped', docs: 'skipped', styles: 'skipped', everything: 'requested' });
    expect(app.receiver.deliveries).toHaveLength(1);
  });

  it('a new branch is compared with the main branch', async () => {
    await appWith(filtered);
    const [one, two] = commitFiles(BASE, ['src/feature.ts', 'web/theme.css']);
    await app.platform.emit(
      makePushEvent({
        push: {
          ref: 'feature/theme',
          before: null,
          after: two,
          created: true,
          commits: [commitOf(two as string, 'Theme'), commitOf(one as string, 'Feature')],
        },
      }),
    );
    await app.platform.drain();
    expect(diffstatCalls().map((c) => c.path.split('?')[0])).toEqual([expect.stringMatching(new RegExp(`/diffstat/${two}\\.\\.main$`))]);
    // `everything` deploys main only.
    expect(await stateOf()).toEqual({ app: 'requested', docs: 'skipped', styles: 'requested' });
  });

  it('a diffstat that keeps failing is retried, then the push deploys unfiltered rather than not at all', async () => {
    await appWith(filtered);
    const [head] = commitFiles(BASE, ['docs/drafts/idea.md']);
    app.platform.bitbucket.faults.inject({ path: '/diffstat/', status: 503 });
    await app.platform.emit(makePushEvent({ push: { before: BASE, after: head, commits: [commitOf(head as string, 'Draft')] } }));
    await app.platform.drain();
    expect(diffstatCalls().length).toBe(5);
    expect(await stateOf()).toEqual({ app: 'requested', docs: 'requested', styles: 'requested', everything: 'requested' });
  });
});

describe('coalescing', () => {
  /** Pushes to main, one after another in time, each moving main one commit on; nothing runs yet. */
  async function burst(count: number): Promise<string[]> {
    const hashes = commitFiles(
      BASE,
      Array.from({ length: count }, (_, i) => `src/file-${i}.ts`),
    );
    for (const [i, hash] of hashes.entries()) {
      await app.platform.emit(
        makePushEvent({
          timestamp: `2026-11-20T10:16:0${i}.000Z`,
          push: { before: hashes[i - 1] ?? BASE, after: hash, commits: [commitOf(hash, `Push ${i}`)] },
        }),
      );
    }
    return hashes;
  }

  it('pushes that queue up for a target deploy only the newest commit; the older are superseded and STOPPED', async () => {
    await appWith((a) => [hookTarget(a.receiver)]);
    const hashes = await burst(3);
    await app.platform.drain();
    expect(app.receiver.deliveries.map((d) => (JSON.parse(d.body) as { commit: { hash: string } }).commit.hash)).toEqual([hashes[2]]);
    const records = await app.history();
    expect(records.map((d) => [d.commit.hash, d.state])).toEqual(
      expect.arrayContaining([
        [hashes[0], 'superseded'],
        [hashes[1], 'superseded'],
        [hashes[2], 'requested'],
      ]),
    );
    expect(records.find((d) => d.commit.hash === hashes[0])?.message).toBe(
      `Superseded: a newer push (${hashes[2]?.slice(0, 7)}) is queued for this target`,
    );
    expect(app.statusesOf(hashes[0] as string)[0]?.state).toBe('STOPPED');
    expect(app.statusesOf(hashes[2] as string)[0]?.state).toBe('SUCCESSFUL');
  });

  it('with coalescing off, every push deploys its own commit', async () => {
    await appWith((a) => [hookTarget(a.receiver, { options: { ...DEFAULT_OPTIONS, coalesce: false } })]);
    const hashes = await burst(3);
    await app.platform.drain();
    expect(app.receiver.deliveries).toHaveLength(3);
    expect((await app.history()).map((d) => [d.commit.hash, d.state])).toEqual(
      expect.arrayContaining(hashes.map((hash) => [hash, 'requested'])),
    );
  });

  it('a newer push whose changes miss the path filters does not supersede an older one that matched', async () => {
    await appWith((a) => [hookTarget(a.receiver, { id: 'app', rules: paths(['src/**']) })]);
    const [code, docs] = commitFiles(BASE, ['src/app.ts', 'docs/readme.md']);
    await app.platform.emit(
      makePushEvent({
        timestamp: '2026-11-20T10:16:00.000Z',
        push: { before: BASE, after: code, commits: [commitOf(code as string, 'Code')] },
      }),
    );
    await app.platform.emit(
      makePushEvent({
        timestamp: '2026-11-20T10:16:01.000Z',
        push: { before: code, after: docs, commits: [commitOf(docs as string, 'Docs')] },
      }),
    );
    await app.platform.drain();
    expect((await app.history()).map((d) => [d.commit.hash, d.state])).toEqual(
      expect.arrayContaining([
        [code, 'requested'],
        [docs, 'skipped'],
      ]),
    );
  });

  it('a redelivered older push after a newer one has deployed sends nothing', async () => {
    await appWith((a) => [hookTarget(a.receiver)]);
    const [first, second] = commitFiles(BASE, ['src/a.ts', 'src/b.ts']);
    const older = makePushEvent({
      timestamp: '2026-11-20T10:16:00.000Z',
      push: { before: BASE, after: first, commits: [commitOf(first as string, 'A')] },
    });
    await app.platform.emit(older);
    await app.platform.drain();
    await app.platform.emit(
      makePushEvent({
        timestamp: '2026-11-20T10:16:01.000Z',
        push: { before: first, after: second, commits: [commitOf(second as string, 'B')] },
      }),
    );
    await app.platform.drain();
    await app.platform.emit(older);
    await app.platform.drain();
    expect(app.receiver.deliveries).toHaveLength(2);
  });

  it('the trigger failing between its read and its queue push leaves no mark, asks Forge to deliver the push again, and both pushes deploy', async () => {
    await appWith((a) => [hookTarget(a.receiver)]);
    const [first, second] = commitFiles(BASE, ['src/a.ts', 'src/b.ts']);
    await app.platform.emit(
      makePushEvent({
        timestamp: '2026-11-20T10:16:00.000Z',
        push: { before: BASE, after: first, commits: [commitOf(first as string, 'A')] },
      }),
    );
    app.platform.resetCalls();
    app.platform.failQueuePushes(1, 503);
    const [failed] = await app.platform.emit(
      makePushEvent({
        timestamp: '2026-11-20T10:16:01.000Z',
        push: { before: first, after: second, commits: [commitOf(second as string, 'B')] },
      }),
    );
    // The marks come after the queue push: none was written for a push that was not queued.
    expect(failed?.value).toMatchObject({ _retry: true });
    expect(app.platform.calls.map((c) => `${c.seam}:${c.op}`)).toEqual(['kvs:get', 'queue:publish']);
    await app.platform.drain();
    expect((await app.history()).map((d) => [d.commit.hash, d.state])).toEqual([
      [second, 'requested'],
      [first, 'requested'],
    ]);
  });
});
