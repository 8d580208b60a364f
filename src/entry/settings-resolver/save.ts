import type * as z from 'zod/mini';
import { undeclaredHosts } from '../../core/egress';
import { EgressNotAllowedError, type ErrorCode, InvalidInputError, RelayError } from '../../core/errors';
import { digest } from '../../core/ids';
import { MAX_TARGETS_PER_REPOSITORY, type Target, targetSchema, type TargetsDocument } from '../../core/targets';
import { allowedEgressHosts } from '../../forge/egress';
import { getProvider } from '../../providers/registry';
import type { DeployProvider } from '../../core/provider';
import type { saveTargetPayload } from './payloads';

export type SaveTargetPayload = z.infer<typeof saveTargetPayload>;

/** A refusal with one message per form field, shown inline next to the input. */
export class FieldErrors extends InvalidInputError {
  constructor(
    readonly fields: Record<string, string>,
    code: ErrorCode = 'INVALID_INPUT',
  ) {
    super(
      `Fix the highlighted fields: ${Object.entries(fields)
        .map(([field, message]) => `${field}: ${message}`)
        .slice(0, 4)
        .join('; ')}`,
      [],
      code,
    );
  }
}

/** Short secrets would be half given away by four characters: those show only as "set". */
export const lastFour = (value: string): string | null => (value.length >= 12 ? value.slice(-4) : null);

/** `rules.paths.include.2` → `paths.include`: the form's field names, not the stored shape. */
function fieldOf(path: readonly PropertyKey[]): string {
  const [first, second, third] = path.map(String);
  if (first === 'rules') return second === 'paths' ? `paths.${third ?? ''}` : (second ?? 'rules');
  if (first === 'settings' || first === 'secretHints') return `settings.${second ?? ''}`;
  return first ?? 'target';
}

function addIssues(
  fields: Record<string, string>,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix: readonly PropertyKey[] = [],
): void {
  for (const issue of issues) {
    const field = fieldOf([...prefix, ...issue.path]);
    fields[field] ??= issue.message;
  }
}

/**
 * Field errors for the hosts these settings call that the installation may not reach, each on the
 * setting that holds the host (a receiver or instance URL), or on the provider when its hosts are fixed.
 */
function egressErrors(
  provider: DeployProvider<never>,
  settings: Record<string, string | number | boolean>,
  hosts: readonly string[],
): Record<string, string> {
  const byField = new Map<string, string[]>();
  for (const host of undeclaredHosts(hosts, allowedEgressHosts())) {
    const holder = provider.fields.find((f) => {
      const value = settings[f.key];
      return !f.secret && typeof value === 'string' && URL.canParse(value) && new URL(value).hostname === host;
    });
    const field = holder ? `settings.${holder.key}` : 'provider';
    byField.set(field, [...(byField.get(field) ?? []), host]);
  }
  return Object.fromEntries([...byField].map(([field, undeclared]) => [field, new EgressNotAllowedError(undeclared).message]));
}

function slug(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 20);
  return /^[a-z0-9]/.test(base) ? base : `t${base}`.slice(0, 20);
}

function newTargetId(name: string, taken: ReadonlySet<string>, now: string): string {
  for (let n = 0; ; n += 1) {
    const id = `${slug(name)}-${digest(name, now, String(n)).slice(0, 6)}`.replace(/-+/g, '-');
    if (!taken.has(id)) return id;
  }
}

export interface SaveOutcome {
  doc: TargetsDocument;
  target: Target;
  /** The secrets to store for the target afterwards (all of them), or null when they do not change. */
  secrets: Record<string, string> | null;
}

/**
 * Validates the form with the schemas the backend uses (the target schema and the provider's own
 * settings schema) and applies it to the document. Nothing is saved unless the whole target is valid.
 */
