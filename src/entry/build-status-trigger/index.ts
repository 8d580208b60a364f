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
 * (their wait marks: one query) for the ref the build names, if any, each with the build this event reports, in one queue push; the
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
    // A build reported for another ref (a pull request's branch, say) says nothing about this deploy's.
    const woken = waiting.jobs.filter((job) => report.refName === null || job.ref.name === report.refName);
    await enqueueDeployJobs(woken.map((job) => ({ ...job, observed: report.build })));
    if (woken.length > 0)
      appLogger.info('deploys woken by a build', { key: report.build.key, state: report.build.state, woken: woken.length });
    return { woken: woken.length, ignoredBecause: woken.length === 0 ? 'no deploy of this commit and ref waits' : null };
  } catch (error) {
    if (!(error instanceof PlatformFault)) throw error;
    appLogger.warn('waiting deploys not woken yet; Forge delivers the event again', { error: error.message });
    return retryTrigger(error, retryCountOf(event));
  }
}
