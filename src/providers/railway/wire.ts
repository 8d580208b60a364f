import * as z from 'zod/mini';
import { HttpRejected } from '../../core/http';
import { redact } from '../../core/redact';
import { describeIssues } from '../../core/zod-messages';

/** A GraphQL answer: errors arrive with HTTP 200, so they are checked before the data. */
const envelopeSchema = z.object({
  data: z.optional(z.nullable(z.unknown())),
  errors: z.optional(z.array(z.object({ message: z.string() }))),
});

export const deployDataSchema = z.object({ serviceInstanceDeployV2: z.string().check(z.minLength(1)) });

export const deploymentDataSchema = z.object({
  deployment: z.object({
    id: z.string(),
    status: z.string(),
    projectId: z.string(),
    serviceId: z.nullable(z.string()),
    environmentId: z.string(),
  }),
});

export const serviceDataSchema = z.object({
  service: z.object({ id: z.string(), name: z.string() }),
  serviceInstance: z.object({ id: z.string(), environmentId: z.string() }),
});

/** The data of a GraphQL answer, or a refusal carrying Railway's first error message (secrets redacted). */
export function parseRailway<T>(schema: z.ZodMiniType<T>, text: string, what: string, secrets: readonly string[]): T {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpRejected(`${what}: Railway's answer was not JSON`, null);
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) throw new HttpRejected(`${what}: Railway's answer was not a GraphQL response`, null);
  const [first] = envelope.data.errors ?? [];
  if (first) throw new HttpRejected(`${what}: Railway answered: ${redact(first.message, secrets).slice(0, 300)}`, 200);
  const data = schema.safeParse(envelope.data.data);
  if (!data.success)
    throw new HttpRejected(
      `${what}: Railway's answer had an unexpected shape (${describeIssues(data.error).slice(0, 3).join('; ')})`,
      null,
    );
  return data.data;
}
