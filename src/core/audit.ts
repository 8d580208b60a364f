import * as z from 'zod/mini';
import type { Target } from './targets';

/**
 * The audit log: one entry per change an admin makes through the page (a target created, changed,
 * deleted, enabled or disabled; a deploy now; a redeploy; an approval or a rejection), with who and when. Secrets are named, never
 * shown. Entries expire after AUDIT_RETENTION_DAYS (a KVS TTL, the longest Forge allows): they hold
 * account ids, and nothing else removes them.
 */
export const AUDIT_SCHEMA_VERSION = 1;
export const AUDIT_RETENTION_DAYS = 365;

export const AUDIT_ACTIONS = [
  'target.created',
  'target.changed',
  'target.deleted',
  'target.enabled',
  'target.disabled',
  'target.paused',
  'target.resumed',
  'deploy.manual',
  'deploy.redeploy',
  'deploy.approved',
  'deploy.rejected',
  'deploy.cancel',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const auditEntrySchema = z.object({
  v: z.literal(AUDIT_SCHEMA_VERSION),
  /** Sorts newest first in storage, as deployment ids do. */
  id: z.string(),
  at: z.number(),
  /** The Atlassian account that acted. */
  actor: z.nullable(z.string()),
  action: z.enum(AUDIT_ACTIONS),
  target: z.nullable(z.object({ id: z.string(), name: z.string() })),
  /** Which of the target's fields changed ("settings.appId", "rules.branches", …), not their values. */
  changed: z.array(z.string()),
  /** Which secrets were set, replaced or removed: names only. */
  secrets: z.array(z.string()),
  /** One line a person reads: what was deployed, or what the change was. */
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The fields a save changed, by name: the values may be private (a host, a branch) and the log keeps only what moved. */
export function changedFields(before: Target, after: Target): string[] {
  const changed: string[] = [];
  for (const field of ['name', 'environment', 'provider', 'enabled'] as const) if (before[field] !== after[field]) changed.push(field);
  if (!same(before.preview, after.preview)) changed.push('preview');
  for (const key of new Set([...Object.keys(before.settings), ...Object.keys(after.settings)]))
    if (!same(before.settings[key], after.settings[key])) changed.push(`settings.${key}`);
  if (!same(before.rules.branches, after.rules.branches)) changed.push('rules.branches');
  if (!same(before.rules.tags, after.rules.tags)) changed.push('rules.tags');
  if (!same(before.rules.paths, after.rules.paths)) changed.push('rules.paths');
  for (const key of Object.keys(after.options) as (keyof Target['options'])[])
    if (!same(before.options[key], after.options[key])) changed.push(`options.${key}`);
  return changed;
}

/** The names of the secrets that differ between two sets of stored values. */
export function changedSecrets(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((name) => before[name] !== after[name]).sort();
}
