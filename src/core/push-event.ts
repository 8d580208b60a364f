import * as z from 'zod/mini';
import { InvalidInputError } from './errors';
import { isBracedUuid } from './ids';
import { describeIssues } from './zod-messages';

/**
 * The `avi:bitbucket:push:repository` event, as Forge's "Bitbucket events" reference types it:
 * `push` is ONE ref, a `CommitPush` (with `mainbranch: boolean`, `truncated` and `commits`) or a
 * `TagPush` (none of those); UUIDs in braces; no names, no slugs to count on, no file lists. Only the
 * documented fields are read; extra fields Forge may add later are let through, not trusted.
 * `before`/`after` are optional in the reference; the reference's earlier version typed them
 * `string | null`, so a null is read as absent.
 */
export const PUSH_EVENT_TYPE = 'avi:bitbucket:push:repository';

const uuid = z.string().check(z.refine(isBracedUuid, 'must be a UUID in braces, e.g. {0f8b…}'));
const commitHash = z.string().check(z.regex(/^[0-9a-f]{40}$/i, 'must be a 40-character commit hash'));
// Git allows long ref names but no control characters; 1,000 bounds what we carry in jobs and keys.
export const refName = z.string().check(
  z.minLength(1),
  z.maxLength(1000),
  z.refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters'),
);
export const shortText = z.string().check(z.maxLength(256));
export const truncatedValue = z.looseObject({ value: z.string().check(z.maxLength(100_000)), truncated: z.boolean() });
const actor = z.looseObject({ type: shortText, accountId: shortText, uuid: shortText });
const author = z.looseObject({ user: actor });

const commit = z.looseObject({
  hash: commitHash,
  message: truncatedValue,
  date: z.string().check(z.maxLength(64)),
  author,
});

const refFields = {
  ref: refName,
  before: z.optional(z.nullable(commitHash)),
  after: z.optional(z.nullable(commitHash)),
  created: z.boolean(),
  closed: z.boolean(),
  forced: z.boolean(),
};

const commitPush = z.looseObject({
  ...refFields,
  mainbranch: z.boolean(),
  truncated: z.boolean(),
  commits: z.array(commit).check(z.maxLength(1000)),
});

const tagPush = z.looseObject({
  ...refFields,
  date: z.optional(z.string().check(z.maxLength(64))),
  message: z.optional(truncatedValue),
  author: z.optional(author),
});

/** What every Bitbucket event of the reference carries around its own object (a push, a pull request). */
export const eventEnvelope = {
  // The event's place in order, and part of its delivery id: a timestamp that cannot be read is refused.
  timestamp: z.string().check(
    z.maxLength(64),
    z.refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 time'),
  ),
  // The reference's table lists it; none of its examples carries it.
  selfGenerated: z.optional(z.boolean()),
  actor,
  repository: z.looseObject({ uuid, slug: z.optional(shortText) }),
  project: z.looseObject({ uuid: shortText }),
  workspace: z.looseObject({ uuid }),
};

const pushEventSchema = z.looseObject({
  eventType: z.literal(PUSH_EVENT_TYPE),
  ...eventEnvelope,
  push: z.looseObject({}),
});

export type RefType = 'branch' | 'tag';

export interface CommitInfo {
  hash: string;
  message: string;
  /** The author's Atlassian account id: push events carry no names. */
  authorAccountId: string | null;
  date: string | null;
}

/** What the rest of the app needs from a push, normalised once at the edge. */
export interface Push {
  repositoryUuid: string;
  workspaceUuid: string;
  ref: { name: string; type: RefType };
  /** Whether the pushed branch is the repository's main branch; null for a tag. */
  mainbranch: boolean | null;
  before: string | null;
  /** The commit to deploy; null when the ref was deleted. */
  after: string | null;
  created: boolean;
  closed: boolean;
  forced: boolean;
  truncated: boolean;
  /** The head commit when the event carries it (branch pushes), or the tag's own message and author. */
  head: CommitInfo | null;
  commitCount: number;
  actor: { accountId: string; uuid: string };
  /** When Bitbucket emitted the event: pushes are ordered by it (delivery can be late and out of order). */
  timestamp: string;
  selfGenerated: boolean;
}

/** Parses an event (or a part of one, its fields named after `prefix`); InvalidInputError lists every problem. */
export function parseOrThrow<T extends z.ZodMiniType>(schema: T, input: unknown, prefix: string, what = 'push event'): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = describeIssues(result.error).map((issue) => prefix + issue);
  throw new InvalidInputError(`Malformed ${what}: ${issues.slice(0, 5).join('; ')}`, issues, 'INVALID_EVENT');
}

/** Parses a Forge push event; throws InvalidInputError listing every problem when it is malformed. */
export function parsePushEvent(input: unknown): Push {
  const event = parseOrThrow(pushEventSchema, input, '');
  // A union would let a branch push with one bad commit pass as a tag push: choose the shape first.
  const refPart =
    'commits' in event.push || 'mainbranch' in event.push
      ? branchRef(parseOrThrow(commitPush, event.push, 'push.'))
      : tagRef(parseOrThrow(tagPush, event.push, 'push.'));
  if (!refPart.closed && !refPart.after) {
    throw new InvalidInputError('Malformed push event: push.after is required unless the ref was deleted', [], 'INVALID_EVENT');
  }
  return {
    ...refPart,
    repositoryUuid: event.repository.uuid,
    workspaceUuid: event.workspace.uuid,
    actor: { accountId: event.actor.accountId, uuid: event.actor.uuid },
    timestamp: event.timestamp,
    selfGenerated: event.selfGenerated ?? false,
  };
}

type RefPart = Pick<
  Push,
  'ref' | 'mainbranch' | 'before' | 'after' | 'created' | 'closed' | 'forced' | 'truncated' | 'head' | 'commitCount'
>;

function commonRef(push: z.infer<typeof commitPush> | z.infer<typeof tagPush>) {
  return { before: push.before ?? null, after: push.after ?? null, created: push.created, closed: push.closed, forced: push.forced };
}

function branchRef(push: z.infer<typeof commitPush>): RefPart {
  const common = commonRef(push);
  // Bitbucket lists commits newest first; prefer the one that is `after` when it is there.
  const c = push.commits.find((candidate) => candidate.hash === common.after) ?? push.commits[0];
  return {
    ...common,
    ref: { name: push.ref, type: 'branch' },
    mainbranch: push.mainbranch,
    truncated: push.truncated,
    head: c ? { hash: c.hash, message: c.message.value, authorAccountId: c.author.user.accountId, date: c.date } : null,
    commitCount: push.commits.length,
  };
}

function tagRef(push: z.infer<typeof tagPush>): RefPart {
  const common = commonRef(push);
  return {
    ...common,
    ref: { name: push.ref, type: 'tag' },
    mainbranch: null,
    truncated: false,
    head: common.after
      ? {
          hash: common.after,
          message: push.message?.value ?? '',
          authorAccountId: push.author?.user.accountId ?? null,
          date: push.date ?? null,
        }
      : null,
    commitCount: 0,
  };
}
