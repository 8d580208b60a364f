import * as z from 'zod/mini';

/**
 * The parts of Netlify's answers we read (specs/netlify-swagger.yml, definitions `build`, `deploy`, `site`).
 * Objects are loose: the vendor adds fields freely.
 */

/** POST /sites/{site_id}/builds (200) and GET /builds/{build_id} (200): a build has no state, only done/error. */
export const buildSchema = z.object({
  id: z.string().check(z.minLength(1)),
  deploy_id: z.optional(z.nullable(z.string())),
  sha: z.optional(z.nullable(z.string())),
  done: z.optional(z.nullable(z.boolean())),
  error: z.optional(z.nullable(z.string())),
});

/** GET /deploys/{deploy_id} (200): `state` is a plain string in the spec, with no enum. */
export const deploySchema = z.object({
  id: z.string().check(z.minLength(1)),
  state: z._default(z.string(), 'new'),
  error_message: z.optional(z.nullable(z.string())),
  admin_url: z.optional(z.nullable(z.string())),
  deploy_ssl_url: z.optional(z.nullable(z.string())),
});

/** GET /sites/{site_id} (200). */
export const siteSchema = z.object({
  id: z.string(),
  name: z.optional(z.nullable(z.string())),
  ssl_url: z.optional(z.nullable(z.string())),
  url: z.optional(z.nullable(z.string())),
});

export type NetlifyBuild = z.infer<typeof buildSchema>;
export type NetlifyDeploy = z.infer<typeof deploySchema>;
