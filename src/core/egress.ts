/**
 * Forge egress as manifest.yml spells it. Which URLs an entry allows is decided by Forge's own matcher
 * (src/forge/egress-match.ts); the core only names the manifest's key and reads its addresses.
 */

/** Where manifest.yml declares the hosts, as messages name it. */
export const EGRESS_MANIFEST_KEY = 'permissions.external.fetch.backend';

/** `https://api.example.com/v1` → `api.example.com`; `*.example.com` and `*` stay patterns. */
export function hostOfAddress(address: string): string {
  const withoutScheme = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const host = withoutScheme.split('/')[0] ?? '';
  return host.replace(/:\d+$/, '').toLowerCase();
}
