/**
 * A stateful Bitbucket Cloud stand-in for the local Forge platform: it answers the REST calls the
 * app makes through `requestBitbucket` (asApp and asUser) in the official spec's shapes, from an
 * in-memory workspace that tests can arrange and observe.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Faults, type FaultInjector } from './faults';
import { errorResponse, HttpError } from './http';
import { BUILD_STATUS_EVENTS, PUSH_EVENT } from './events';
import { recordPush } from './push';
import {
  type PullRequestChange,
  type PullRequestEventJson,
  type PullRequestRecord,
  PROJECT_UUID,
  pullRequestEvent,
  recordPullRequest,
  requirePullRequest,
} from './pullrequests';
import { renderStatus } from './render';
import { dispatch } from './routes';
import { type RepositoryRecord, type StatusInput, type WorkspaceRole, WorkspaceState } from './state';
import { saveStatus, validateStatus } from './statuses';
import {
  commitInputSchema,
  repositoryInputSchema,
  userInputSchema,
  workspaceFixtureSchema,
  workspaceInputSchema,
  type BitbucketCall,
  type BitbucketCaller,
  type CommitInput,
  type CommitStatusJson,
  type Permission,
  type RepoRef,
  type RepositoryInfo,
  type RepositoryInput,
  type UserInput,
  type WorkspaceFixture,
  type WorkspaceInput,
} from './types';

export type { FaultHandle, FaultInjector, FaultRule } from './faults';
export type {
  BitbucketCall,
  BitbucketCaller,
  CommitInput,
  CommitStatusJson,
  CommitStatusState,
  FileChangeInput,
  FileStatus,
  Permission,
  RepoRef,
  RepositoryInfo,
  RepositoryInput,
  UserInput,
  WorkspaceFixture,
  WorkspaceInput,
} from './types';

export const DEFAULT_FIXTURE_PATH = join(__dirname, '..', 'fixtures', 'workspace.json');

export interface BitbucketStandIn {
  /** Answers one REST call; `path` exactly as the SDK sends it, e.g. `/2.0/repositories/%7B…%7D/web/refs/branches?q=…`. */
  handle(method: string, path: string, body: string | undefined, caller: BitbucketCaller): Promise<Response>;
  /** Applies a Forge push event: creates an unknown workspace/repository, adds its commits, moves (or deletes, when closed) the branch or tag. */
  recordPush(event: unknown): void;
  /** Applies a Forge pull-request event: creates an unknown workspace/repository, records the pull request as the event gives it. */
  recordPullRequest(event: unknown): void;
  /**
   * A pull request opened from a branch (of this repository, or of `fork`, another repository of the
   * stand-in) into another, at their heads now; and the `avi:bitbucket:created:pullrequest` event.
   */
  openPullRequest(repo: RepoRef, input: OpenPullRequest): PullRequestEventJson;
  /** The pull request's source moved to its branch's head now (after a push to it), and the `updated` event. */
  updatePullRequest(repo: RepoRef, id: number, timestamp: string): PullRequestEventJson;
  /** The pull request merged (with a merge commit on the destination branch) or declined, and its event. */
  closePullRequest(repo: RepoRef, id: number, how: 'merged' | 'declined', timestamp: string): PullRequestEventJson;
  /** The pull request's comments, oldest first: who wrote each (an account id) and what it says. */
  pullRequestComments(repo: RepoRef, id: number): { id: number; accountId: string; raw: string }[];
  /**
   * A git push to a branch, as Bitbucket reports it to Forge: new commits on top of the branch's head
   * (a new branch starts at the main branch's head), the branch moved, and the
   * `avi:bitbucket:push:repository` event it emits, in the shape Forge's type reference gives.
   */
  push(repo: RepoRef, input: GitPush): PushEventJson;

  /** Every answered call, oldest first (faulted ones included). */
  readonly calls: readonly BitbucketCall[];
  clearCalls(): void;
  /** Makes chosen requests fail (500, 429 with Retry-After, …) before they reach the workspace. */
  readonly faults: FaultInjector;

  addWorkspace(input: WorkspaceInput): void;
  addUser(input: UserInput): void;
  addRepository(input: RepositoryInput): RepositoryInfo;
  /** Adds a commit (parents must exist) and returns its full hash. */
  addCommit(repo: RepoRef, commit: CommitInput): string;
  /** Creates or moves a branch to a known commit (full hash, unique prefix or ref name). */
  setBranch(repo: RepoRef, name: string, revision: string): void;
  deleteBranch(repo: RepoRef, name: string): void;
  /** `none` revokes. */
  setPermission(repo: RepoRef, accountId: string, permission: Permission | 'none'): void;
  /** The account's role in the workspace (slug or `{uuid}`); `none` removes it from the workspace. */
  setWorkspaceRole(workspace: string, accountId: string, role: WorkspaceRole | 'none'): void;

  /** The branch's head hash, or undefined when there is no such branch. */
  branchHead(repo: RepoRef, name: string): string | undefined;
  tagHead(repo: RepoRef, name: string): string | undefined;
  /** Build statuses on a commit, in Bitbucket's list order and shape. */
  statuses(repo: RepoRef, commit: string): CommitStatusJson[];
  /**
   * A CI system posting a build status on a commit (as `POST …/statuses/build` does), and the
   * `avi:bitbucket:{created,updated}:build-status` event Bitbucket emits for it: for the test to deliver
   * when, as often and in what order it chooses.
   */
  reportBuild(repo: RepoRef, commit: string, input: StatusInput): BuildStatusEventJson;
  /** The event of a status already on the commit (the app's own, echoed back), as Forge's type reference shapes it. */
  buildStatusEvent(repo: RepoRef, commit: string, key: string, options?: { selfGenerated?: boolean }): BuildStatusEventJson;
}

