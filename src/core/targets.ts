import * as z from 'zod/mini';
import { freezeSchema, NO_FREEZE } from './freeze';

/**
 * A deploy target as a repository stores it. Secrets are not part of it: they live in Forge's secret
 * store, and the target keeps only a hint that each one is set (at most its last four characters).
 */
export const MAX_TARGETS_PER_REPOSITORY = 50; // one queue push carries at most 50 events
/** How long a deploy waits for its builds unless the target says otherwise. */
export const DEFAULT_BUILD_WAIT_MINUTES = 60;
/** How long a deploy waits for an approval unless the target says otherwise. */
export const DEFAULT_APPROVAL_WAIT_HOURS = 24;
const MAX_PATTERNS = 50;

const pattern = z.string().check(z.trim(), z.minLength(1, 'a pattern cannot be empty'), z.maxLength(200));
const patterns = z.array(pattern).check(z.maxLength(MAX_PATTERNS));

// Bitbucket refuses commit status keys over 40 characters; ours are `deploy-relay-<target id>`.
export const targetIdSchema = z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,26}$/, 'must be 1-27 lowercase letters, digits or dashes'));

export const rulesSchema = z.object({
  branches: patterns,
  tags: patterns,
  paths: z.object({ include: patterns, exclude: patterns }),
});

/** How long a deploy may wait for something, as a whole number of `unit`: at least one, at most `max` (`most`, in words). */
const waitLimit = (unit: 'minutes' | 'hours', max: number, most: string, fallback: number) =>
  z._default(
    z
      .number(`must be a whole number of ${unit}`)
      .check(
        z.int(`must be a whole number of ${unit}`),
        z.minimum(1, `wait at least ${unit === 'hours' ? 'an hour' : 'a minute'}`),
        z.maximum(max, `wait at most ${most} (${max} ${unit})`),
      ),
    fallback,
  );

export const optionsSchema = z.object({
  /** Honour [skip deploy], [skip ci] and the like in the head commit's message. */
  skipMarkers: z.boolean(),
  /** When several pushes queue up for this target, deploy only the newest commit. */
  coalesce: z.boolean(),
  /** Post the deploy's progress as a commit status on Bitbucket. */
  reportOnCommit: z.boolean(),
  /** Deploy a commit only once its builds pass (core/builds.ts); stored before this option, a target does not wait. */
  waitForBuilds: z._default(z.boolean(), false),
  /** The build keys to wait for (glob patterns); empty: every build on the commit. */
  buildKeys: z._default(patterns, []),
  /** How long a deploy waits for its builds before it ends as blocked. */
  buildWaitMinutes: waitLimit('minutes', 1440, 'a day', DEFAULT_BUILD_WAIT_MINUTES),
  /** A deploy waits until a repository admin approves it on the settings page. */
  requireApproval: z._default(z.boolean(), false),
  /** The approver must be someone other than whoever pushed (or asked for) the deploy. */
  approverNotPusher: z._default(z.boolean(), false),
  /** How long a deploy waits for its approval before it ends as blocked. */
  approvalWaitHours: waitLimit('hours', 168, 'a week', DEFAULT_APPROVAL_WAIT_HOURS),
  /** Times the target does not deploy (core/freeze.ts); stored before this option, a target has none. */
  freeze: z._default(freezeSchema, NO_FREEZE),
});

const settingValue = z.union([z.string().check(z.maxLength(2000)), z.number(), z.boolean()]);

export const targetSchema = z.object({
  id: targetIdSchema,
  name: z.string().check(z.trim(), z.minLength(1, 'a name is required'), z.maxLength(80)),
  environment: z.string().check(z.trim(), z.minLength(1, 'an environment is required'), z.maxLength(40)),
  provider: z.string().check(z.minLength(1), z.maxLength(40)),
  settings: z.record(z.string().check(z.maxLength(60)), settingValue),
  secretHints: z.record(z.string().check(z.maxLength(60)), z.object({ last4: z.nullable(z.string().check(z.maxLength(4))) })),
  rules: rulesSchema,
  options: optionsSchema,
  enabled: z.boolean(),
  /** Pushes do not deploy to it (they are recorded as skipped); Deploy now and Redeploy still do. Absent on targets saved before pausing existed. */
  paused: z.optional(z.boolean()),
  /**
   * A preview target (core/previews.ts): it deploys open pull requests whose destination branch its
   * rules match, each in a preview of its own, and no pushes. A fork's pull request is previewed only
   * when `allowForks` says so: its code is not the repository's.
   */
  preview: z.optional(z.object({ allowForks: z.boolean() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type Target = z.infer<typeof targetSchema>;

/** Why a push to a paused target deploys nothing: the skip its record shows. */
export const PAUSED_SKIP_REASON = 'automatic deploys of this target are paused';
export const isPaused = (target: Target): boolean => target.paused === true;
export const isPreviewTarget = (target: Target): boolean => target.preview !== undefined;
export type TargetRules = z.infer<typeof rulesSchema>;
export type TargetOptions = z.infer<typeof optionsSchema>;

export const TARGETS_SCHEMA_VERSION = 1;

export const targetsDocumentSchema = z.object({
  schemaVersion: z.literal(TARGETS_SCHEMA_VERSION),
  repository: z.object({
    uuid: z.string(),
    workspaceUuid: z.string(),
    /** `workspace/slug`, known once the settings page has saved; sent in webhook bodies. */
    fullName: z.nullable(z.string()),
  }),
  targets: z.array(targetSchema).check(z.maxLength(MAX_TARGETS_PER_REPOSITORY)),
});

/** All targets of one repository: one KVS value, so a push costs one storage read. */
export type TargetsDocument = z.infer<typeof targetsDocumentSchema>;

export const DEFAULT_OPTIONS: TargetOptions = {
  skipMarkers: true,
  coalesce: true,
  reportOnCommit: true,
  waitForBuilds: false,
  buildKeys: [],
  buildWaitMinutes: DEFAULT_BUILD_WAIT_MINUTES,
  requireApproval: false,
  approverNotPusher: false,
  approvalWaitHours: DEFAULT_APPROVAL_WAIT_HOURS,
  freeze: NO_FREEZE,
};
