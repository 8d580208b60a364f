import * as z from 'zod/mini';

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
