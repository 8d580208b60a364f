import * as z from 'zod/mini';
import { InvalidInputError } from '../../core/errors';
import { describeIssues } from '../../core/zod-messages';

/** Resolver payloads, parsed once at the boundary (architecture.md, habit 7). */

const shortText = (max: number) => z.string().check(z.maxLength(max));
const strings = z.array(shortText(200)).check(z.maxLength(50));
const settingValue = z.union([shortText(2000), z.number(), z.boolean()]);

export const saveTargetPayload = z.object({
  id: z.optional(shortText(40)),
  name: shortText(200),
  environment: shortText(200),
  provider: shortText(40),
  settings: z.record(shortText(60), settingValue),
  secrets: z.record(shortText(60), z.nullable(shortText(10_000))),
  rules: z.object({ branches: strings, tags: strings, paths: z.object({ include: strings, exclude: strings }) }),
  options: z.object({ skipMarkers: z.boolean(), coalesce: z.boolean(), reportOnCommit: z.boolean() }),
  enabled: z.boolean(),
});

export const targetIdPayload = z.object({ id: shortText(40) });
export const setEnabledPayload = z.object({ id: shortText(40), enabled: z.boolean() });
export const historyPayload = z.object({ cursor: z.optional(z.nullable(shortText(4000))) });
export const searchBranchesPayload = z.object({ text: shortText(200), patterns: z.optional(strings) });
export const deployNowPayload = z.object({ targetId: shortText(40), branch: z.string().check(z.minLength(1, 'choose a branch'), z.maxLength(1000)) });

/** A payload that does not have the shape the page sends: INVALID_INPUT, with the fields it concerns. */
export function parsePayload<T extends z.ZodMiniType>(schema: T, payload: unknown): z.infer<T> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  throw new InvalidInputError(`The request was not understood: ${issues.slice(0, 3).join('; ')}`, issues);
}
