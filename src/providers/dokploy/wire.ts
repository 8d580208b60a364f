import * as z from 'zod/mini';
import { HttpRejected } from '../../core/http';
import { describeIssues } from '../../core/zod-messages';

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

export function parseDokploy<T>(schema: z.ZodMiniType<T>, text: string, what: string): T {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpRejected(`${what}: Dokploy's answer was not JSON`, null);
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpRejected(`${what}: Dokploy's answer had an unexpected shape (${describeIssues(result.error).slice(0, 3).join('; ')})`, null);
  return result.data;
}
