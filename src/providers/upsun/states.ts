import type { StatusResult } from '../../core/provider';

type OurState = StatusResult['state'];

/**
 * upsun-openapispec-upsun.json, `components.schemas.Activity`: `state` ∈ cancelled, complete,
 * in_progress, pending, scheduled, staged; `result` ∈ failure, success (null until complete).
 * `staged` is an activity held back by manual deployments: it runs once someone deploys the environment.
 */
export const UPSUN_ACTIVITY_STATES: ReadonlyMap<string, OurState> = new Map<string, OurState>([
  ['pending', 'in_progress'],
  ['scheduled', 'in_progress'],
  ['in_progress', 'in_progress'],
  ['staged', 'in_progress'],
  ['cancelled', 'canceled'],
]);

export const UPSUN_COMPLETE_RESULTS: ReadonlyMap<string, OurState> = new Map<string, OurState>([
  ['success', 'succeeded'],
  ['failure', 'failed'],
]);

/** A state Upsun adds later keeps the activity followed instead of claiming an outcome it did not report. */
export const UPSUN_UNKNOWN_STATE: OurState = 'in_progress';
/** A complete activity will not change again; without a success result it did not succeed. */
export const UPSUN_COMPLETE_WITHOUT_RESULT: OurState = 'failed';

export function upsunState(state: string, result: string | null | undefined): OurState {
  if (state === 'complete') return (result ? UPSUN_COMPLETE_RESULTS.get(result) : undefined) ?? UPSUN_COMPLETE_WITHOUT_RESULT;
  return UPSUN_ACTIVITY_STATES.get(state) ?? UPSUN_UNKNOWN_STATE;
}
