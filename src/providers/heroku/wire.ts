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

/**
 * `definitions.review-app`: the parts we read. `status` is pending, creating, created, deleting, deleted
 * or errored; `app` is null until Heroku has made the review app's app.
 */
export const reviewAppSchema = z.object({
  id: z.string().check(z.minLength(1)),
  status: z.string(),
  pr_number: z.optional(z.nullable(z.number())),
  app: z.optional(z.nullable(z.object({ id: z.string().check(z.minLength(1)) }))),
  message: z.optional(z.nullable(z.string())),
  error_status: z.optional(z.nullable(z.string())),
});
export type HerokuReviewApp = z.infer<typeof reviewAppSchema>;
export const reviewAppListSchema = z.array(reviewAppSchema);
