import * as z from 'zod/mini';

/**
 * The parts of DigitalOcean App Platform's answers we read (specs/digitalocean-apps.openapi3.yaml:
 * apps_deployment_response, app_response). Objects are loose: the vendor adds fields freely.
 */
const step = z.object({
  name: z.optional(z.string()),
  status: z.optional(z.string()),
  component_name: z.optional(z.string()),
  message_base: z.optional(z.string()),
  reason: z.optional(z.object({ code: z.optional(z.string()), message: z.optional(z.string()) })),
});

export const deploymentSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** apps_deployment_phase; read as a string so a new phase maps to the default instead of failing the parse. */
  phase: z._default(z.string(), 'UNKNOWN'),
  cause: z.optional(z.string()),
  created_at: z.optional(z.string()),
  services: z.optional(z.array(z.object({ name: z.optional(z.string()), source_commit_hash: z.optional(z.string()) }))),
  progress: z.optional(
    z.object({
      success_steps: z.optional(z.number()),
      error_steps: z.optional(z.number()),
      total_steps: z.optional(z.number()),
      summary_steps: z.optional(z.array(step)),
    }),
  ),
});

/** POST /v2/apps/{app_id}/deployments (200) and GET /v2/apps/{app_id}/deployments/{id} (200). */
export const deploymentResponseSchema = z.object({ deployment: deploymentSchema });

/** GET /v2/apps/{app_id}/deployments (200): apps_deployments_response, newest first. */
export const deploymentListSchema = z.object({ deployments: z._default(z.array(deploymentSchema), []) });

/** GET /v2/apps/{id} (200). */
export const appResponseSchema = z.object({
  app: z.object({
    id: z.string(),
    spec: z.optional(z.object({ name: z.optional(z.string()) })),
    live_url: z.optional(z.string()),
  }),
});

export type DoDeployment = z.infer<typeof deploymentSchema>;
