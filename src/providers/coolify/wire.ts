import * as z from 'zod/mini';

/** coolify-openapi.json, `POST /deploy` 200: `{deployments: [{message, resource_uuid, deployment_uuid}]}`. */
export const deployAnswerSchema = z.object({
  message: z.optional(z.string()),
  deployments: z.array(
    z.object({
      message: z.optional(z.string()),
      resource_uuid: z.string(),
      deployment_uuid: z.string().check(z.minLength(1)),
    }),
  ),
});

/** coolify-openapi.json, `POST /applications/{uuid}/rollback` 200: `{message, deployment_uuid}`. */
export const rollbackAnswerSchema = z.object({
  message: z.optional(z.string()),
  deployment_uuid: z.string().check(z.minLength(1)),
});

/** coolify-openapi.json, `components.schemas.ApplicationDeploymentQueue`: the fields we read. */
export const deploymentSchema = z.object({
  deployment_uuid: z.string(),
  status: z.string(),
  deployment_url: z.optional(z.nullable(z.string())),
});

/** coolify-openapi.json, `components.schemas.Application`: the fields we read. */
export const applicationSchema = z.object({
  uuid: z.string(),
  name: z.string(),
});

/** coolify-openapi.json, `DELETE /applications/{uuid}/previews/{pull_request_id}` 200: `{message}` ("Preview deletion queued."). */
export const previewDeletionSchema = z.object({ message: z.optional(z.string()) });
