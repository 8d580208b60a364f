import type { StatusResult } from '../../core/provider';

type OurState = StatusResult['state'];

/** Coolify's ApplicationDeploymentStatus: queued, in_progress, finished, failed, cancelled-by-user. */
export const COOLIFY_DEPLOYMENT_STATES: ReadonlyMap<string, OurState> = new Map<string, OurState>([
  ['queued', 'in_progress'],
  ['in_progress', 'in_progress'],
  ['finished', 'succeeded'],
  ['failed', 'failed'],
  ['cancelled-by-user', 'canceled'],
]);

/** A status Coolify adds later keeps the deploy followed instead of claiming an outcome it did not report. */
export const COOLIFY_UNKNOWN_STATE: OurState = 'in_progress';

export const coolifyState = (status: string): OurState => COOLIFY_DEPLOYMENT_STATES.get(status) ?? COOLIFY_UNKNOWN_STATE;
