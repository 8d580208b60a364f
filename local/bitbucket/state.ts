/**
 * The in-memory workspace: workspaces, users, repositories with their commit graph, refs,
 * permissions and build statuses. Lookups follow Bitbucket's rules (slug or `{uuid}`), so the
 * router and the test-facing methods share one notion of "which repository".
 */
import { createHash, randomUUID } from 'node:crypto';
import { HttpError } from './http';
import type { PullRequestRecord } from './pullrequests';
import type {
  CommitInput,
  CommitStatusState,
  FileChangeInput,
  FileStatus,
  Permission,
  RepoRef,
  RepositoryInput,
  UserInput,
  WorkspaceInput,
} from './types';

export interface FileChange {
  path: string;
  status: FileStatus;
  oldPath?: string;
  linesAdded: number;
  linesRemoved: number;
}

export interface CommitRecord {
  hash: string;
  parents: string[];
  date: string;
  author: { raw: string; accountId?: string };
  message: string;
  files: FileChange[];
}

/** A commit status as a request gives it (validated). */
export interface StatusInput {
  key: string;
  state: CommitStatusState;
  url: string;
  name?: string;
  description?: string;
  refname?: string;
}

export interface StoredStatus extends StatusInput {
  createdOn: string;
  updatedOn: string;
}

export interface WorkspaceRecord {
  uuid: string;
  slug: string;
  name: string;
  /** Keyed by lower-case slug: Bitbucket slugs are case-insensitive in URLs. */
  repositories: Map<string, RepositoryRecord>;
  /** account id → the member's role (`owner` administers the workspace and every repository in it). */
  roles: Map<string, WorkspaceRole>;
}

/** `GET /user/workspaces/{workspace}/permission`'s values, as the spec lists them. */
export type WorkspaceRole = 'owner' | 'create-project' | 'collaborator' | 'member';

export interface RepositoryRecord {
  uuid: string;
  slug: string;
  name: string;
  description: string;
  isPrivate: boolean;
  mainBranch: string;
  createdOn: string;
  workspace: WorkspaceRecord;
  commits: Map<string, CommitRecord>;
  branches: Map<string, string>;
  tags: Map<string, string>;
  permissions: Map<string, Permission>;
  /** commit hash → status key → status; Map order is creation order, which is how Bitbucket lists them. */
  statuses: Map<string, Map<string, StoredStatus>>;
  /** By id, which counts up per repository as Bitbucket's do. */
  pullRequests: Map<number, PullRequestRecord>;
}

export interface UserRecord {
  accountId: string;
  uuid: string;
  displayName: string;
  nickname: string;
}

const sameId = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

export class WorkspaceState {
  readonly workspaces: WorkspaceRecord[] = [];
  readonly users = new Map<string, UserRecord>();
  private generated = 0;
  private comments = 0;

  /** Comment ids are unique across the workspace. */
  nextCommentId(): number {
    this.comments += 1;
    return this.comments;
  }

  constructor(readonly now: () => Date) {}

  addWorkspace(input: WorkspaceInput): WorkspaceRecord {
    const existing = this.workspaces.find((w) => sameId(w.uuid, input.uuid));
    if (existing) return existing;
    const workspace = { uuid: input.uuid, slug: input.slug, name: input.name ?? input.slug, repositories: new Map(), roles: new Map() };
    this.workspaces.push(workspace);
    return workspace;
  }

  addUser(input: UserInput): UserRecord {
    const user = {
      accountId: input.accountId,
      uuid: input.uuid ?? `{${randomUUID()}}`,
      displayName: input.displayName,
      nickname: input.nickname ?? input.displayName,
    };
    this.users.set(user.accountId, user);
    return user;
  }

  /** A user by account id; one first seen in a permission or an event is registered under its id. */
  user(accountId: string): UserRecord {
    return this.users.get(accountId) ?? this.addUser({ accountId, displayName: accountId });
  }

  addRepository(input: RepositoryInput): RepositoryRecord {
    const workspace = input.workspace === undefined ? this.workspaces[0] : this.findWorkspace(input.workspace);
    if (!workspace) throw new Error(`No workspace ${input.workspace ?? '(none exists yet)'} for repository ${input.slug}`);
    if (workspace.repositories.has(input.slug.toLowerCase())) {
      throw new Error(`Repository ${workspace.slug}/${input.slug} already exists`);
    }
    const repository: RepositoryRecord = {
      uuid: input.uuid ?? `{${randomUUID()}}`,
      slug: input.slug,
      name: input.name ?? input.slug,
      description: input.description ?? '',
      isPrivate: input.isPrivate ?? true,
      mainBranch: input.mainBranch ?? 'main',
      createdOn: this.now().toISOString(),
      workspace,
      commits: new Map(),
      branches: new Map(),
      tags: new Map(),
      permissions: new Map(),
      statuses: new Map(),
      pullRequests: new Map(),
    };
    workspace.repositories.set(input.slug.toLowerCase(), repository);
    return repository;
  }

