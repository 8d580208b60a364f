import * as z from 'zod/mini';

/**
 * The parts of Vercel's answers we read. Vercel publishes no spec file; the contract is written out in
 * docs/providers.md and https://vercel.com/docs/rest-api/reference/endpoints/deployments. Objects are loose.
 */

/** POST /v13/deployments (200) and GET /v13/deployments/{id} (200). */
export const deploymentSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** The deployment's host name without a scheme, e.g. my-app-abc123.vercel.app. */
  url: z.optional(z.string()),
  /** Read as a string so a state Vercel adds later maps to the default instead of failing the parse. */
  readyState: z._default(z.string(), 'QUEUED'),
  errorMessage: z.optional(z.nullable(z.string())),
});

/** GET /v9/projects/{idOrName} (200). */
export const projectSchema = z.object({ id: z.string(), name: z.optional(z.string()) });

export type VercelDeployment = z.infer<typeof deploymentSchema>;
