import * as z from 'zod/mini';
import { InvalidInputError } from './errors';
import { isBracedUuid } from './ids';
import { describeIssues } from './zod-messages';

/**
 * The `avi:bitbucket:push:repository` event as Forge delivers it: one ref per event, UUIDs in braces,
 * no slugs and no file lists (shared/docs/forge-platform.md). A tag push has no `commits` and no
 * `mainbranch`; that is how it is told from a branch push.
 */
export const PUSH_EVENT_TYPE = 'avi:bitbucket:push:repository';

const uuid = z.string().check(z.refine(isBracedUuid, 'must be a UUID in braces, e.g. {0f8b…}'));
const commitHash = z.string().check(z.regex(/^[0-9a-f]{40}$/i, 'must be a 40-character commit hash'));
// Git allows long ref names but no control characters; 1,000 bounds what we carry in jobs and keys.
const refName = z.string().check(
  z.minLength(1),
  z.maxLength(1000),
  z.refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters'),
);
const text = z.string().check(z.maxLength(100_000));
const message = z.object({ value: text, truncated: z.optional(z.boolean()) });

const user = z.looseObject({
  accountId: z.optional(z.string().check(z.maxLength(256))),
  uuid: z.optional(z.string().check(z.maxLength(256))),
  displayName: z.optional(z.string().check(z.maxLength(1000))),
});
const author = z.looseObject({ user: z.optional(z.nullable(user)), raw: z.optional(text) });

const commit = z.looseObject({
  hash: commitHash,
  message: z.optional(message),
  date: z.optional(z.string().check(z.maxLength(64))),
  author: z.optional(z.nullable(author)),
});

const refFields = {
  ref: refName,
  before: z.optional(z.nullable(commitHash)),
  after: z.optional(z.nullable(commitHash)),
  created: z.boolean(),
  closed: z.boolean(),
  forced: z.optional(z.boolean()),
};

const branchPush = z.looseObject({
  ...refFields,
  mainbranch: z.optional(refName),
  truncated: z.optional(z.boolean()),
  commits: z.array(commit).check(z.maxLength(1000)),
});

const tagPush = z.looseObject({
  ...refFields,
  date: z.optional(z.string().check(z.maxLength(64))),
  message: z.optional(message),
  author: z.optional(z.nullable(author)),
});

const pushEventSchema = z.looseObject({
  eventType: z.literal(PUSH_EVENT_TYPE),
  timestamp: z.optional(z.string().check(z.maxLength(64))),
  selfGenerated: z.optional(z.boolean()),
  actor: z.optional(
    z.looseObject({
      type: z.optional(z.string()),
      accountId: z.optional(z.string().check(z.maxLength(256))),
      uuid: z.optional(z.string().check(z.maxLength(256))),
    }),
  ),
  repository: z.looseObject({ uuid, slug: z.optional(z.string().check(z.maxLength(256))) }),
  workspace: z.looseObject({ uuid }),
  project: z.optional(z.looseObject({ uuid: z.optional(z.string()) })),
  push: z.looseObject({}),
});

export type RefType = 'branch' | 'tag';

export interface CommitInfo {
  hash: string;
  message: string;
  author: string | null;
  date: string | null;
}

/** What the rest of the app needs from a push, normalised once at the edge. */
export interface Push {
  repositoryUuid: string;
  workspaceUuid: string;
  ref: { name: string; type: RefType };
  mainBranch: string | null;
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
  actor: { accountId: string | null; uuid: string | null };
  /** When the push happened (delivery can be late); null when the event does not say. */
  pushedAt: string | null;
  selfGenerated: boolean;
}

function parseOrThrow<T extends z.ZodMiniType>(schema: T, input: unknown, prefix: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = describeIssues(result.error).map((issue) => prefix + issue);
  throw new InvalidInputError(`Malformed push event: ${issues.slice(0, 5).join('; ')}`, issues, 'INVALID_EVENT');
}

type ParsedAuthor = z.infer<typeof author> | null | undefined;
// Every job of the push carries it and one queue push holds 200 KB: a 100,000-character `raw` would not fit.
const authorName = (a: ParsedAuthor): string | null => (a?.user?.displayName ?? a?.raw ?? null)?.slice(0, 200) ?? null;

/** Parses a Forge push event; throws InvalidInputError listing every problem when it is malformed. */
export function parsePushEvent(input: unknown): Push {
  const event = parseOrThrow(pushEventSchema, input, '');
  // A union would let a branch push with one bad commit pass as a tag push: choose the shape first.
  const refPart =
    'commits' in event.push ? branchRef(parseOrThrow(branchPush, event.push, 'push.')) : tagRef(parseOrThrow(tagPush, event.push, 'push.'));
  const after = refPart.after;
  if (!refPart.closed && !after) {
    throw new InvalidInputError('Malformed push event: push.after is required unless the ref was deleted', [], 'INVALID_EVENT');
  }
  return {
    ...refPart,
    repositoryUuid: event.repository.uuid,
    workspaceUuid: event.workspace.uuid,
    actor: { accountId: event.actor?.accountId ?? null, uuid: event.actor?.uuid ?? null },
    pushedAt: event.timestamp ?? null,
    selfGenerated: event.selfGenerated ?? false,
  };
}

type RefPart = Pick<
  Push,
  'ref' | 'mainBranch' | 'before' | 'after' | 'created' | 'closed' | 'forced' | 'truncated' | 'head' | 'commitCount'
>;

function commonRef(push: z.infer<typeof branchPush> | z.infer<typeof tagPush>) {
  return {
    before: push.before ?? null,
    after: push.after ?? null,
    created: push.created,
    closed: push.closed,
    forced: push.forced ?? false,
  };
}

function branchRef(push: z.infer<typeof branchPush>): RefPart {
  const common = commonRef(push);
  // Bitbucket lists commits newest first; prefer the one that is `after` when it is there.
  const c = push.commits.find((candidate) => candidate.hash === common.after) ?? push.commits[0];
  return {
    ...common,
    ref: { name: push.ref, type: 'branch' },
    mainBranch: push.mainbranch ?? null,
    truncated: push.truncated ?? false,
    head: c ? { hash: c.hash, message: c.message?.value ?? '', author: authorName(c.author), date: c.date ?? null } : null,
    commitCount: push.commits.length,
  };
}

function tagRef(push: z.infer<typeof tagPush>): RefPart {
  const common = commonRef(push);
  return {
    ...common,
    ref: { name: push.ref, type: 'tag' },
    mainBranch: null,
    truncated: false,
    head: common.after
      ? { hash: common.after, message: push.message?.value ?? '', author: authorName(push.author), date: push.date ?? null }
      : null,
    commitCount: 0,
  };
}
