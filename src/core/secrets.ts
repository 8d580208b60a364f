import * as z from 'zod/mini';
import { RelayError } from './errors';
import type { Target } from './targets';

/**
 * Where a target's secrets were saved to go: its provider, its mode and every place its settings send
 * them (the provider's hosts, and each URL setting's origin and path: a receiver at another path of a
 * shared host, webhook.site or a bucket, is another receiver). A secret is sent only
 * while the target still points where it was saved for: an admin who repoints a Dokploy address or
 * switches Render to Dokploy (both call their key `apiKey`) must enter the key again.
 */
export const secretBindingSchema = z.object({
  provider: z.string(),
  mode: z.nullable(z.string()),
  destinations: z.array(z.string()),
});
export type SecretBinding = z.infer<typeof secretBindingSchema>;

/** A target's secrets as stored: the values and what they were saved for (null: saved before bindings existed). */
export interface StoredSecrets {
  boundTo: SecretBinding | null;
  values: Record<string, string>;
}

export const NO_SECRETS: StoredSecrets = { boundTo: null, values: {} };

/** A URL setting as a destination: origin and path, without the query (a secret of its own, urlQuery). */
export function destinationOf(value: unknown): string | null {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value) || !URL.canParse(value)) return null;
  const url = new URL(value);
  return `${url.origin}${url.pathname}`;
}

/**
 * Every spelling under which a secret's parts may be quoted back: the value, and each value of a query
 * string it holds (`token=abc&env=prod` gives `abc`), raw and decoded, for redaction.
 */
export function secretParts(values: Iterable<string>): string[] {
  const parts = new Set<string>();
  for (const value of values) {
    parts.add(value);
    if (!value.includes('=')) continue;
    for (const [, part] of new URLSearchParams(value)) parts.add(part);
    for (const raw of value.split('&')) parts.add(raw.slice(raw.indexOf('=') + 1));
  }
  return [...parts].filter((part) => part !== '');
}

/** `hosts` are the provider's for these settings (BoundProvider.hosts). */
export function bindingOf(target: Pick<Target, 'provider' | 'settings'>, hosts: readonly string[]): SecretBinding {
  const mode = target.settings.mode;
  const destinations = [
    ...hosts.map((host) => host.toLowerCase()),
    ...Object.values(target.settings).flatMap((value) => destinationOf(value) ?? []),
  ];
  return { provider: target.provider, mode: typeof mode === 'string' ? mode : null, destinations: [...new Set(destinations)].sort() };
}

export const sameBinding = (a: SecretBinding, b: SecretBinding): boolean =>
  a.provider === b.provider && a.mode === b.mode && a.destinations.join('\n') === b.destinations.join('\n');

/** What changed between two bindings, as the form and the messages name it. */
export function bindingChange(from: SecretBinding, to: SecretBinding): string {
  if (from.provider !== to.provider) return 'the provider changed';
  if (from.mode !== to.mode) return 'the mode changed';
  return 'the address changed';
}

/**
 * The values to send for `target` now, or a refusal when the target no longer points where they were
 * saved for (nothing is sent; an admin enters them again). Secrets saved before bindings existed are
 * taken as saved for the target as it is; the next save binds them.
 */
export function secretsFor(
  stored: StoredSecrets,
  target: Pick<Target, 'provider' | 'settings'>,
  hosts: readonly string[],
): Record<string, string> {
  if (stored.boundTo === null || Object.keys(stored.values).length === 0) return stored.values;
  const now = bindingOf(target, hosts);
  if (sameBinding(stored.boundTo, now)) return stored.values;
  throw new RelayError(
    'INVALID_INPUT',
    `Not sent: this target's secrets were saved for ${describeBinding(stored.boundTo)}, and ${bindingChange(stored.boundTo, now)} since. ` +
      'A repository admin must enter them again in the target’s settings.',
  );
}

const describeBinding = (binding: SecretBinding): string =>
  `${binding.provider}${binding.mode ? ` (${binding.mode} mode)` : ''} at ${binding.destinations.join(', ') || 'its API'}`;