  /** A workspace path parameter: its slug or `{uuid}`. */
  findWorkspace(ref: string): WorkspaceRecord | undefined {
    return this.workspaces.find((w) => sameId(w.slug, ref) || sameId(w.uuid, ref));
  }

  /** Path parameters as Bitbucket takes them: each one a slug or a `{uuid}`. */
  findRepository(workspaceRef: string, repoRef: string): RepositoryRecord | undefined {
    const workspace = this.findWorkspace(workspaceRef);
    if (!workspace) return undefined;
    if (!repoRef.startsWith('{')) return workspace.repositories.get(repoRef.toLowerCase());
    return [...workspace.repositories.values()].find((r) => sameId(r.uuid, repoRef));
  }

  findRepositoryByUuid(uuid: string): RepositoryRecord | undefined {
    for (const workspace of this.workspaces) {
      const found = this.findRepository(workspace.uuid, uuid);
      if (found) return found;
    }
    return undefined;
  }

  /** For the test-facing API: `workspace/slug` or `{uuid}`; throws so a typo fails the test at once. */
  repository(ref: RepoRef): RepositoryRecord {
    const [workspaceRef, repoRef] = ref.startsWith('{') ? [undefined, ref] : ref.split('/', 2);
    const found = workspaceRef === undefined ? this.findRepositoryByUuid(ref) : this.findRepository(workspaceRef, repoRef ?? '');
    if (!found) throw new Error(`Unknown repository ${ref}`);
    return found;
  }

  addCommit(repository: RepositoryRecord, input: CommitInput): CommitRecord {
    const parents = (input.parents ?? []).map((p) => this.requireCommit(repository, p).hash);
    const date = input.date ?? this.now().toISOString();
    const message = input.message ?? 'Commit';
    const hash = input.hash ?? this.generateHash(parents, message, date);
    const existing = repository.commits.get(hash);
    if (existing) return existing;
    const commit: CommitRecord = {
      hash,
      parents,
      date,
      author: input.author ?? { raw: 'Unknown <unknown@example.invalid>' },
      message,
      files: (input.files ?? []).map((f) => this.toFileChange(repository, parents[0], f)),
    };
    repository.commits.set(hash, commit);
    return commit;
  }

  /** A full hash, a unique prefix of at least 4 digits, or a branch or tag name (as in `diffstat/main..develop`). */
  resolveRevision(repository: RepositoryRecord, revision: string): CommitRecord | undefined {
    const byRef = repository.branches.get(revision) ?? repository.tags.get(revision);
    if (byRef !== undefined) return repository.commits.get(byRef);
    if (!/^[0-9a-f]{4,40}$/i.test(revision)) return undefined;
    const prefix = revision.toLowerCase();
    const exact = repository.commits.get(prefix);
    if (exact) return exact;
    const matches = [...repository.commits.values()].filter((c) => c.hash.startsWith(prefix));
    return matches.length === 1 ? matches[0] : undefined;
  }

  requireCommit(repository: RepositoryRecord, revision: string): CommitRecord {
    const commit = this.resolveRevision(repository, revision);
    if (!commit) throw new HttpError(404, `Commit not found: ${revision}`);
    return commit;
  }

  setRef(repository: RepositoryRecord, kind: 'branch' | 'tag', name: string, hash: string): void {
    const target = this.requireCommit(repository, hash).hash;
    (kind === 'branch' ? repository.branches : repository.tags).set(name, target);
  }

  private toFileChange(repository: RepositoryRecord, parent: string | undefined, input: string | FileChangeInput): FileChange {
    const change = typeof input === 'string' ? { path: input } : input;
    const status = change.status ?? (this.pathExists(repository, parent, change.path) ? 'modified' : 'added');
    return {
      path: change.path,
      status,
      ...(change.oldPath === undefined ? {} : { oldPath: change.oldPath }),
      linesAdded: change.linesAdded ?? (status === 'removed' ? 0 : 1),
      linesRemoved: change.linesRemoved ?? (status === 'added' ? 0 : 1),
    };
  }

  /** Whether `path` exists at `hash`: the newest change to it along the first-parent line decides. */
  private pathExists(repository: RepositoryRecord, hash: string | undefined, path: string): boolean {
    for (let commit = hash === undefined ? undefined : repository.commits.get(hash); commit;) {
      const change = commit.files.find((f) => f.path === path || f.oldPath === path);
      if (change) return change.path === path && change.status !== 'removed';
      const parent = commit.parents[0];
      commit = parent === undefined ? undefined : repository.commits.get(parent);
    }
    return false;
  }

  /** Deterministic, so a run of the same arrangement yields the same hashes. */
  private generateHash(parents: string[], message: string, date: string): string {
    this.generated += 1;
    return createHash('sha1')
      .update(JSON.stringify([parents, message, date, this.generated]))
      .digest('hex');
  }
}
