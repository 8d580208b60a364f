import * as z from 'zod/mini';
import { InvalidInputError, RelayError } from '../core/errors';
import { HttpRejected, type HttpClient, type HttpRequest, type HttpResponse } from '../core/http';
import { redact } from '../core/redact';
import { describeIssues } from '../core/zod-messages';
import type { VerifyResult } from './types';

/**
 * Helpers every API or hook provider needs (render, vercel, netlify and digitalocean use them). They live
 * here only because this folder was the one at hand: lift them to src/providers/kit.ts when a second
 * author needs them.
 */

/** A secret the chosen mode needs; missing or blank is a configuration error, not a vendor refusal. */
export function requireSecret(secrets: Readonly<Record<string, string>>, key: string, what: string): string {
  const value = secrets[key]?.trim() ?? '';
  if (!value) throw new InvalidInputError(`${what} is not set: add it to the target's secrets.`, [`${key}: required`]);
  return value;
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
export function checkHookUrl(raw: string | undefined, shape: HookShape, key: string): CheckedHook {
  const value = raw?.trim() ?? '';
  if (!value) throw new InvalidInputError(`The ${shape.vendor} ${shape.label} is not set: add it to the target's secrets.`, [`${key}: required`]);
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
  if (url.protocol !== 'https:' || url.hostname !== shape.host || url.port !== '' || url.username || url.password || !match) return refuse();
  if (query.some((name) => !url.searchParams.get(name))) return refuse();
  const parts = [...match.slice(1), ...query.map((name) => url.searchParams.get(name) ?? '')].filter((part): part is string => Boolean(part));
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
    return { ok: false, problem: text.trim() ? 'the answer is not JSON' : 'the answer is empty' };
  }
  const result = schema.safeParse(body);
  return result.success ? { ok: true, data: result.data } : { ok: false, problem: describeIssues(result.error).slice(0, 3).join('; ') };
}

/** For status and verify: an answer we cannot read is the vendor's contract changing under us. */
export function mustReadJson<T>(schema: z.ZodMiniType<T>, response: HttpResponse, what: string, secrets: readonly string[]): T {
  const read = readJson(schema, response.text);
  if (read.ok) return read.data;
  throw new RelayError('PROVIDER_REJECTED', redact(`${what} answered ${response.status} with a body that could not be read: ${read.problem}`, secrets));
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
  return { ok: true, shapeOnly: false, message: describe(mustReadJson(schema, response, what, request.secrets)) };
}

/** The first line of a commit message, cut to `max` characters with an ellipsis. */
export function firstLine(message: string, max: number): string {
  const line = (message.split('\n')[0] ?? '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export const jsonHeaders = (token: string): Record<string, string> => ({ ...bearer(token), 'content-type': 'application/json', accept: 'application/json' });

/** A state table lookup with the default for values the vendor adds later. */
export function mapState<S extends string>(table: Readonly<Record<string, S>>, fallback: S, value: string): { state: S; known: boolean } {
  // hasOwn: a vendor state named "constructor" must not find Object.prototype's.
  const mapped = Object.hasOwn(table, value) ? table[value] : undefined;
  return mapped === undefined ? { state: fallback, known: false } : { state: mapped, known: true };
}
