import * as z from 'zod/mini';
import { InvalidInputError } from './errors';
// The one locale on its own: `z.locales` would bundle all ~40 of them (about 260 KiB of a 480 KiB backend).
import { en as english } from 'zod/v4/locales';

/**
 * zod/mini ships without messages ("Invalid input" for everything); the English locale gives users
 * sentences such as "Too small: expected string to have >=1 characters".
 */
z.config(english());

/** Turns zod issues into `path: message` lines a person can act on. */
export const describeIssues = (error: z.core.$ZodError): string[] =>
  error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    // An unexpected field is named by its own path, so the message points at what to remove.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => `${path ? `${path}.` : ''}${key}: not a field this request takes`);
    return [path ? `${path}: ${issue.message}` : issue.message];
  });

/** Whether a queue event's body says it is of `kind` (the deploy queue carries several; each is then parsed by its own schema). */
export const hasKind = (body: unknown, kind: string): boolean =>
  typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === kind;

/** Parses a value from outside (a queue event, a stored job) or throws InvalidInputError naming `what` and the fields. */
export function parseOrRefuse<T extends z.ZodMiniType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  throw new InvalidInputError(`Malformed ${what}: ${issues.slice(0, 5).join('; ')}`, issues);
}
