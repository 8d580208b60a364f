import type { StatusResult } from '../../core/provider';
import { mapState } from '../kit';

type State = StatusResult['state'];

/** `readyState` to ours; providers.md: READY ok, ERROR and CANCELED not ok. */
export const READY_STATES: Readonly<Record<string, State>> = {
  QUEUED: 'in_progress',
  INITIALIZING: 'in_progress',
  BUILDING: 'in_progress',
  READY: 'succeeded',
  ERROR: 'failed',
  // Ours has a state for it, which Bitbucket shows as STOPPED.
  CANCELED: 'canceled',
};

/** A state Vercel adds later keeps being followed rather than being called an outcome. */
export const UNKNOWN_READY_STATE: State = 'in_progress';

export const readyState = (value: string) => mapState(READY_STATES, UNKNOWN_READY_STATE, value);
