import type { StatusResult } from '../../core/provider';
import { mapState } from '../kit';

type State = StatusResult['state'];

/**
 * A deploy's `state` to ours. The spec types it as a bare string; providers.md: ready ok, error failed,
 * anything else still in progress. The names below are the ones Netlify's dashboard and API show.
 */
export const DEPLOY_STATES: Readonly<Record<string, State>> = {
  new: 'in_progress',
  pending_review: 'in_progress',
  accepted: 'in_progress',
  enqueued: 'in_progress',
  building: 'in_progress',
  uploading: 'in_progress',
  uploaded: 'in_progress',
  preparing: 'in_progress',
  prepared: 'in_progress',
  processing: 'in_progress',
  processed: 'in_progress',
  retrying: 'in_progress',
  ready: 'succeeded',
  error: 'failed',
  // A deploy held for review and then refused never goes live: following it longer would wait forever.
  rejected: 'failed',
};

/** Per providers.md, any other state is still in progress. */
export const UNKNOWN_DEPLOY_STATE: State = 'in_progress';

export const deployState = (state: string) => mapState(DEPLOY_STATES, UNKNOWN_DEPLOY_STATE, state);
