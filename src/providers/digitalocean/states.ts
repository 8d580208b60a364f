import type { StatusResult } from '../../core/provider';
import { mapState } from '../kit';

type State = StatusResult['state'];

/** deployment.phase (apps_deployment_phase) to ours; providers.md: ACTIVE ok, ERROR failed, CANCELED canceled, SUPERSEDED superseded. */
export const PHASES: Readonly<Record<string, State>> = {
  UNKNOWN: 'in_progress',
  PENDING_BUILD: 'in_progress',
  BUILDING: 'in_progress',
  PENDING_DEPLOY: 'in_progress',
  DEPLOYING: 'in_progress',
  ACTIVE: 'succeeded',
  SUPERSEDED: 'superseded',
  ERROR: 'failed',
  // providers.md counts CANCELED as "not ok"; ours has a state for it, which Bitbucket shows as STOPPED.
  CANCELED: 'canceled',
};

/** A phase DigitalOcean adds later keeps being followed rather than being called an outcome. */
export const UNKNOWN_PHASE_STATE: State = 'in_progress';

export const phaseState = (phase: string) => mapState(PHASES, UNKNOWN_PHASE_STATE, phase);