/** `avi:bitbucket:{created,updated}:build-status` as Forge's Bitbucket events reference types it (local/bitbucket/events.ts). */
export interface BuildStatusEventJson {
  eventType: (typeof BUILD_STATUS_EVENTS)[number];
  timestamp: string;
  selfGenerated: boolean;
  actor: { type: string; accountId: string; uuid: string };
  repository: { uuid: string; slug: string };
  project: { uuid: string };
  workspace: { uuid: string };
  buildStatus: {
    key: string;
    commit: { hash: string };
    state: string;
    url: string;
    createdOn: string;
    updatedOn: string;
    refName?: string;
  };
  [field: string]: unknown;
}

export interface OpenPullRequest {
  title: string;
  source: string;
  destination: string;
  authorAccountId: string;
  /** When Bitbucket emitted the event (ISO 8601). */
  timestamp: string;
  /** The repository the source branch is in, when it is a fork. */
  fork?: RepoRef;
}

export interface GitPush {
  ref: string;
  /** The new commits' messages, oldest first. */
  messages: string[];
  actor: { accountId: string; uuid: string };
  /** When Bitbucket emitted the event (ISO 8601). */
  timestamp: string;
}

/** The documented push event (local/bitbucket/events.ts checks the shape). */
export type PushEventJson = { eventType: string; timestamp: string; repository: { uuid: string }; workspace: { uuid: string } } & Record<
  string,
  unknown
>;

/** Who a CI system's build statuses are reported by: an app account, as Pipelines' are. */
const CI_ACTOR = { type: 'app_user', accountId: '557058:ci-app-0001', uuid: '{b1c2d3e4-f5a6-4789-8abc-def012345678}' };

export interface StandInOptions {
  /** Clock for generated dates (status created_on/updated_on, default commit dates). */
  now?: () => Date;
}

export function loadDefaultFixture(): WorkspaceFixture {
  return workspaceFixtureSchema.parse(JSON.parse(readFileSync(DEFAULT_FIXTURE_PATH, 'utf8')));
}

function loadFixture(state: WorkspaceState, fixture: WorkspaceFixture): void {
  const parsed = workspaceFixtureSchema.parse(fixture);
  const workspace = state.addWorkspace(parsed.workspace);
  parsed.users.forEach((u) => state.addUser(u));
  for (const { commits, branches, tags, permissions, ...input } of parsed.repositories) {
    const repository = state.addRepository({ ...input, workspace: workspace.uuid });
    commits.forEach((c) => state.addCommit(repository, c));
    Object.entries(branches).forEach(([name, hash]) => state.setRef(repository, 'branch', name, hash));
    Object.entries(tags ?? {}).forEach(([name, hash]) => state.setRef(repository, 'tag', name, hash));
    Object.entries(permissions ?? {}).forEach(([accountId, permission]) => repository.permissions.set(accountId, permission));
  }
}

