import * as z from 'zod/mini';
import { HttpRejected } from '../../core/http';
import { describeIssues } from '../../core/zod-messages';

/** The parts of Heroku's answers we read (platform API schema: `definitions.build`, `definitions.app`). */
export const buildSchema = z.object({
  id: z.string().check(z.minLength(1)),
  status: z.string(),
});
export type HerokuBuild = z.infer<typeof buildSchema>;

export const appSchema = z.object({
  id: z.string(),
  name: z.string(),
});

/** A 2xx whose body is not what the schema promises is a refusal to guess, named as such. */
export function parseHeroku<T>(schema: z.ZodMiniType<T>, text: string, what: string): T {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpRejected(`${what}: Heroku's answer was not JSON`, null);
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpRejected(`${what}: Heroku's answer had an unexpected shape (${describeIssues(result.error).slice(0, 3).join('; ')})`, null);
  return result.data;
}
