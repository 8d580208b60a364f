import * as z from 'zod/mini';
import { DEPLOYMENT_STATES } from '../../core/deployment';
import { InvalidInputError } from '../../core/errors';
import { targetIdSchema } from '../../core/targets';
import { describeIssues } from '../../core/zod-messages';

/**
 * Resolver payloads, parsed once at the boundary (architecture.md, habit 7). Strict: a field the page
 * never sends (a `repository` naming another repository, above all) is refused, not silently ignored.
 */

// A lone UTF-16 surrogate is not text: Bitbucket's URLs and KVS keys cannot carry it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = z.refine<string>((value) => !LONE_SURROGATE.test(value), 'contains a broken character (a lone UTF-16 surrogate)');
const shortText = (max: number) => z.string().check(z.maxLength(max), wellFormed);
const strings = z.array(shortText(200)).check(z.maxLength(50));
const settingValue = z.union([shortText(2000), z.number(), z.boolean()]);

export const saveTargetPayload = z.strictObject({
  id: z.optional(targetIdSchema),
  name: shortText(200),
  environment: shortText(200),
  provider: shortText(40),
  settings: z.record(shortText(60), settingValue),
  secrets: z.record(shortText(60), z.nullable(shortText(10_000))),
  rules: z.strictObject({ branches: strings, tags: strings, paths: z.strictObject({ include: strings, exclude: strings }) }),
  options: z.strictObject({
    skipMarkers: z.boolean(),
    coalesce: z.boolean(),
    reportOnCommit: z.boolean(),
    waitForBuilds: z.optional(z.boolean()),
    buildKeys: z.optional(strings),
    // The form sends what was typed when it is no number: the target's schema then says what is wrong with it.
    buildWaitMinutes: z.optional(z.union([z.number(), shortText(20)])),
    requireApproval: z.optional(z.boolean()),
    approverNotPusher: z.optional(z.boolean()),
    approvalWaitHours: z.optional(z.union([z.number(), shortText(20)])),
    // The windows as the form's lines (core/freeze.ts reads them); left out, the target has no freeze.
    freeze: z.optional(
      z.strictObject({ timeZone: shortText(100), weekly: shortText(4000), once: shortText(10_000), during: z.enum(['wait', 'skip']) }),
    ),
  }),
  enabled: z.boolean(),
  preview: z.optional(z.nullable(z.strictObject({ allowForks: z.boolean() }))),
  expectedUpdatedAt: z.optional(shortText(40)),
});

/** Forge's own limit on customer-managed egress is 40 domains an installation (forge-platform.md). */
export const recordEgressPayload = z.strictObject({ domains: z.array(shortText(300)).check(z.maxLength(40)) });
/** As Forge's docs spell a domain: `*`, or an optional http(s) scheme, an optional leading `*.`, a host, a port and a `/`. */
export const EGRESS_DOMAIN = /^(\*|(https?:\/\/)?(\*\.)?[a-z0-9.-]+(:\d{1,5})?\/?)$/i;

// Ids become KVS keys: their format is checked before storage is asked for them.
export const targetIdPayload = z.strictObject({ id: targetIdSchema });
export const setEnabledPayload = z.strictObject({ id: targetIdSchema, enabled: z.boolean() });
export const setPausedPayload = z.strictObject({ id: targetIdSchema, paused: z.boolean() });
export const historyFilterPayload = z.strictObject({
  targetId: z.optional(targetIdSchema),
  states: z.optional(z.array(z.enum(DEPLOYMENT_STATES)).check(z.minLength(1), z.maxLength(DEPLOYMENT_STATES.length))),
  ref: z.optional(z.string().check(z.minLength(1, 'name a branch or tag'), z.maxLength(1000), wellFormed)),
});
export type HistoryFilterPayload = z.infer<typeof historyFilterPayload>;
export const historyPayload = z.strictObject({ cursor: z.optional(z.nullable(shortText(4000))), filter: z.optional(historyFilterPayload) });
export const searchBranchesPayload = z.strictObject({ text: shortText(200), patterns: z.optional(strings) });
export const deployNowPayload = z.strictObject({
  targetId: targetIdSchema,
  branch: z.string().check(z.minLength(1, 'choose a branch'), z.maxLength(1000), wellFormed),
  /** Deploy without waiting for builds, an approval or a freeze's end (recorded in the audit log). */
  overrideGates: z.optional(z.boolean()),
});

/** A record id as deploymentId (core/deployment.ts) makes them: a KVS key part, checked before storage is asked. */
const recordId = z.string().check(z.regex(/^\d{13}-[A-Za-z0-9_-]{1,64}$/, 'is not the id of a deployment'));
export const redeployPayload = z.strictObject({ deploymentId: recordId, overrideGates: z.optional(z.boolean()) });
export const cancelDeployPayload = z.strictObject({ deploymentId: recordId });
export const decideDeployPayload = z.strictObject({ deploymentId: recordId, decision: z.enum(['approve', 'reject']) });
export const auditPayload = z.strictObject({ cursor: z.optional(z.nullable(shortText(4000))) });

/** A payload that does not have the shape the page sends: INVALID_INPUT, with the fields it concerns. */
export function parsePayload<T extends z.ZodMiniType>(schema: T, payload: unknown): z.infer<T> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  throw new InvalidInputError(`The request was not understood: ${issues.slice(0, 3).join('; ')}`, issues);
}
