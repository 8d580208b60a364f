import * as z from 'zod/mini';
import { InvalidInputError } from '../core/errors';
import { checkOutboundUrl, HttpRejected, type HttpClient, type HttpRequest, type HttpResponse } from '../core/http';
import { describeIssues } from '../core/zod-messages';
import type { Logger } from '../core/log';
import type { DeployCall, ProviderField, StartResult, VerifyResult } from '../core/provider';

/** Helpers the providers share: secrets, hook URLs, instance URLs, reading vendor answers, state tables. */

/** A secret the chosen mode needs; missing or blank is a configuration error, not a vendor refusal. */
export function requireSecret(secrets: Readonly<Record<string, string>>, key: string, what: string): string {
  const value = secrets[key]?.trim() ?? '';
  if (!value) throw new InvalidInputError(`${what} is not set: add it to the target's secrets.`, [`${key}: required`]);
  return value;
}

/** The two fields a provider with both a hook and an API starts with: which to use, and the hook URL (a secret). */
export function hookModeFields(hook: { label: string; option: string; help: string }, apiOption: string): ProviderField[] {
  return [
    {
      key: 'mode',
      label: 'How to deploy',
      kind: 'select',
      required: true,
      secret: false,
      options: [
        { value: 'hook', label: hook.option },
        { value: 'api', label: apiOption },
      ],
    },
    { key: 'hookUrl', label: hook.label, kind: 'url', required: false, secret: true, help: hook.help, mode: 'hook' },
  ];
}

export interface HookShape {
  /** "Render": messages read "The Render deploy hook URL is not set". */
  vendor: string;
  /** "deploy hook URL" or "build hook URL". */
  label: string;
  /** What a good one looks like, with its secret parts elided: "https://api.render.com/deploy/srv-…?key=…". */
  example: string;
  /** The only host the hook may point at. */
  host: string;
  /** Matched against the URL's path; every capture group is a secret part (redacted from messages). */
  path: RegExp;
  /** Query parameters that must be present; their values are secrets too. */
  requiredQuery?: readonly string[];
}

export interface CheckedHook {
  url: URL;
  /** Each secret part of the URL, then the URL itself, for HttpRequest.secrets (the choke point shows origin + path). */
  secrets: string[];
}

/**
 * Checks a deploy hook URL's shape without sending anything. The URL is a secret, so no message here
 * ever repeats it: a person sees what was expected, not what they pasted.
 */
/** What every hook answers once the vendor took the request: accepted, and nothing more to follow. */
export const hookAccepted = (vendor: string, hook: 'deploy hook' | 'build hook', status: number): StartResult => ({
  state: 'requested',
  message: `${vendor} accepted the ${hook} (${status}); a hook does not report the outcome`,
  vendorId: null,
  url: null,
});

export function checkHookUrl(raw: string | undefined, shape: HookShape, key: string): CheckedHook {
  const value = raw?.trim() ?? '';
  if (!value)
    throw new InvalidInputError(`The ${shape.vendor} ${shape.label} is not set: add it to the target's secrets.`, [`${key}: required`]);
  const expected = `must be a ${shape.vendor} ${shape.label} (${shape.example})`;
  const refuse = (): never => {
    throw new InvalidInputError(`The ${shape.label} ${expected}.`, [`${key}: ${expected}`]);
  };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse();
  }
  const match = shape.path.exec(url.pathname);
  const query = shape.requiredQuery ?? [];
  if (url.protocol !== 'https:' || url.hostname !== shape.host || url.port !== '' || url.username || url.password || !match)
    return refuse();
  if (query.some((name) => !url.searchParams.get(name))) return refuse();
  const parts = [...match.slice(1), ...query.map((name) => url.searchParams.get(name) ?? '')].filter((part): part is string =>
    Boolean(part),
  );
  // Parts first: redaction goes in order, so messages keep the host and path with only the secret cut out.
  return { url, secrets: [...parts, value, url.toString()] };
}

/** The verify answer for a hook: its shape is all that can be checked without deploying. */
export function hookShapeVerified(raw: string | undefined, shape: HookShape, key: string): VerifyResult {
  checkHookUrl(raw, shape, key);
  const calling = shape.label.startsWith('build') ? 'calling a build hook builds' : 'calling a deploy hook deploys';
  return {
    ok: true,
    shapeOnly: true,
    message: `The ${shape.label} has the right shape (${shape.example}). Only its shape was checked: ${calling}, so nothing was sent.`,
  };
}

export type JsonRead<T> = { ok: true; data: T } | { ok: false; problem: string };

/** Parses a vendor's JSON answer at the edge (architecture.md, habit 7); never `as`. */
export function readJson<T>(schema: z.ZodMiniType<T>, text: string): JsonRead<T> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, problem: text.trim() ? 'was not JSON' : 'was empty' };
  }
  const result = schema.safeParse(body);
  return result.success
    ? { ok: true, data: result.data }
    : { ok: false, problem: `had an unexpected shape (${describeIssues(result.error).slice(0, 3).join('; ')})` };
}

/** For answers we must understand: one that cannot be read is the vendor's contract changing under us. */
export function parseAnswer<T>(vendor: string, schema: z.ZodMiniType<T>, text: string, what: string): T {
  const read = readJson(schema, text);
  if (read.ok) return read.data;
  throw new HttpRejected(`${what}: ${vendor}'s answer ${read.problem}`, null);
}

export type AcceptedRead<T> = { ok: true; data: T } | { ok: false; result: StartResult };

/**
 * Reads the answer to a deploy request that succeeded (2xx): the vendor has the deploy. An answer we
 * cannot read becomes `requested`, not an error: an error would record "failed" for a deploy that is
 * running, and a retry would deploy it twice.
 */
