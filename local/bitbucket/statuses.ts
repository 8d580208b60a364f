/**
 * Build statuses: validation of a posted `commitstatus` and the store that replaces by key.
 *
 * What is checked, and why:
 * - `key` and `state` (enum FAILED|INPROGRESS|STOPPED|SUCCESSFUL) are `required` in the spec's
 *   commitstatus schema.
 * - `url` is not required by the spec, but Bitbucket refuses a status without a valid one
 *   (400 `url: This field is required.` / `url: Enter a valid URL.`), so the app must send one.
 *   A URI template such as `https://ci.test/{repository.full_name}` is allowed (the spec says so).
 * - `key` longer than 40 characters is refused by Bitbucket (`Ensure this value has at most 40
 *   characters`): a key built from long ids would fail only in production otherwise.
 * The spec's base `object` also lists `type` as required, yet its own examples post without it and
 * Bitbucket accepts that, so `type` is not enforced.
 */
import { HttpError } from './http';
import type { RepositoryRecord, StatusInput, StoredStatus } from './state';
import { COMMIT_STATUS_STATES, type CommitStatusState } from './types';

export const KEY_MAX_LENGTH = 40;
const URL_SCHEMES = new Set(['http:', 'https:', 'ftp:', 'ftps:']);
const OPTIONAL_TEXT = ['name', 'description', 'refname'] as const;

const isState = (value: unknown): value is CommitStatusState =>
  typeof value === 'string' && (COMMIT_STATUS_STATES as readonly string[]).includes(value);

function isValidUrl(value: string): boolean {
  try {
    // Template variables are filled in at display time, so only the URL around them must parse.
    return URL_SCHEMES.has(new URL(value.replace(/\{[^{}]*\}/g, 'x')).protocol);
  } catch {
    return false;
  }
}

function keyError(key: unknown): string | undefined {
  if (typeof key !== 'string' || key === '') return 'This field is required.';
  if (key.length > KEY_MAX_LENGTH) return `Ensure this value has at most ${KEY_MAX_LENGTH} characters (it has ${key.length}).`;
  return undefined;
}

function stateError(state: unknown): string | undefined {
  if (state === undefined || state === null || state === '') return 'This field is required.';
  return isState(state) ? undefined : `Select a valid choice. ${String(state)} is not one of the available choices.`;
}

function urlError(url: unknown): string | undefined {
  if (url === undefined || url === null || url === '') return 'This field is required.';
  return typeof url === 'string' && isValidUrl(url) ? undefined : 'Enter a valid URL.';
}

export function parseJsonObject(body: string | undefined): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new HttpError(400, 'Bad request', 'The body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'Bad request', 'The body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** A 400 names every bad field as `field: reason`, as Bitbucket's message does. */
export function validateStatus(fields: Record<string, unknown>): StatusInput {
  const errors: Array<[string, string | undefined]> = [
    ['key', keyError(fields.key)],
    ['state', stateError(fields.state)],
    ['url', urlError(fields.url)],
    ...OPTIONAL_TEXT.map((name): [string, string | undefined] => [
      name,
      fields[name] === undefined || typeof fields[name] === 'string' ? undefined : 'Enter a valid value.',
    ]),
  ];
  const messages = errors.flatMap(([name, error]) => (error === undefined ? [] : [`${name}: ${error}`]));
  if (messages.length > 0) throw new HttpError(400, messages.join(' '));
  return fields as unknown as StatusInput;
}

/** Same key replaces: creation time and list position stay, the rest is the new post's. */
export function saveStatus(repository: RepositoryRecord, hash: string, input: StatusInput, now: string): StoredStatus {
  const byKey = repository.statuses.get(hash) ?? new Map<string, StoredStatus>();
  repository.statuses.set(hash, byKey);
  const status: StoredStatus = {
    key: input.key,
    state: input.state,
    url: input.url,
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.refname === undefined ? {} : { refname: input.refname }),
    createdOn: byKey.get(input.key)?.createdOn ?? now,
    updatedOn: now,
  };
  byKey.set(input.key, status);
  return status;
}
