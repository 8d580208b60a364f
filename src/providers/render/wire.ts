import * as z from 'zod/mini';

/**
 * The parts of Render's answers we read. Render publishes no spec file; the contract is written out in
 * docs/providers.md and https://api-docs.render.com/reference/create-deploy. Objects are loose.
 */

/** A deploy: POST /v1/services/{serviceId}/deploys (201) and GET /v1/services/{serviceId}/deploys/{deployId}. */
export const deploySchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** Read as a string so a status Render adds later maps to the default instead of failing the parse. */
  status: z._default(z.string(), 'created'),
  trigger: z.optional(z.string()),
  commit: z.optional(z.object({ id: z.optional(z.string()), message: z.optional(z.string()) })),
});

/** GET /v1/services/{serviceId}: the service itself, not wrapped. */
export const serviceSchema = z.object({
  id: z.string(),
  name: z.optional(z.string()),
  type: z.optional(z.string()),
});

export type RenderDeploy = z.infer<typeof deploySchema>;
