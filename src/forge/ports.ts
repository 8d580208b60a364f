import { randomUUID } from 'node:crypto';
import type { DeliveryPorts } from '../core/run';
import { getChangedFiles, getCommit, getPullRequestSource, getRepositorySummary, listBuildStatuses, postCommitStatus } from './bitbucket';
import { bindProvider } from '../providers/registry';
import { checkEgress } from './egress';
import { forgeHttpClient } from './http';
import { appLogger } from './log';
import { continueLater, enqueueDeployJobs, followLater } from './queue';
import { deliveryStore } from './store';

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