export function readAccepted<T>(
  vendor: string,
  what: string,
  schema: z.ZodMiniType<T>,
  response: HttpResponse,
  log: Logger,
): AcceptedRead<T> {
  const read = readJson(schema, response.text);
  if (read.ok) return read;
  log.warn(`${vendor} accepted the ${what} with an unreadable answer`, { status: response.status, problem: read.problem });
  const message = `${vendor} accepted the ${what} (${response.status}), but its answer could not be read, so it is not followed`;
  return { ok: false, result: { state: 'requested', message, vendorId: null, url: null } };
}

/**
 * Verify answers "would these credentials work?": a refusal (401, 403, 404) is a "no" to show, while a
 * fault (429, 5xx, timeout) still throws, because it says nothing about the credentials.
 */
export async function verifyByReading<T>(
  http: HttpClient,
  request: HttpRequest & { secrets: readonly string[] },
  schema: z.ZodMiniType<T>,
  what: string,
  describe: (body: T) => string,
): Promise<VerifyResult> {
  let response: HttpResponse;
  try {
    response = await http.send(request);
  } catch (error) {
    if (error instanceof HttpRejected) return { ok: false, shapeOnly: false, message: `${what} refused the credentials: ${error.message}` };
    throw error;
  }
  return { ok: true, shapeOnly: false, message: describe(parseAnswer(what, schema, response.text, `${what} verify`)) };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export const jsonHeaders = (token: string): Record<string, string> => ({
  ...bearer(token),
  'content-type': 'application/json',
  accept: 'application/json',
});

/** A state table lookup with the default for values the vendor adds later. */
export function mapState<S extends string>(table: Readonly<Record<string, S>>, fallback: S, value: string): { state: S; known: boolean } {
  // hasOwn: a vendor state named "constructor" must not find Object.prototype's.
  const mapped = Object.hasOwn(table, value) ? table[value] : undefined;
  return mapped === undefined ? { state: fallback, known: false } : { state: mapped, known: true };
}

/** A self-hosted instance (Dokploy, Coolify): how its address is described to a person. */
export interface InstanceShape {
  vendor: string;
  /** "the token": where the credential goes instead of the URL. */
  credential: string;
  /** The API prefix people paste by mistake, and how to say it: /api/v1. */
  apiSuffix: RegExp;
  apiHint: string;
}

const allowedOutbound = (value: string): boolean => {
  try {
    checkOutboundUrl(value);
    return true;
  } catch {
    return false;
  }
};

/** What is wrong with an instance address, in words a person can act on; null when it is usable. */
export function instanceUrlProblem(value: string, shape: InstanceShape): string | null {
  if (value === '') return null; // minLength says it once
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be the address of your ${shape.vendor} instance, such as https://${shape.vendor.toLowerCase()}.example.com`;
  }
  if (url.username || url.password) return `must not contain a user name or password: ${shape.credential} goes in its own field`;
  // Plain http is for a loopback test instance only; the choke point owns that rule.
  if (!['https:', 'http:'].includes(url.protocol) || (url.protocol === 'http:' && !allowedOutbound(value)))
    return 'must start with https://';
  if (url.search || url.hash || value.includes('?') || value.includes('#')) return 'must not contain ? or #';
  if (shape.apiSuffix.test(url.pathname)) return `must be the address of the instance without ${shape.apiHint} at the end`;
  return null;
}

/** The settings field for an instance address: checked as above, stored without a trailing slash. */
export const instanceUrlSchema = (shape: InstanceShape) =>
  z.string().check(
    z.trim(),
    z.minLength(1, `the address of your ${shape.vendor} instance is required`),
    z.maxLength(500),
    z.superRefine((value, ctx) => {
      const problem = instanceUrlProblem(value, shape);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
    }),
    z.overwrite((value) => value.replace(/\/+$/, '')),
  );

/**
 * The facts of one deploy as JSON: the signed webhook's body, and what a Netlify build receives as
 * INCOMING_HOOK_BODY. One shape, so a receiver written for one understands the other.
 */
export function deploySummary(call: DeployCall<unknown>): Record<string, unknown> {
  const { job, target, repository } = call;
  return {
    event: 'deploy',
    delivery_id: job.deliveryId,
    /** `push`, `manual` (Deploy now) or `redeploy` (a commit of the history deployed again). */
    trigger: job.trigger,
    environment: target.environment,
    target: { id: target.id, name: target.name },
    repository: { uuid: repository.uuid, full_name: repository.fullName, workspace: { uuid: repository.workspaceUuid } },
    ref: { name: job.ref.name, type: job.ref.type },
    commit: { hash: job.commit.hash, message: job.commit.message, author: job.commit.author, date: job.commit.date },
    previous_commit: job.previousCommit,
    actor: job.actor,
    pushed_at: job.pushedAt,
  };
}

/**
 * A preview's request body (core/previews.ts): the deploy's summary, named `preview` or
 * `preview_teardown`, with the pull request it is for. Its commit is the source's, in full.
 */
export function previewSummary(call: DeployCall<unknown>): Record<string, unknown> {
  const { job } = call;
  const preview = job.preview;
  if (!preview) return deploySummary(call);
  const { pullRequest } = preview;
  return {
    ...deploySummary(call),
    event: preview.action === 'teardown' ? 'preview_teardown' : 'preview',
    pull_request: {
      id: pullRequest.id,
      title: pullRequest.title,
      source: { branch: job.ref.name, commit: job.commit.hash },
      destination: { branch: pullRequest.destination },
      author: pullRequest.author ? { account_id: pullRequest.author.accountId, display_name: pullRequest.author.displayName } : null,
    },
  };
}
