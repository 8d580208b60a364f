import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { type Build, judgeBuilds, mergeBuilds, readBuildStatusEvent } from '../../src/core/builds';

const build = (key: string, state: string, updatedOn = '2026-12-04T10:00:00Z', name: string | null = null): Build => ({
  key,
  name,
  state,
  url: `https://ci.example.com/${key}`,
  updatedOn,
});

describe('judging a commit’s builds', () => {
  it('with no keys named, waits for at least one build and for every build reported', () => {
    expect(judgeBuilds([], [])).toEqual({ kind: 'waiting', message: 'Waiting for builds: none reported on this commit yet' });
    expect(judgeBuilds([build('a', 'SUCCESSFUL'), build('b', 'INPROGRESS')], [])).toEqual({
      kind: 'waiting',
      message: 'Waiting for builds: 1 of 2 passed',
    });
    expect(judgeBuilds([build('a', 'SUCCESSFUL'), build('b', 'SUCCESSFUL')], [])).toEqual({
      kind: 'passed',
      message: 'Builds passed: 2 of 2',
    });
  });

  it('blocks on a failed or stopped build, naming it and linking it', () => {
    expect(judgeBuilds([build('a', 'SUCCESSFUL'), build('b', 'FAILED', undefined, 'Pipeline #4')], [])).toEqual({
      kind: 'blocked',
      message: 'Blocked: build Pipeline #4 failed',
      url: 'https://ci.example.com/b',
    });
    expect(judgeBuilds([build('b', 'STOPPED')], [])).toMatchObject({ kind: 'blocked', message: 'Blocked: build b was stopped' });
  });

  it('with keys named, counts only those (globs), and waits for one not reported yet', () => {
    const builds = [build('lint', 'FAILED'), build('test-unit', 'SUCCESSFUL')];
    expect(judgeBuilds(builds, ['test-*', 'deploy-check'])).toEqual({ kind: 'waiting', message: 'Waiting for builds: 1 of 2 passed' });
    expect(judgeBuilds([...builds, build('deploy-check', 'SUCCESSFUL')], ['test-*', 'deploy-check'])).toMatchObject({ kind: 'passed' });
  });
});

describe('merging reports of builds', () => {
  it('keeps the report updated last for each build, and the name a nameless report lacks', () => {
    const known = [build('a', 'INPROGRESS', '2026-12-04T10:00:00Z', 'Pipeline #1')];
    expect(mergeBuilds(known, [build('a', 'SUCCESSFUL', '2026-12-04T10:05:00Z')])).toEqual([
      build('a', 'SUCCESSFUL', '2026-12-04T10:05:00Z', 'Pipeline #1'),
    ]);
    expect(mergeBuilds(known, [build('a', 'FAILED', '2026-12-04T09:59:00Z')])).toEqual(known);
    expect(mergeBuilds([], [build('deploy-relay-prod', 'INPROGRESS')])).toEqual([]);
  });

  it('ends with each build’s latest report whatever order the reports come in, and however often', () => {
    // One report per build and minute: two different reports of one build at one instant have no order.
    const reports = fc
      .uniqueArray(fc.record({ key: fc.constantFrom('a', 'b', 'c'), minute: fc.integer({ min: 0, max: 59 }) }), {
        selector: (r) => `${r.key}:${r.minute}`,
        maxLength: 12,
      })
      .map((list) =>
        list.map((r, i) =>
          build(r.key, ['INPROGRESS', 'SUCCESSFUL', 'FAILED'][i % 3]!, `2026-12-04T10:${String(r.minute).padStart(2, '0')}:00Z`),
        ),
      );
    const delivered = reports.chain((list) =>
      fc.tuple(fc.constant(list), fc.shuffledSubarray([...list, ...list], { minLength: list.length * 2, maxLength: list.length * 2 })),
    );
    fc.assert(
      fc.property(delivered, ([list, order]) => {
        const latest = new Map<string, Build>();
        for (const report of list) if ((latest.get(report.key)?.updatedOn ?? '') < report.updatedOn) latest.set(report.key, report);
        const merged = order.reduce<Build[]>((known, report) => mergeBuilds(known, [report]), []);
        expect(new Map(merged.map((b) => [b.key, b]))).toEqual(latest);
      }),
    );
  });
});

describe('reading a build-status event', () => {
  it('reads the Forge docs’ own example event', () => {
    const example = JSON.parse(
      readFileSync(path.join(__dirname, '..', 'fixtures', 'events', 'forge-docs-build-status-updated.json'), 'utf8'),
    );
    expect(readBuildStatusEvent(example)).toEqual({
      ok: true,
      report: {
        repositoryUuid: '{15a31549-1cff-45dc-9d0d-310114c5038b}',
        commit: 'b88c4b490b648bf960eba6f59123456797960e55',
        build: { key: 'my-build1', name: null, state: 'SUCCESSFUL', url: 'https://some.url.com', updatedOn: '2025-01-31T01:03:17.105700Z' },
        refName: 'main',
        own: false,
      },
    });
  });

  it('says why an event cannot be read, and marks the app’s own statuses', () => {
    expect(readBuildStatusEvent({ repository: { uuid: 'x' } })).toMatchObject({ ok: false });
    const own = {
      repository: { uuid: '{15a31549-1cff-45dc-9d0d-310114c5038b}' },
      buildStatus: { key: 'deploy-relay-prod', commit: { hash: 'abcdef1' }, state: 'SUCCESSFUL', url: 'https://x', updatedOn: 'now' },
    };
    expect(readBuildStatusEvent(own)).toMatchObject({ ok: true, report: { own: true } });
    expect(readBuildStatusEvent({ ...own, selfGenerated: true, buildStatus: { ...own.buildStatus, key: 'ci' } })).toMatchObject({
      ok: true,
      report: { own: true },
    });
  });
});