export function applySave(doc: TargetsDocument, input: SaveTargetPayload, storedSecrets: Record<string, string>, now: string): SaveOutcome {
  const existing = input.id === undefined ? undefined : doc.targets.find((t) => t.id === input.id);
  if (input.id !== undefined && !existing) throw new RelayError('NOT_FOUND', 'That target no longer exists; reload the page.');
  if (!existing && doc.targets.length >= MAX_TARGETS_PER_REPOSITORY) {
    throw new RelayError('INVALID_INPUT', `A repository can have at most ${MAX_TARGETS_PER_REPOSITORY} deploy targets; delete one first.`);
  }
  const fields: Record<string, string> = {};
  let provider: DeployProvider<never> | null = null;
  try {
    provider = getProvider(input.provider);
  } catch (error) {
    fields.provider = input.provider ? (error as Error).message : 'choose a provider';
  }

  const secretKeys = new Set(provider?.fields.filter((f) => f.secret).map((f) => f.key) ?? []);
  const settingKeys = new Set(provider?.fields.filter((f) => !f.secret).map((f) => f.key) ?? []);
  // Optional fields the form left empty are absent, not ''.
  const settings = Object.fromEntries(Object.entries(input.settings).filter(([key, value]) => settingKeys.has(key) && value !== ''));
  for (const key of Object.keys(input.secrets)) {
    if (provider && !secretKeys.has(key)) fields[`secrets.${key}`] = `${provider.title} has no secret called ${key}`;
  }

  // Secrets: left out or '' keeps the stored one, a value replaces it, null clears it.
  const secrets: Record<string, string> = {};
  const hints: Target['secretHints'] = {};
  for (const key of secretKeys) {
    const given = input.secrets[key];
    const value = given === null ? undefined : given ? given : storedSecrets[key];
    if (value !== undefined) {
      secrets[key] = value;
      hints[key] = given ? { last4: lastFour(value) } : (existing?.secretHints[key] ?? { last4: null });
    }
  }

  let parsedSettings: Record<string, string | number | boolean> = settings;
  let egress: Record<string, string> = {};
  if (provider) {
    const result = provider.settingsSchema.safeParse(settings);
    if (result.success) {
      parsedSettings = result.data as Record<string, string | number | boolean>;
      egress = egressErrors(provider, parsedSettings, provider.hosts(result.data));
    } else addIssues(fields, result.error.issues, ['settings']);
    for (const field of provider.fields) {
      if (field.secret && field.required && secrets[field.key] === undefined) fields[`secrets.${field.key}`] = `${field.label} is required`;
    }
  }

  const candidate = {
    id: existing?.id ?? newTargetId(input.name, new Set(doc.targets.map((t) => t.id)), now),
    name: input.name,
    environment: input.environment,
    provider: input.provider,
    settings: parsedSettings,
    secretHints: hints,
    rules: input.rules,
    options: input.options,
    enabled: input.enabled,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const parsed = targetSchema.safeParse(candidate);
  if (!parsed.success) addIssues(fields, parsed.error.issues);
  if (Object.keys(fields).length > 0 || !parsed.success) throw new FieldErrors({ ...egress, ...fields });
  // The rest is valid, so the hosts are the only problem: their own code tells the page that the fix is
  // in manifest.yml, not in the form.
  if (Object.keys(egress).length > 0) throw new FieldErrors(egress, 'EGRESS_NOT_ALLOWED');

  const target = parsed.data;
  const targets = existing ? doc.targets.map((t) => (t.id === target.id ? target : t)) : [...doc.targets, target];
  const saved = { ...doc, targets };
  const bytes = Buffer.byteLength(JSON.stringify(saved));
  if (bytes > MAX_STORED_VALUE_BYTES) {
    throw new RelayError(
      'INVALID_INPUT',
      `A repository's targets are stored as one value of at most ${MAX_STORED_VALUE_BYTES / 1024} KiB; with this change they would take ${Math.ceil(bytes / 1024)} KiB. Use fewer or shorter patterns, or remove a target.`,
    );
  }
  const changed = !sameSecrets(secrets, storedSecrets);
  return { doc: saved, target, secrets: changed ? secrets : null };
}

/** Forge KVS refuses a value over 240 KiB: a save is refused before it asks (and before any secret is written). */
const MAX_STORED_VALUE_BYTES = 240 * 1024;

const sameSecrets = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);
