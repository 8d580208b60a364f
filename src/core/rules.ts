import picomatch from 'picomatch';
import { memoized } from './memo';
import type { RefType } from './push-event';
import type { Target, TargetRules } from './targets';

/** Markers in a head commit's message that stop a deploy, the ones CI systems already honour. */
export const SKIP_MARKERS = ['[skip deploy]', '[deploy skip]', '[skip ci]', '[ci skip]', '[no ci]'] as const;

export function findSkipMarker(message: string): string | null {
  const lower = message.toLowerCase();
  return SKIP_MARKERS.find((marker) => lower.includes(marker)) ?? null;
}

// Branch names contain '/', so `release/*` matches `release/1.2` but not `release/1.2/hotfix`; `**` crosses.
const globOptions = { dot: true } as const;

/** Compiling globs costs more than matching with them, and every push asks each target's rules. */
const globMatcher = memoized(
  256,
  (patterns: readonly string[]) => JSON.stringify(patterns),
  (patterns) => picomatch([...patterns], globOptions),
);

// git refuses these in branch names (git-check-ref-format); a route would refuse some as path manipulation.
const NOT_A_BRANCH = /(^[/.])|\.\.|[\\?#*~^:\s[]|\/$|@\{|\.lock$/;
export const isBranchName = (name: string): boolean => name.length > 0 && !NOT_A_BRANCH.test(name);

export function refMatches(rules: TargetRules, ref: { name: string; type: RefType }): boolean {
  const patterns = ref.type === 'branch' ? rules.branches : rules.tags;
  return patterns.length > 0 && globMatcher(patterns)(ref.name);
}

export interface PathDecision {
  deploy: boolean;
  /** The first changed file that decided it, or why nothing matched. */
  reason: string;
}

/** Decides path filters from the changed files: an include list (empty = everything) minus excludes. */
export function pathsMatch(paths: TargetRules['paths'], changedFiles: readonly string[]): PathDecision {
  if (paths.include.length === 0 && paths.exclude.length === 0) return { deploy: true, reason: 'no path filters' };
  const included = paths.include.length > 0 ? globMatcher(paths.include) : () => true;
  const excluded = paths.exclude.length > 0 ? globMatcher(paths.exclude) : () => false;
  const hit = changedFiles.find((file) => included(file) && !excluded(file));
  if (hit) return { deploy: true, reason: `${hit} changed` };
  return {
    deploy: false,
    reason: `none of the ${changedFiles.length} changed files match the path filters`,
  };
}

export const hasPathFilters = (target: Target): boolean => target.rules.paths.include.length > 0 || target.rules.paths.exclude.length > 0;
