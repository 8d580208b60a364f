import { EgressFilteringService } from '@forge/egress';
import { memoized } from '../core/memo';

/**
 * Whether a backend fetch to `url` is allowed by these egress entries, decided by Forge's own matcher
 * (@forge/egress, which @forge/api's `permissions` uses): the scheme must match (https when an entry
 * has none), the host exactly, port included, and `*.example.com` covers names below example.com but
 * not example.com itself. Both sides are lower-cased first: the matcher compares as written, DNS does not.
 * Imports no more than @forge/egress (and a core helper), so the local platform's guard can share it before @forge/api loads.
 */
export const egressAllows = (entries: readonly string[], url: string): boolean => egressRefuses([url], entries).length === 0;

/** The matcher decodes each entry's host and throws on a malformed one (`%zz`): such an entry allows nothing. */
function parses(entry: string): boolean {
  try {
    new EgressFilteringService([entry]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Matchers by their entries: building one parses every entry and compiles its wildcards, which cost
 * more than the match itself, and an installation's entries rarely change.
 */
const matcherFor = memoized(
  16,
  (entries: readonly string[]) => JSON.stringify(entries),
  (entries) => new EgressFilteringService(entries.map((entry) => entry.toLowerCase()).filter(parses)),
);

/** The URLs of `urls` that no entry allows, in their order, each once. */
export const egressRefuses = (urls: readonly string[], entries: readonly string[]): string[] => {
  const filter = matcherFor(entries);
  return [...new Set(urls.map((url) => url.toLowerCase()))].filter((url) => !filter.isValidUrl(url));
};
