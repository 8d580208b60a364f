import type { StatusResult } from '../../core/provider';

type OurState = StatusResult['state'];

/**
 * Railway's `DeploymentStatus` enum (public GraphQL schema): BUILDING, CRASHED, DEPLOYING, FAILED,
 * INITIALIZING, NEEDS_APPROVAL, QUEUED, REMOVED, REMOVING, SKIPPED, SLEEPING, SUCCESS, WAITING.
 * SLEEPING is a deployment that went live and was put to sleep for lack of traffic (serverless), so it
 * succeeded; SKIPPED never ran, so it ends as canceled rather than being polled forever.
 */
export const RAILWAY_DEPLOYMENT_STATES: ReadonlyMap<string, OurState> = new Map<string, OurState>([
  ['QUEUED', 'in_progress'],
  ['WAITING', 'in_progress'],
  ['INITIALIZING', 'in_progress'],
  ['BUILDING', 'in_progress'],
  ['DEPLOYING', 'in_progress'],
  ['NEEDS_APPROVAL', 'in_progress'],
  ['SUCCESS', 'succeeded'],
  ['SLEEPING', 'succeeded'],
  ['FAILED', 'failed'],
  ['CRASHED', 'failed'],
  ['REMOVING', 'superseded'],
  ['REMOVED', 'superseded'],
  ['SKIPPED', 'canceled'],
]);

/** A status Railway adds later keeps the deploy followed instead of claiming an outcome it did not report. */
export const RAILWAY_UNKNOWN_STATE: OurState = 'in_progress';

export const railwayState = (status: string): OurState => RAILWAY_DEPLOYMENT_STATES.get(status) ?? RAILWAY_UNKNOWN_STATE;
