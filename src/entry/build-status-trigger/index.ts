import type { InvocationError } from '@forge/events';
import { readBuildStatusEvent } from '../../core/builds';
import { PlatformFault } from '../../core/errors';
import { appLogger } from '../../forge/log';
import { enqueueDeployJobs } from '../../forge/queue';
import { listWaiting } from '../../forge/store';
import { retryCountOf, retryTrigger } from '../../forge/trigger-retry';

export interface BuildStatusTriggerResult {
  woken: number;
  ignoredBecause: string | null;
}

/**
 * avi:bitbucket:{created,updated}:build-status. Wakes the deploys waiting for builds of the commit
 * (their wait marks: one query), each with the build this event reports, in one queue push; the
 * worker decides (core/deliver.ts, gate). The app's own statuses come back as these events too: Forge's
 * `ignoreSelf` filter is for Jira events only (the manifest validator refuses it here), so they are
 * dropped by `selfGenerated` and by the app's key prefix. A malformed event is logged and wakes nothing;
 * when storage or the queue fails, Forge delivers the event again.
 */
export async function buildStatusTrigger(event: unknown): Promise<BuildStatusTriggerResult | InvocationError> {
  const read = readBuildStatusEvent(event);
  if (!read.ok) {
    appLogger.error('build-status event refused', { error: read.why });
    return { woken: 0, ignoredBecause: `malformed event: ${read.why}` };
  }
  const { report } = read;
  if (report.own) return { woken: 0, ignoredBecause: 'the app’s own commit status' };
  try {
    const waiting = await listWaiting(report.repositoryUuid, report.commit);
    if (waiting.corrupt > 0) appLogger.warn('wait marks that do not parse were left alone', { count: waiting.corrupt });
    await enqueueDeployJobs(waiting.jobs.map((job) => ({ ...job, observed: report.build })));
    if (waiting.jobs.length > 0)
      appLogger.info('deploys woken by a build', { key: report.build.key, state: report.build.state, woken: waiting.jobs.length });
    return { woken: waiting.jobs.length, ignoredBecause: waiting.jobs.length === 0 ? 'no deploy waits for this commit' : null };
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    appLogger.warn('waiting deploys not woken yet; Forge delivers the event again', { error: error.message });
    return retryTrigger(error, retryCountOf(event));
  }
}
