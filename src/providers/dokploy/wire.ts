import * as z from 'zod/mini';

/**
 * dokploy-openapi.json declares every 200 body as `{}`, so these follow Dokploy's database schema
 * (deployment, application, compose tables): only the fields we read.
 */
export const deploymentSchema = z.object({
  deploymentId: z.string(),
  title: z.string(),
  status: z.nullable(z.string()),
  createdAt: z.string(),
  errorMessage: z.optional(z.nullable(z.string())),
});
export type DokployDeployment = z.infer<typeof deploymentSchema>;

export const deploymentListSchema = z.array(deploymentSchema);

export const resourceSchema = z.object({ name: z.string() });
