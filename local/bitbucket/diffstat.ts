/**
 * Diffstat from the commit graph. The stand-in keeps per-commit changes, not file contents, so a
 * range's diffstat is the net effect of the commits reachable from the first commit and not from
 * the second (what a push added), folded per path in topological order.
 */
import type { CommitRecord, FileChange, RepositoryRecord } from './state';
import type { FileStatus } from './types';

export interface NetChange {
  status: FileStatus;
  /** Path before the range (null when the file was added). */
  oldPath: string | null;
  /** Path after the range (null when the file was removed). */
  newPath: string | null;
  linesAdded: number;
  linesRemoved: number;
}

/** Every commit reachable from `hash`, itself included. */
function ancestors(repository: RepositoryRecord, hash: string | undefined): Set<string> {
  const seen = new Set<string>();
  const stack = hash === undefined ? [] : [hash];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(repository.commits.get(next)?.parents ?? []));
  }
  return seen;
}

/** Commits reachable from `head` but not from `base`, parents before children (iterative post-order DFS). */
export function commitsBetween(repository: RepositoryRecord, head: string, base: string | undefined): CommitRecord[] {
  const excluded = ancestors(repository, base);
  const ordered: CommitRecord[] = [];
  const visited = new Set<string>();
  const stack: Array<{ hash: string; expanded: boolean }> = [{ hash: head, expanded: false }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const commit = repository.commits.get(frame.hash);
    if (!commit || excluded.has(frame.hash)) continue;
    if (frame.expanded) {
      ordered.push(commit);
      continue;
    }
    if (visited.has(frame.hash)) continue;
    visited.add(frame.hash);
    stack.push({ hash: frame.hash, expanded: true });
    for (const parent of commit.parents) stack.push({ hash: parent, expanded: false });
  }
  return ordered;
}

/** Folds the commits' changes into one entry per resulting path; a file added then removed inside the range drops out, as in a real diff. */
export function netChanges(commits: readonly CommitRecord[]): NetChange[] {
  const byPath = new Map<string, NetChange>();
  for (const change of commits.flatMap((c) => c.files)) {
    const key = change.status === 'renamed' && change.oldPath !== undefined ? change.oldPath : change.path;
    const previous = byPath.get(key);
    byPath.delete(key);
    const merged = previous ? combine(previous, change) : fresh(change);
    if (merged) byPath.set(merged.newPath ?? merged.oldPath ?? change.path, merged);
  }
  // Byte order of paths, like git's diff output (locale collation would move punctuation around).
  return [...byPath.values()].sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : pathOf(a) > pathOf(b) ? 1 : 0));
}

const pathOf = (c: NetChange): string => c.newPath ?? c.oldPath ?? '';

function fresh(change: FileChange): NetChange {
  const oldPath = change.status === 'added' ? null : (change.oldPath ?? change.path);
  const newPath = change.status === 'removed' ? null : change.path;
  return { status: change.status, oldPath, newPath, linesAdded: change.linesAdded, linesRemoved: change.linesRemoved };
}

/** Existence before the range comes from the first change, existence after from the last. */
function combine(previous: NetChange, change: FileChange): NetChange | undefined {
  const newPath = change.status === 'removed' ? null : change.path;
  const linesAdded = previous.linesAdded + change.linesAdded;
  const linesRemoved = previous.linesRemoved + change.linesRemoved;
  if (previous.oldPath === null && newPath === null) return undefined;
  return { status: statusOf(previous.oldPath, newPath), oldPath: previous.oldPath, newPath, linesAdded, linesRemoved };
}

function statusOf(oldPath: string | null, newPath: string | null): FileStatus {
  if (oldPath === null) return 'added';
  if (newPath === null) return 'removed';
  return oldPath === newPath ? 'modified' : 'renamed';
}
