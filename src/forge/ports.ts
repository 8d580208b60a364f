import type { DeliveryPorts } from '../core/run';
import { bindProvider } from '../providers/registry';
import { getChangedFiles, postCommitStatus } from './bitbucket';
import { forgeHttpClient } from './http';
import { appLogger } from './log';
import { enqueueDeployJobs, followLater } from './queue';
import { deliveryStore } from './store';

/** The platform behind the core's deploy worker and status poller. */
export const deliveryPorts: DeliveryPorts = {
  store: deliveryStore,
  postCommitStatus: (job, status) => postCommitStatus(job.repository.workspaceUuid, job.repository.uuid, job.commit.hash, status),
  changedFiles: (job, base) => getChangedFiles(job.repository.workspaceUuid, job.repository.uuid, job.commit.hash, base),
  enqueueJobs: (jobs) => enqueueDeployJobs(jobs),
  followLater,
  bindProvider,
  httpFor: forgeHttpClient,
  log: appLogger,
  now: Date.now,
  // Bitbucket resolves UUID paths, so the link works without knowing the repository's slug.
  fallbackStatusUrl: (job) =>
    `https://bitbucket.org/${encodeURIComponent(job.repository.workspaceUuid)}/${encodeURIComponent(job.repository.uuid)}/commits/${job.commit.hash}`,
};