export function createBitbucketStandIn(fixture?: WorkspaceFixture, options: StandInOptions = {}): BitbucketStandIn {
  const state = new WorkspaceState(options.now ?? (() => new Date()));
  loadFixture(state, fixture ?? loadDefaultFixture());
  const faults = new Faults();
  const calls: BitbucketCall[] = [];

  // Only HttpError becomes a Bitbucket error answer: any other exception is a stand-in bug and
  // must fail the test loudly rather than pass for a Bitbucket outage the app might retry.
  const answer = (method: string, path: string, body: string | undefined, caller: BitbucketCaller): Response => {
    const queryAt = path.indexOf('?');
    const pathname = queryAt === -1 ? path : path.slice(0, queryAt);
    const query = queryAt === -1 ? '' : path.slice(queryAt + 1);
    try {
      return dispatch(state, { method: method.toUpperCase(), pathname, params: new URLSearchParams(query), body, caller });
    } catch (error) {
      if (error instanceof HttpError) return errorResponse(error.status, error.message, error.detail);
      throw error;
    }
  };

  return {
    async handle(method, path, body, caller) {
      const injected = faults.answer({ method, path, asUser: caller.asUser });
      const response = injected ?? answer(method, path, body, caller);
      calls.push({
        method: method.toUpperCase(),
        path,
        asUser: caller.asUser,
        ...(caller.accountId === undefined ? {} : { accountId: caller.accountId }),
        status: response.status,
        faulted: injected !== undefined,
      });
      return response;
    },
    recordPush: (event) => recordPush(state, event),
    recordPullRequest: (event) => recordPullRequest(state, event),
    openPullRequest(repo, input) {
      const repository = state.repository(repo);
      const from = input.fork === undefined ? repository : state.repository(input.fork);
      const source = headOf(from, input.source);
      // A fork's commits show in the pull request's repository too (its statuses are posted there).
      if (from !== repository) copyCommit(from, repository, source);
      const pr: PullRequestRecord = {
        id: repository.pullRequests.size + 1,
        title: input.title,
        state: 'OPEN',
        from,
        source: { branch: input.source, commit: source },
        destination: { branch: input.destination, commit: headOf(repository, input.destination) },
        authorAccountId: input.authorAccountId,
        mergeCommit: null,
        createdOn: input.timestamp,
        updatedOn: input.timestamp,
        comments: new Map(),
      };
      repository.pullRequests.set(pr.id, pr);
      return pullRequestEvent(state, repository, pr, 'created', input.authorAccountId);
    },
    updatePullRequest(repo, id, timestamp) {
      const repository = state.repository(repo);
      const pr = requirePullRequest(repository, id);
      pr.source = { ...pr.source, commit: headOf(pr.from, pr.source.branch) };
      if (pr.from !== repository) copyCommit(pr.from, repository, pr.source.commit);
      pr.updatedOn = timestamp;
      return pullRequestEvent(state, repository, pr, 'updated', pr.authorAccountId);
    },
    pullRequestComments: (repo, id) =>
      [...requirePullRequest(state.repository(repo), id).comments.values()].map(({ id: commentId, accountId, raw }) => ({
        id: commentId,
        accountId,
        raw,
      })),
    closePullRequest(repo, id, how, timestamp) {
      const repository = state.repository(repo);
      const pr = requirePullRequest(repository, id);
      if (how === 'merged') {
        const merge = state.addCommit(repository, {
          message: `Merged in ${pr.source.branch} (pull request #${pr.id})`,
          parents: [headOf(repository, pr.destination.branch), pr.source.commit],
          date: timestamp,
        });
        state.setRef(repository, 'branch', pr.destination.branch, merge.hash);
        pr.mergeCommit = merge.hash;
      }
      pr.state = how === 'merged' ? 'MERGED' : 'DECLINED';
      pr.updatedOn = timestamp;
      return pullRequestEvent(state, repository, pr, how satisfies PullRequestChange, pr.authorAccountId);
    },
    push(repo, input) {
      const repository = state.repository(repo);
      const before = repository.branches.get(input.ref);
      let head = before ?? repository.branches.get(repository.mainBranch);
      const actor = { type: 'user', ...input.actor };
      const commits = input.messages.map((message) => {
        const commit = state.addCommit(repository, {
          message,
          parents: head ? [head] : [],
          date: input.timestamp,
          author: { raw: 'Pusher <pusher@example.invalid>', accountId: actor.accountId },
        });
        head = commit.hash;
        return { hash: commit.hash, message: { value: message, truncated: false }, date: input.timestamp, author: { user: actor } };
      });
      if (!head) throw new Error(`${input.ref}: a push to an empty repository needs at least one commit`);
      state.setRef(repository, 'branch', input.ref, head);
      return {
        eventType: PUSH_EVENT,
        timestamp: input.timestamp,
        selfGenerated: false,
        actor,
        repository: { uuid: repository.uuid, slug: repository.slug },
        project: { uuid: PROJECT_UUID },
        workspace: { uuid: repository.workspace.uuid },
        push: {
          ref: input.ref,
          mainbranch: input.ref === repository.mainBranch,
          ...(before === undefined ? {} : { before }),
          after: head,
          created: before === undefined,
          closed: false,
          forced: false,
          truncated: false,
          // Bitbucket lists them newest first.
          commits: [...commits].reverse(),
        },
      };
    },
    calls,
    clearCalls: () => void calls.splice(0),
    faults,
    addWorkspace: (input) => void state.addWorkspace(workspaceInputSchema.parse(input)),
    addUser: (input) => void state.addUser(userInputSchema.parse(input)),
    addRepository(input) {
      const repository = state.addRepository(repositoryInputSchema.parse(input));
      return {
        uuid: repository.uuid,
        fullName: `${repository.workspace.slug}/${repository.slug}`,
        workspaceUuid: repository.workspace.uuid,
      };
    },
    addCommit: (repo, commit) => state.addCommit(state.repository(repo), commitInputSchema.parse(commit)).hash,
    setBranch: (repo, name, revision) => state.setRef(state.repository(repo), 'branch', name, revision),
    deleteBranch: (repo, name) => void state.repository(repo).branches.delete(name),
    setPermission(repo, accountId, permission) {
      const { permissions } = state.repository(repo);
      if (permission === 'none') permissions.delete(accountId);
      else permissions.set(accountId, permission);
    },
    setWorkspaceRole(workspaceRef, accountId, role) {
      const workspace = state.findWorkspace(workspaceRef);
      if (!workspace) throw new Error(`no workspace ${workspaceRef}`);
      if (role === 'none') workspace.roles.delete(accountId);
      else workspace.roles.set(accountId, role);
    },
    branchHead: (repo, name) => state.repository(repo).branches.get(name),
    tagHead: (repo, name) => state.repository(repo).tags.get(name),
    statuses(repo, commit) {
      const repository = state.repository(repo);
      const hash = state.resolveRevision(repository, commit)?.hash ?? commit;
      return [...(repository.statuses.get(hash)?.values() ?? [])].map((s) => renderStatus(repository, hash, s));
    },
    reportBuild(repo, commit, input) {
      const repository = state.repository(repo);
      const { hash } = state.requireCommit(repository, commit);
      saveStatus(repository, hash, validateStatus({ ...input }), state.now().toISOString());
      return buildStatusEvent(repository, hash, input.key, false);
    },
    buildStatusEvent(repo, commit, key, options = {}) {
      const repository = state.repository(repo);
      const { hash } = state.requireCommit(repository, commit);
      return buildStatusEvent(repository, hash, key, options.selfGenerated ?? false);
    },
  };

  function headOf(repository: RepositoryRecord, branch: string): string {
    const head = repository.branches.get(branch);
    if (head === undefined) throw new Error(`no branch ${branch} in ${repository.workspace.slug}/${repository.slug}`);
    return head;
  }

  function copyCommit(from: RepositoryRecord, to: RepositoryRecord, hash: string): void {
    const commit = from.commits.get(hash);
    if (commit && !to.commits.has(hash)) to.commits.set(hash, { ...commit, parents: commit.parents.filter((p) => to.commits.has(p)) });
  }

  function buildStatusEvent(repository: RepositoryRecord, hash: string, key: string, selfGenerated: boolean): BuildStatusEventJson {
    const status = repository.statuses.get(hash)?.get(key);
    if (!status) throw new Error(`no build status ${key} on ${hash}`);
    return {
      eventType: status.createdOn === status.updatedOn ? 'avi:bitbucket:created:build-status' : 'avi:bitbucket:updated:build-status',
      timestamp: status.updatedOn,
      selfGenerated,
      actor: CI_ACTOR,
      repository: { uuid: repository.uuid, slug: repository.slug },
      project: { uuid: PROJECT_UUID },
      workspace: { uuid: repository.workspace.uuid },
      buildStatus: {
        key: status.key,
        commit: { hash },
        state: status.state,
        url: status.url,
        createdOn: status.createdOn,
        updatedOn: status.updatedOn,
        ...(status.refname === undefined ? {} : { refName: status.refname }),
      },
    };
  }
}
