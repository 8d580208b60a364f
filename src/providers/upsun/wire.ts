import * as z from 'zod/mini';

/** The answer of `POST https://auth.upsun.com/oauth2/token` (grant_type=api_token), per the spec's introduction. */
export const tokenSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  expires_in: z.number().check(z.positive()),
  token_type: z.optional(z.string()),
});

/** `components.schemas.Activity`: the fields we read. */
export const activitySchema = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.optional(z.string()),
  state: z.string(),
  result: z.optional(z.nullable(z.string())),
  text: z.optional(z.nullable(z.string())),
});
export type UpsunActivity = z.infer<typeof activitySchema>;

/**
 * `components.schemas.AcceptedResponse` ({status, code}) plus `_embedded`, which the spec's introduction
 * describes for every POST and providers.md for these calls: the started activities.
 */
export const acceptedSchema = z.object({
  status: z.optional(z.string()),
  code: z.optional(z.number()),
  _embedded: z.optional(z.object({ activities: z.optional(z.array(activitySchema)) })),
});

/** `components.schemas.Environment`: the fields we read. */
export const environmentSchema = z.object({
  id: z.string(),
  status: z.string(),
  can_rolling_deploy: z.optional(z.boolean()),
});
