import type * as z from 'zod/mini';
import { type ErrorCode, InvalidInputError, RelayError } from '../../core/errors';
import { type Freeze, NO_FREEZE, parseOnceLines, parseWeeklyLines } from '../../core/freeze';
import { digest } from '../../core/ids';
import { MAX_TARGETS_PER_REPOSITORY, type Target, targetSchema, type TargetsDocument } from '../../core/targets';
import { refusedEgress } from '../../forge/egress';
import { getProvider, noPreviewsWhy, secretBindingOf } from '../../providers/registry';
import type { DeployProvider, ProviderField } from '../../core/provider';
import { bindingChange, bindingOf, sameBinding, type SecretBinding, type StoredSecrets } from '../../core/secrets';
import type { saveTargetPayload } from './payloads';

export type SaveTargetPayload = z.infer<typeof saveTargetPayload>;

/** A refusal with one message per form field, shown inline next to the input. */
export class FieldErrors extends InvalidInputError {
  constructor(
    readonly fields: Record<string, string>,
    code: ErrorCode = 'INVALID_INPUT',
    /** For EGRESS_NOT_ALLOWED: the origins the page asks a workspace admin to approve. */
    readonly egress: readonly string[] = [],
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

/**
 * What the page shows of a secret once saved. Short secrets would be half given away by four
 * characters, and a secret URL ends in its key: those show only as "set".
 */
export const hintOf = (field: Pick<ProviderField, 'kind'>, value: string): string | null =>
  field.kind !== 'url' && value.length >= 12 ? value.slice(-4) : null;

/** What a target saved before bindings existed had its secrets for: the target as it was stored (null when it no longer binds). */
export function bindingOfStored(target: Target): SecretBinding | null {
  try {
    return secretBindingOf(target);
  } catch {
    return null;
  }
}

/** `rules.paths.include.2` → `paths.include`: the form's field names, not the stored shape. */
function fieldOf(path: readonly PropertyKey[]): string {
  const [first, second, third] = path.map(String);
  if (first === 'rules') return second === 'paths' ? `paths.${third ?? ''}` : (second ?? 'rules');
  if (first === 'settings' || first === 'secretHints') return `settings.${second ?? ''}`;
  if (first === 'options' && second !== undefined)
    return second === 'freeze' && third !== undefined ? `options.freeze.${third}` : `options.${second}`;
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
 * What these settings would call that the installation may not reach yet: each origin on the setting
 * that holds it (a receiver or instance URL), or on the provider when its hosts are fixed.
 */
function egressErrors(
  provider: DeployProvider<never>,
  settings: Record<string, string | number | boolean>,
  hosts: readonly string[],
  allowed: readonly string[],
): { fields: Record<string, string>; origins: string[] } {
  const origins = refusedEgress({ settings }, { hosts }, allowed);
  const fields: Record<string, string> = {};
  for (const origin of origins) {
    const holder = provider.fields.find((f) => {
      const value = settings[f.key];
      return !f.secret && typeof value === 'string' && URL.canParse(value) && new URL(value).origin === origin;
    });
    const field = holder ? `settings.${holder.key}` : 'provider';
    const host = new URL(origin).host;
    fields[field] = fields[field]
      ? `${fields[field]}; ${host} too`
      : `${host} needs a workspace admin’s approval before Deploy Relay may call it`;
  }
  return { fields, origins };
}

/**
 * A URL setting's query string (`?token=…`) is a credential more often than not: where the provider has
 * a secret field named after the setting (`url` and `urlQuery`), the query moves there, out of the
 * settings the page shows and the targets document stores in plain KVS. Edits `settings` in place.
 */
function queriesAsSecrets(provider: DeployProvider<never>, settings: Record<string, string | number | boolean>): Record<string, string> {
  const moved: Record<string, string> = {};
  for (const field of provider.fields) {
    const value = settings[field.key];
    const holder = provider.fields.find((f) => f.secret && f.key === `${field.key}Query`);
    if (field.kind !== 'url' || field.secret || !holder || typeof value !== 'string' || !URL.canParse(value)) continue;
    const url = new URL(value);
    if (url.search === '') continue;
    moved[holder.key] = url.search.slice(1);
    url.search = '';
    settings[field.key] = url.href;
  }
  return moved;
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
  /** The secrets to store for the target afterwards (all of them, bound to where they go), or null when they do not change. */
  secrets: StoredSecrets | null;
}

/**
 * Validates the form with the schemas the backend uses (the target schema and the provider's own
 * settings schema) and applies it to the document. Nothing is saved unless the whole target is valid.
 */
export function applySave(
  doc: TargetsDocument,
  input: SaveTargetPayload,
  stored: StoredSecrets,
  allowedEgress: readonly string[],
  now: string,
): SaveOutcome {
  const existing = input.id === undefined ? undefined : doc.targets.find((t) => t.id === input.id);
  if (input.id !== undefined && !existing) throw new RelayError('NOT_FOUND', 'That target no longer exists; reload the page.');
  if (existing && input.expectedUpdatedAt !== undefined && existing.updatedAt !== input.expectedUpdatedAt) {
    throw new RelayError(
      'CONFLICT',
      'This target was changed since you opened it (by another admin, or in another tab); nothing was saved. Reload the page to see the change, then make yours again.',
    );
  }
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
  if (provider) input = { ...input, secrets: { ...input.secrets, ...queriesAsSecrets(provider, settings) } };
  for (const key of Object.keys(input.secrets)) {
    if (provider && !secretKeys.has(key)) fields[`secrets.${key}`] = `${provider.title} has no secret called ${key}`;
  }

  let parsedSettings: Record<string, string | number | boolean> = settings;
  let egress: ReturnType<typeof egressErrors> = { fields: {}, origins: [] };
  let binding: SecretBinding | null = null;
  let noPreviews: string | null = null;
  if (provider) {
    const result = provider.settingsSchema.safeParse(settings);
    if (input.preview) noPreviews = noPreviewsWhy(provider, result.success ? result.data : undefined);
    if (result.success) {
      parsedSettings = result.data as Record<string, string | number | boolean>;
      const hosts = provider.hosts(result.data);
      egress = egressErrors(provider, parsedSettings, hosts, allowedEgress);
      binding = bindingOf({ provider: provider.id, settings: parsedSettings }, hosts);
    } else addIssues(fields, result.error.issues, ['settings']);
  }

  // A stored secret is kept only while the target points where it was saved for (core/secrets.ts).
  // Secrets whose destination cannot be known (the target they were saved with no longer binds) are not kept.
  const savedFor = stored.boundTo ?? (existing ? bindingOfStored(existing) : null);
  const unknown =
    savedFor === null && Object.keys(stored.values).length > 0 ? 'the settings they were saved with are no longer valid' : null;
  const cleared = binding === null ? null : savedFor && !sameBinding(savedFor, binding) ? bindingChange(savedFor, binding) : unknown;
  const kept = cleared ? {} : stored.values;

  // Secrets: left out or '' keeps the stored one, a value replaces it, null clears it.
  const secrets: Record<string, string> = {};
  const hints: Target['secretHints'] = {};
  for (const field of provider?.fields.filter((f) => f.secret) ?? []) {
    const given = input.secrets[field.key];
    const value = given === null ? undefined : given ? given : kept[field.key];
    if (value !== undefined) {
      secrets[field.key] = value;
      hints[field.key] = {
        last4: given ? hintOf(field, value) : field.kind === 'url' ? null : (existing?.secretHints[field.key]?.last4 ?? null),
      };
    } else if (field.required || (field.mode !== undefined && field.mode === parsedSettings.mode)) {
      // A mode's own secret (the hook URL of a hook, the API key of the API) is required in that mode.
      fields[`secrets.${field.key}`] = cleared
        ? `${field.label} is required: ${cleared}, so the stored one was cleared (a secret is only sent where it was saved for)`
        : `${field.label} is required`;
    }
  }

  if (noPreviews) fields.preview = noPreviews;

  const candidate = {
    id: existing?.id ?? newTargetId(input.name, new Set(doc.targets.map((t) => t.id)), now),
    name: input.name,
    environment: input.environment,
    provider: input.provider,
    settings: parsedSettings,
    secretHints: hints,
    rules: input.rules,
    options: { ...input.options, freeze: freezeOf(input.options.freeze, fields) },
    enabled: input.enabled,
    ...(input.preview ? { preview: input.preview } : {}),
    // Paused and resumed from the table, not the form: an edit keeps it as it was.
    ...(existing?.paused ? { paused: true } : {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  const parsed = targetSchema.safeParse(candidate);
  if (!parsed.success) addIssues(fields, parsed.error.issues);
  if (Object.keys(fields).length > 0 || !parsed.success) throw new FieldErrors({ ...egress.fields, ...fields });
  // The rest is valid, so the origins are the only problem: their own code tells the page to ask a
  // workspace admin to approve them (customer-managed egress), then save again.
  if (egress.origins.length > 0) throw new FieldErrors(egress.fields, 'EGRESS_NOT_ALLOWED', egress.origins);

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
  const boundTo = binding as SecretBinding;
  const unchanged = sameSecrets(secrets, stored.values) && stored.boundTo !== null && sameBinding(stored.boundTo, boundTo);
  return { doc: saved, target, secrets: unchanged ? null : { boundTo, values: secrets } };
}

/**
 * The freeze windows from the form's lines (core/freeze.ts), with a line that does not read named on
 * its field; the time zone is checked by the target's schema. No windows, no freeze (whatever the zone).
 */
function freezeOf(typed: SaveTargetPayload['options']['freeze'], fields: Record<string, string>): Freeze {
  if (!typed || (typed.weekly.trim() === '' && typed.once.trim() === '')) return NO_FREEZE;
  const weekly = parseWeeklyLines(typed.weekly);
  const once = parseOnceLines(typed.once);
  if (!weekly.ok) fields['options.freeze.weekly'] = weekly.error;
  if (!once.ok) fields['options.freeze.once'] = once.error;
  return {
    timeZone: typed.timeZone.trim(),
    weekly: weekly.ok ? weekly.windows : [],
    once: once.ok ? once.windows : [],
    during: typed.during,
  };
}

/** Forge KVS refuses a value over 240 KiB: a save is refused before it asks (and before any secret is written). */
const MAX_STORED_VALUE_BYTES = 240 * 1024;

const sameSecrets = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);
