import * as z from 'zod/mini';
import { eventEnvelope, parseOrThrow, refName, shortText, truncatedValue } from './push-event';

/**
 * `avi:bitbucket:{created,updated,fulfilled,rejected}:pullrequest`, as Forge's "Bitbucket events"
 * reference types them: the pull request's id, state, source and destination (a branch name and a
 * commit), its title and author when given. Fulfilled is merged, rejected is declined. The commits are
 * Bitbucket's short hashes (12 characters in the reference's examples): the full hash is Bitbucket's
 * to tell (core/previews.ts). Nothing says whether the source is a fork: that too is asked of Bitbucket.
 */
export const PULL_REQUEST_ACTIONS = {
  'avi:bitbucket:created:pullrequest': 'created',
  'avi:bitbucket:updated:pullrequest': 'updated',
  'avi:bitbucket:fulfilled:pullrequest': 'merged',
  'avi:bitbucket:rejected:pullrequest': 'declined',
} as const;
type EventType = keyof typeof PULL_REQUEST_ACTIONS;
export type PullRequestAction = (typeof PULL_REQUEST_ACTIONS)[EventType];

const EVENT_TYPES = Object.keys(PULL_REQUEST_ACTIONS) as [EventType, ...EventType[]];

/** A commit as Bitbucket abbreviates it: at least 7 hex digits (the spec's pattern), at most a full hash. */
export const abbreviatedHash = z.string().check(z.regex(/^[0-9a-f]{7,40}$/i, 'must be a commit hash (7 to 40 hex digits)'));
const endpoint = z.looseObject({ branch: refName, commit: z.looseObject({ hash: abbreviatedHash }) });

const pullRequestEventSchema = z.looseObject({
  eventType: z.enum(EVENT_TYPES),
  ...eventEnvelope,
  pullrequest: z.looseObject({
    id: z.number().check(z.int(), z.positive()),
    state: shortText,
    source: endpoint,
    destination: endpoint,
    title: z.optional(truncatedValue),
    author: z.optional(z.looseObject({ accountId: z.optional(shortText), displayName: z.optional(shortText) })),
  }),
});

export interface PullRequestEvent {
  action: PullRequestAction;
  repositoryUuid: string;
  workspaceUuid: string;
  actor: { accountId: string; uuid: string };
  /** When Bitbucket emitted the event: a pull request's events are ordered by it, as pushes are. */
  timestamp: string;
  selfGenerated: boolean;
  pullRequest: {
    id: number;
    title: string;
    source: { branch: string; commit: string };
    destination: string;
    author: { accountId: string | null; displayName: string | null } | null;
  };
}

/** Parses a Forge pull-request event; throws InvalidInputError listing every problem when it is malformed. */
export function parsePullRequestEvent(input: unknown): PullRequestEvent {
  const event = parseOrThrow(pullRequestEventSchema, input, '', 'pull request event');
  const { pullrequest: pr } = event;
  return {
    action: PULL_REQUEST_ACTIONS[event.eventType],
    repositoryUuid: event.repository.uuid,
    workspaceUuid: event.workspace.uuid,
    actor: { accountId: event.actor.accountId, uuid: event.actor.uuid },
    timestamp: event.timestamp,
    selfGenerated: event.selfGenerated ?? false,
    pullRequest: {
      id: pr.id,
      title: pr.title?.value ?? '',
      source: { branch: pr.source.branch, commit: pr.source.commit.hash.toLowerCase() },
      destination: pr.destination.branch,
      author: pr.author ? { accountId: pr.author.accountId ?? null, displayName: pr.author.displayName ?? null } : null,
    },
  };
}
