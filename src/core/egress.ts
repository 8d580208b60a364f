import picomatch from 'picomatch';

/**
 * Forge egress as the app reasons about it. Forge refuses any outbound call to a host that the
 * installation was not granted, so a target whose host is missing is refused when saved and when run,
 * with the fix in the message, instead of failing on the platform after the retries.
 */

/** Where manifest.yml declares the hosts, as messages name it. */
export const EGRESS_MANIFEST_KEY = 'permissions.external.fetch.backend';

/** `https://api.example.com/v1` → `api.example.com`; `*.example.com` and `*` stay patterns. */
export function hostOfAddress(address: string): string {
  const withoutScheme = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  return host.replace(/:\d+$/, '').toLowerCase();
}

/**
 * Whether one of the declared entries lets the app call `host`. As Forge matches them: a name matches
 * itself, `*.example.com` any name below example.com (at any depth) but not example.com itself, and
 * `*` every host.
 */
export function declares(declared: readonly string[], host: string): boolean {
  const name = host.toLowerCase();
  // Only wildcard entries are globs: an exact name such as `[::1]` would read as a character class.
  return declared.some((entry) => entry === name || (entry.includes('*') && picomatch.isMatch(name, entry)));
}

/** The hosts of `hosts` that no declared entry allows, in their order, each once. */
export const undeclaredHosts = (hosts: readonly string[], declared: readonly string[]): string[] =>
  [...new Set(hosts.map((host) => host.toLowerCase()))].filter((host) => !declares(declared, host));
