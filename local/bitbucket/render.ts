/** The records rendered in the spec's response shapes (repository, branch, commit, commitstatus, diffstat, repository_permission). */
import type { NetChange } from './diffstat';
import { API_BASE, HTML_BASE } from './http';
import type { CommitRecord, RepositoryRecord, StoredStatus, UserRecord, WorkspaceState } from './state';
import type { CommitStatusJson, Permission } from './types';

const href = (url: string): { href: string } => ({ href: url });
const fullName = (r: RepositoryRecord): string => `${r.workspace.slug}/${r.slug}`;
const repoApi = (r: RepositoryRecord): string => `${API_BASE}/repositories/${fullName(r)}`;

export function renderUser(user: UserRecord): Record<string, unknown> {
  const id = encodeURIComponent(user.uuid);
  return {
    type: 'user',
    display_name: user.displayName,
    uuid: user.uuid,
    account_id: user.accountId,
    nickname: user.nickname,
    links: { self: href(`${API_BASE}/users/${id}`), html: href(`${HTML_BASE}/${id}/`) },
  };
}

/** The short form Bitbucket embeds in commits and permissions. */
export function renderRepositorySummary(repository: RepositoryRecord): Record<string, unknown> {
  return {
    type: 'repository',
    name: repository.name,
    full_name: fullName(repository),
    uuid: repository.uuid,
    links: { self: href(repoApi(repository)), html: href(`${HTML_BASE}/${fullName(repository)}`) },
  };
}

export function renderRepository(repository: RepositoryRecord): Record<string, unknown> {
  const { workspace } = repository;
  return {
    ...renderRepositorySummary(repository),
    slug: repository.slug,
    description: repository.description,
    scm: 'git',
    is_private: repository.isPrivate,
    fork_policy: 'no_public_forks',
    has_issues: false,
    has_wiki: false,
    language: '',
    created_on: repository.createdOn,
    updated_on: repository.createdOn,
    mainbranch: { name: repository.mainBranch, type: 'branch' },
    workspace: {
      type: 'workspace',
      uuid: workspace.uuid,
      slug: workspace.slug,
      name: workspace.name,
      links: { self: href(`${API_BASE}/workspaces/${workspace.slug}`), html: href(`${HTML_BASE}/${workspace.slug}/`) },
    },
    links: {
      self: href(repoApi(repository)),
      html: href(`${HTML_BASE}/${fullName(repository)}`),
      commits: href(`${repoApi(repository)}/commits`),
      clone: [{ name: 'https', href: `${HTML_BASE}/${fullName(repository)}.git` }],
    },
  };
}

function commitLinks(repository: RepositoryRecord, hash: string): Record<string, { href: string }> {
  return {
    self: href(`${repoApi(repository)}/commit/${hash}`),
    html: href(`${HTML_BASE}/${fullName(repository)}/commits/${hash}`),
    diff: href(`${repoApi(repository)}/diff/${hash}`),
    statuses: href(`${repoApi(repository)}/commit/${hash}/statuses`),
  };
}

export function renderCommit(state: WorkspaceState, repository: RepositoryRecord, commit: CommitRecord): Record<string, unknown> {
  const user = commit.author.accountId === undefined ? undefined : state.users.get(commit.author.accountId);
  return {
    type: 'commit',
    hash: commit.hash,
    date: commit.date,
    message: commit.message,
    summary: { raw: commit.message, markup: 'markdown', html: `<p>${escapeHtml(commit.message)}</p>` },
    author: { type: 'author', raw: commit.author.raw, ...(user ? { user: renderUser(user) } : {}) },
    parents: commit.parents.map((hash) => ({
      type: 'commit',
      hash,
      links: { self: href(`${repoApi(repository)}/commit/${hash}`), html: href(`${HTML_BASE}/${fullName(repository)}/commits/${hash}`) },
    })),
    repository: renderRepositorySummary(repository),
    links: commitLinks(repository, commit.hash),
  };
}

export function renderBranch(
  state: WorkspaceState,
  repository: RepositoryRecord,
  name: string,
  commit: CommitRecord,
): Record<string, unknown> {
  return {
    type: 'branch',
    name,
    target: renderCommit(state, repository, commit),
    links: {
      self: href(`${repoApi(repository)}/refs/branches/${name}`),
      commits: href(`${repoApi(repository)}/commits/${name}`),
      html: href(`${HTML_BASE}/${fullName(repository)}/branch/${name}`),
    },
  };
}

/** `type: 'build'` is what Bitbucket answers for build statuses (the spec leaves the value open). */
export function renderStatus(repository: RepositoryRecord, hash: string, status: StoredStatus): CommitStatusJson {
  return {
    type: 'build',
    key: status.key,
    state: status.state,
    url: status.url,
    ...(status.name === undefined ? {} : { name: status.name }),
    ...(status.description === undefined ? {} : { description: status.description }),
    ...(status.refname === undefined ? {} : { refname: status.refname }),
    created_on: status.createdOn,
    updated_on: status.updatedOn,
    links: {
      self: href(`${repoApi(repository)}/commit/${hash}/statuses/build/${encodeURIComponent(status.key)}`),
      commit: href(`${repoApi(repository)}/commit/${hash}`),
    },
  };
}

function commitFile(repository: RepositoryRecord, hash: string, path: string | null): Record<string, unknown> | null {
  if (path === null) return null;
  return {
    type: 'commit_file',
    path,
    escaped_path: path,
    links: { self: href(`${repoApi(repository)}/src/${hash}/${path}`) },
  };
}

/** `oldHash`/`newHash` are the two ends of the comparison, which the file links point into. */
export function renderDiffstat(repository: RepositoryRecord, change: NetChange, oldHash: string, newHash: string): Record<string, unknown> {
  return {
    type: 'diffstat',
    status: change.status,
    lines_added: change.linesAdded,
    lines_removed: change.linesRemoved,
    old: commitFile(repository, oldHash, change.oldPath),
    new: commitFile(repository, newHash, change.newPath),
  };
}

export function renderPermission(user: UserRecord, repository: RepositoryRecord, permission: Permission): Record<string, unknown> {
  return { type: 'repository_permission', permission, user: renderUser(user), repository: renderRepositorySummary(repository) };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
