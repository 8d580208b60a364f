import type { StatusResult } from '../../core/provider';

type OurState = StatusResult['state'];

/** `definitions.build.definitions.status` in Heroku's platform API schema: failed, pending, succeeded. */
export const HEROKU_BUILD_STATES: ReadonlyMap<string, OurState> = new Map<string, OurState>([
  ['pending', 'in_progress'],
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
]);

/** A status Heroku adds later keeps the build followed instead of claiming an outcome it did not report. */
export const HEROKU_UNKNOWN_STATE: OurState = 'in_progress';

export const herokuState = (status: string): OurState => HEROKU_BUILD_STATES.get(status) ?? HEROKU_UNKNOWN_STATE;

/**
 * `definitions.review-app.definitions.status`. A review app that is deleting or deleted no longer
 * serves the preview it was made for, so a deploy that ends there has failed.
 */
export const HEROKU_REVIEW_APP_STATES: ReadonlyMap<string, OurState> = new Map<string, OurState>([
  ['pending', 'in_progress'],
  ['creating', 'in_progress'],
  ['created', 'succeeded'],
  ['errored', 'failed'],
  ['deleting', 'failed'],
  ['deleted', 'failed'],
]);

export const reviewAppState = (status: string): OurState => HEROKU_REVIEW_APP_STATES.get(status) ?? HEROKU_UNKNOWN_STATE;
