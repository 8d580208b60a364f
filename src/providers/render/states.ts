import type { StatusResult } from '../../core/provider';
import { mapState } from '../kit';

type State = StatusResult['state'];

/** A deploy's `status` to ours; providers.md: live ok, *_failed failed, deactivated superseded. */
export const STATUSES: Readonly<Record<string, State>> = {
  created: 'in_progress',
  queued: 'in_progress',
  build_in_progress: 'in_progress',
  update_in_progress: 'in_progress',
  pre_deploy_in_progress: 'in_progress',
  live: 'succeeded',
  // A newer deploy went live after this one did.
  deactivated: 'superseded',
  build_failed: 'failed',
  update_failed: 'failed',
  pre_deploy_failed: 'failed',
  // providers.md counts it as "not ok"; ours has a state for it, which Bitbucket shows as STOPPED.
  canceled: 'canceled',
};

/** A status Render adds later keeps being followed rather than being called an outcome. */
export const UNKNOWN_STATUS_STATE: State = 'in_progress';

export const deployState = (status: string) => mapState(STATUSES, UNKNOWN_STATUS_STATE, status);
