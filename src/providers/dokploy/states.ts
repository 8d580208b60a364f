import type { StatusResult } from '../../core/provider';

type OurState = StatusResult['state'];

/**
 * Dokploy's `deploymentStatus` (packages/server/src/db/schema/deployment.ts: running, done, error; newer
 * versions add cancelled). Its OpenAPI file declares no response bodies, so this follows the source.
 */
export const DOKPLOY_DEPLOYMENT_STATES: ReadonlyMap<string, OurState> = new Map<string, OurState>([
  ['running', 'in_progress'],
  ['done', 'succeeded'],
  ['error', 'failed'],
  ['cancelled', 'canceled'],
]);

/** A status Dokploy adds later keeps the deploy followed instead of claiming an outcome it did not report. */
export const DOKPLOY_UNKNOWN_STATE: OurState = 'in_progress';

export const dokployState = (status: string | null): OurState =>
  // A null status is the column's default before the worker writes one: the deployment has just begun.
  status === null ? 'in_progress' : (DOKPLOY_DEPLOYMENT_STATES.get(status) ?? DOKPLOY_UNKNOWN_STATE);
