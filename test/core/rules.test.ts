import { findSkipMarker, pathsMatch, refMatches } from '../../src/core/rules';

const rules = (branches: string[], tags: string[] = []) => ({ branches, tags, paths: { include: [], exclude: [] } });

describe('refMatches', () => {
  it('never takes one list of patterns for another, whatever characters they hold (their compiled matchers are kept)', () => {
    const branch = { name: 'main', type: 'branch' } as const;
    expect(refMatches(rules(['main', 'dev']), branch)).toBe(true);
    expect(refMatches(rules(['main\u0000dev']), branch)).toBe(false);
    expect(refMatches(rules(['main\ndev']), branch)).toBe(false);
    expect(refMatches(rules(['main', 'dev']), branch)).toBe(true);
  });

  it('matches branch globs segment by segment', () => {
    expect(refMatches(rules(['release/*']), { name: 'release/1.2', type: 'branch' })).toBe(true);
    expect(refMatches(rules(['release/*']), { name: 'release/1.2/hotfix', type: 'branch' })).toBe(false);
    expect(refMatches(rules(['release/**']), { name: 'release/1.2/hotfix', type: 'branch' })).toBe(true);
  });

  it('keeps branch and tag patterns apart', () => {
    expect(refMatches(rules(['v*']), { name: 'v1.0.0', type: 'tag' })).toBe(false);
    expect(refMatches(rules([], ['v*']), { name: 'v1.0.0', type: 'tag' })).toBe(true);
    expect(refMatches(rules([], ['v*']), { name: 'v1', type: 'branch' })).toBe(false);
  });

  it('deploys nothing when a target has no patterns for the ref type', () => {
    expect(refMatches(rules([]), { name: 'main', type: 'branch' })).toBe(false);
  });
});

describe('findSkipMarker', () => {
  it.each(['[skip deploy]', '[deploy skip]', '[skip ci]', '[ci skip]', '[no ci]', '[SKIP CI]', '[Deploy Skip]'])(
    'finds %s anywhere in the message',
    (marker) => {
      expect(findSkipMarker(`Fix typo ${marker}\n\nbody`)).toBe(marker.toLowerCase());
    },
  );

  it('finds nothing in an ordinary message', () => {
    expect(findSkipMarker('Skip the CI cache when building')).toBeNull();
  });
});

describe('pathsMatch', () => {
  const paths = (include: string[], exclude: string[] = []) => ({ include, exclude });

  it('deploys everything when there are no filters', () => {
    expect(pathsMatch(paths([]), [])).toEqual({ deploy: true, reason: 'no path filters' });
  });

  it('deploys when an included file changed and is not excluded', () => {
    expect(pathsMatch(paths(['src/**'], ['**/*.md']), ['src/README.md', 'src/app.ts'])).toEqual({
      deploy: true,
      reason: 'src/app.ts changed',
    });
  });

  it('says why nothing deploys', () => {
    expect(pathsMatch(paths(['src/**']), ['docs/a.md', 'README.md'])).toEqual({
      deploy: false,
      reason: 'none of the 2 changed files match the path filters',
    });
  });
});
