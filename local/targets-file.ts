import * as z from 'zod/mini';
import { describeIssues } from '../src/core/zod-messages';
import { DEFAULT_OPTIONS, type Target, targetSchema } from '../src/core/targets';
import { bindProvider, noPreviewsWhy } from '../src/providers/registry';

/**
 * The targets file `npm start -- --targets FILE` reads: the targets as the settings page stores them,
 * with each target's secrets inline (for local use only) and the bookkeeping fields optional.
 */
const fileTargetSchema = z.looseObject({
  secrets: z.optional(z.record(z.string(), z.string())),
});
const fileSchema = z.object({
  repository: z.optional(z.object({ fullName: z.optional(z.nullable(z.string())) })),
  targets: z.array(fileTargetSchema).check(z.minLength(1, 'list at least one target')),
});

export interface LocalTarget {
  target: Target;
  secrets: Record<string, string>;
}

export interface TargetsFile {
  fullName: string | null;
  targets: LocalTarget[];
}

const lastFour = (value: string): string | null => (value.length >= 12 ? value.slice(-4) : null);

/** Why this target cannot be a preview target; its settings are checked as the worker will. */
function previewsRefusal(target: Target): string | null {
  const { provider, settings } = bindProvider(target);
  return noPreviewsWhy(provider, settings);
}

export function parseTargetsFile(json: unknown, now = new Date().toISOString()): TargetsFile {
  const file = fileSchema.safeParse(json);
  if (!file.success) throw new Error(`targets file: ${describeIssues(file.error).join('; ')}`);
  const targets = file.data.targets.map(({ secrets = {}, ...raw }, index) => {
    const candidate = {
      enabled: true,
      options: DEFAULT_OPTIONS,
      createdAt: now,
      updatedAt: now,
      environment: 'production',
      ...raw,
      rules: {
        branches: [],
        tags: [],
        ...(raw.rules as object),
        paths: { include: [], exclude: [], ...(raw.rules as { paths?: object })?.paths },
      },
      secretHints: Object.fromEntries(Object.entries(secrets).map(([key, value]) => [key, { last4: lastFour(value) }])),
    };
    const parsed = targetSchema.safeParse(candidate);
    if (!parsed.success) throw new Error(`targets file, target ${index + 1}: ${describeIssues(parsed.error).join('; ')}`);
    const noPreviews = parsed.data.preview ? previewsRefusal(parsed.data) : null;
    if (noPreviews) throw new Error(`targets file, target ${index + 1}: preview: ${noPreviews}`);
    return { target: parsed.data, secrets };
  });
  return { fullName: file.data.repository?.fullName ?? null, targets };
}
