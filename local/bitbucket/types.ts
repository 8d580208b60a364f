/**
 * Inputs and outputs of the Bitbucket stand-in. The fixture and push-event schemas are zod schemas
 * because both arrive as untyped JSON (a file on disk, a replayed event) and must fail loudly when
 * they are malformed instead of producing a half-built workspace.
 */
import { z } from 'zod';

export const PERMISSIONS = ['read', 'write', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const FILE_STATUSES = ['added', 'removed', 'modified', 'renamed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

const fileChangeSchema = z.object({
  path: z.string().min(1),
  /** When absent: `added` if the path does not exist at the first parent, else `modified`. */
  status: z.enum(FILE_STATUSES).optional(),
  /** The path before a rename (only with status `renamed`). */
  oldPath: z.string().min(1).optional(),
  linesAdded: z.number().int().nonnegative().optional(),
  linesRemoved: z.number().int().nonnegative().optional(),
});
export type FileChangeInput = z.infer<typeof fileChangeSchema>;

const authorSchema = z.object({
  /** Git's author line, e.g. `Ada Admin <ada@acme.test>`. */
  raw: z.string(),
  /** Links the author to a known Bitbucket user, as Bitbucket does when the e-mail matches. */
  accountId: z.string().optional(),
});
export type AuthorInput = z.infer<typeof authorSchema>;

export const commitInputSchema = z.object({
  /** 40 hex digits; generated when absent. */
  hash: z
    .string()
    .regex(/^[0-9a-f]{40}$/)
    .optional(),
  parents: z.array(z.string()).optional(),
  /** ISO 8601; defaults to the stand-in's clock. */
  date: z.string().optional(),
  author: authorSchema.optional(),
  message: z.string().optional(),
  /** Changed files: a bare path means added-or-modified (see `status`). */
  files: z.array(z.union([z.string().min(1), fileChangeSchema])).optional(),
});
export type CommitInput = z.infer<typeof commitInputSchema>;

const uuidInBraces = z.string().regex(/^\{[0-9a-f-]{36}\}$/i, 'a UUID wrapped in braces');

export const workspaceInputSchema = z.object({
  uuid: uuidInBraces,
  slug: z.string().min(1),
  name: z.string().optional(),
});
export type WorkspaceInput = z.infer<typeof workspaceInputSchema>;

export const userInputSchema = z.object({
  accountId: z.string().min(1),
  uuid: uuidInBraces.optional(),
  displayName: z.string(),
  nickname: z.string().optional(),
});
export type UserInput = z.infer<typeof userInputSchema>;

export const repositoryInputSchema = z.object({
  /** Workspace slug or `{uuid}`; the stand-in's first workspace when absent. */
  workspace: z.string().optional(),
  slug: z.string().min(1),
  uuid: uuidInBraces.optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  isPrivate: z.boolean().optional(),
  mainBranch: z.string().optional(),
});
export type RepositoryInput = z.infer<typeof repositoryInputSchema>;

const fixtureRepositorySchema = repositoryInputSchema.omit({ workspace: true }).extend({
  /** In order: parents before children. */
  commits: z.array(commitInputSchema.extend({ hash: z.string().regex(/^[0-9a-f]{40}$/) })),
  branches: z.record(z.string(), z.string()),
  tags: z.record(z.string(), z.string()).optional(),
  permissions: z.record(z.string(), z.enum(PERMISSIONS)).optional(),
});

export const workspaceFixtureSchema = z.object({
  workspace: workspaceInputSchema,
  users: z.array(userInputSchema),
  repositories: z.array(fixtureRepositorySchema),
});
export type WorkspaceFixture = z.infer<typeof workspaceFixtureSchema>;

/** `acme/web` (workspace slug / repository slug) or the repository's `{uuid}`. */
export type RepoRef = string;

export interface RepositoryInfo {
  uuid: string;
  fullName: string;
  workspaceUuid: string;
}

export interface BitbucketCaller {
  asUser: boolean;
  accountId?: string;
}

/** One answered request, as the call log keeps it. */
export interface BitbucketCall {
  method: string;
  /** Exactly as received, query string included. */
  path: string;
  asUser: boolean;
  accountId?: string;
  status: number;
  /** True when the fault injector answered instead of the workspace. */
  faulted: boolean;
}

/** A build status as Bitbucket lists it (`commitstatus` in the spec). */
export interface CommitStatusJson {
  type: 'build';
  key: string;
  state: CommitStatusState;
  url: string;
  name?: string;
  description?: string;
  refname?: string;
  created_on: string;
  updated_on: string;
  links: { self: { href: string }; commit: { href: string } };
}

export const COMMIT_STATUS_STATES = ['INPROGRESS', 'SUCCESSFUL', 'FAILED', 'STOPPED'] as const;
export type CommitStatusState = (typeof COMMIT_STATUS_STATES)[number];
