/**
 * Forge's "Bitbucket events" type reference, transcribed field for field into strict schemas: a field
 * the reference does not list, or one of another type, is refused. They are the contract every event
 * the local platform delivers is held to (platform.ts), and the test every fixture passes
 * (test/contract/events.test.ts), so an invented field (a `mainbranch` guessed as a string) fails CI.
 *
 * Where the reference disagrees with its own examples, the examples are what Forge sends:
 * - `selfGenerated` is in every event's table and in none of its examples: optional here;
 * - `mergeCommit` is typed required for fulfilled and rejected pull requests, and the docs' declined
 *   example has none: optional here;
 * - a build status's `createdOn`/`updatedOn` are typed `Date` in one block and `string` in the other;
 *   on the wire both are strings.
 */
import { z } from 'zod';

export const PUSH_EVENT = 'avi:bitbucket:push:repository';
export const PULL_REQUEST_EVENTS = [
  'avi:bitbucket:created:pullrequest',
  'avi:bitbucket:updated:pullrequest',
  'avi:bitbucket:fulfilled:pullrequest',
  'avi:bitbucket:rejected:pullrequest',
] as const;
export const BUILD_STATUS_EVENTS = ['avi:bitbucket:created:build-status', 'avi:bitbucket:updated:build-status'] as const;

const actor = z.strictObject({ type: z.string(), accountId: z.string(), uuid: z.string() });
const envelope = {
  timestamp: z.string(),
  selfGenerated: z.boolean().optional(),
  actor,
  repository: z.strictObject({ uuid: z.string(), slug: z.string().optional() }),
  project: z.strictObject({ uuid: z.string() }),
  workspace: z.strictObject({ uuid: z.string() }),
};

const truncatedValue = z.strictObject({ value: z.string(), truncated: z.boolean() });
const author = z.strictObject({ user: actor });
const commit = z.strictObject({ hash: z.string(), message: truncatedValue, date: z.string(), author });

export const commitPushSchema = z.strictObject({
  ref: z.string(),
  mainbranch: z.boolean(),
  before: z.string().optional(),
  after: z.string().optional(),
  created: z.boolean(),
  closed: z.boolean(),
  forced: z.boolean(),
  truncated: z.boolean(),
  commits: z.array(commit),
});

export const tagPushSchema = z.strictObject({
  ref: z.string(),
  created: z.boolean(),
  forced: z.boolean(),
  closed: z.boolean(),
  before: z.string().optional(),
  after: z.string().optional(),
  date: z.string().optional(),
  message: truncatedValue.optional(),
  author: author.optional(),
});

export const pushEventSchema = z.strictObject({
  ...envelope,
  eventType: z.literal(PUSH_EVENT),
  push: z.union([commitPushSchema, tagPushSchema]),
});

const branch = z.strictObject({ branch: z.string(), commit: z.strictObject({ hash: z.string() }) });
export const pullRequestEventSchema = z.strictObject({
  ...envelope,
  eventType: z.enum(PULL_REQUEST_EVENTS),
  pullrequest: z.strictObject({
    id: z.number(),
    state: z.string(),
    source: branch,
    destination: branch,
    title: z.strictObject({ truncated: z.boolean(), value: z.string() }).optional(),
    author: z.strictObject({ type: z.string(), accountId: z.string(), uuid: z.string(), displayName: z.string() }).optional(),
    mergeCommit: z.strictObject({ hash: z.string() }).optional(),
    updatedOn: z.string().optional(),
    createdOn: z.string().optional(),
    commentCount: z.number().optional(),
    taskCount: z.number().optional(),
  }),
});

export const buildStatusEventSchema = z.strictObject({
  ...envelope,
  eventType: z.enum(BUILD_STATUS_EVENTS),
  buildStatus: z.strictObject({
    key: z.string(),
    commit: z.strictObject({ hash: z.string() }),
    state: z.string(),
    url: z.string(),
    createdOn: z.string(),
    updatedOn: z.string(),
    refName: z.string().optional(),
  }),
});

const byType = new Map<string, z.ZodType>([
  [PUSH_EVENT, pushEventSchema],
  ...PULL_REQUEST_EVENTS.map((type) => [type, pullRequestEventSchema] as const),
  ...BUILD_STATUS_EVENTS.map((type) => [type, buildStatusEventSchema] as const),
]);

/** The reference's schema for an event type, or undefined for types it does not cover (other products, fixtures). */
const documentedSchemaFor = (eventType: string): z.ZodType | undefined => byType.get(eventType);

/** Problems that make an event one Forge would never send (empty when it fits the reference). */
export function documentedShapeProblems(event: { eventType: string }): string[] {
  const schema = documentedSchemaFor(event.eventType);
  if (!schema) return [];
  const result = schema.safeParse(event);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);
}
