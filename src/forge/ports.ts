import { randomUUID } from 'node:crypto';
import { COMMENT_HEADING, type CommentPorts } from '../core/preview-comment';
import type { DeliveryPorts } from '../core/run';
import {
  editPullRequestComment,
  findOwnComment,
  getChangedFiles,
  getCommit,
  getPullRequestSource,
  getRepositorySummary,
  listBuildStatuses,
  postCommitStatus,
  postPullRequestComment,
} from './bitbucket';
import { bindProvider } from '../providers/registry';
import { checkEgress } from './egress';
import { forgeHttpClient } from './http';
import { appLogger } from './log';
import { continueLater, enqueueDeployJobs, followLater } from './queue';
import { commentStore, deliveryStore } from './store';

/** The platform behind the core's deploy worker and status poller. */
export const deliveryPorts: DeliveryPorts = {
  store: deliveryStore,
  postCommitStatus: (job, status) => postCommitStatus(job.repository.workspaceUuid, job.repository.uuid, job.commit.hash, status),
  changedFiles: (job, base) => getChangedFiles(job.repository.workspaceUuid, job.repository.uuid, job.commit.hash, base),
  buildStatuses: (job) => listBuildStatuses(job.repository.workspaceUuid, job.repository.uuid, job.commit.hash, job.ref.name),
  mainBranch: async (job) => (await getRepositorySummary(job.repository.workspaceUuid, job.repository.uuid)).mainBranch,
  pullRequestSource: (repository, id) => getPullRequestSource(repository.workspaceUuid, repository.uuid, id),
  resolveCommit: getCommit,
  enqueueJobs: (jobs) => enqueueDeployJobs(jobs),
  continueLater,
  followLater,
  bindProvider,
  // A target calling an origin neither declared nor approved is refused before anything is sent.
  checkEgress,
  httpFor: forgeHttpClient,
  log: appLogger,
  now: () => Date.now(),
  newToken: () => randomUUID(),
  // Bitbucket resolves UUID paths, so the link works without knowing the repository's slug.
  fallbackStatusUrl: (job) =>
    `https://bitbucket.org/${encodeURIComponent(job.repository.workspaceUuid)}/${encodeURIComponent(job.repository.uuid)}/commits/${job.commit.hash}`,
};

/** The platform behind a pull request's comment (core/preview-comment.ts). */
export const commentPorts: CommentPorts = {
  ...commentStore,
  findComment: ({ repository, pullRequestId }) => findOwnComment(repository.workspaceUuid, repository.uuid, pullRequestId, COMMENT_HEADING),
  postComment: ({ repository, pullRequestId }, body) =>
    postPullRequestComment(repository.workspaceUuid, repository.uuid, pullRequestId, body),
  editComment: ({ repository, pullRequestId }, commentId, body) =>
    editPullRequestComment(repository.workspaceUuid, repository.uuid, pullRequestId, commentId, body),
  log: appLogger,
  now: () => Date.now(),
  newToken: () => randomUUID(),
};
