import { getAppContext } from '@forge/api';
import { DECLARED_EGRESS_HOSTS } from '../core/egress-hosts';
import { EgressNotAllowedError } from '../core/errors';
import type { Target } from '../core/targets';
import { egressRefuses } from './egress-match';
import { getEgressGrants } from './store';

/**
 * The egress an invocation may use, from three places:
 * - the hosts manifest.yml declares (generated into egress-hosts.ts, since Forge bundles src/ without the
 *   manifest): the vendors' fixed API hosts;
 * - what the platform reports in the invocation's app context (@forge/api's `permissions` reads the same);
 * - the customer-managed egress a workspace admin approved on the settings page, as the page recorded it
 *   after Forge's approval resolved. Forge documents no backend call that lists those, so the app keeps
 *   its own copy; Forge still enforces the real grant on every fetch, and a refusal there is reported as
 *   the same EgressNotAllowedError (core/http.ts).
 */
export async function allowedEgress(): Promise<string[]> {
  return allowedEgressWith(await getEgressGrants());
}

/** The same, with the approvals already read. */
export const allowedEgressWith = (granted: readonly string[]): string[] => [...new Set([...staticEgress(), ...granted])];

/** The declared and reported entries: known without a storage read. */
function staticEgress(): string[] {
  const reported = getAppContext().permissions?.external?.fetch?.backend ?? [];
  // A `remote` entry names a Forge Remote, not a host.
  const addresses = reported.flatMap((entry) => (typeof entry === 'string' ? [entry] : 'address' in entry ? [entry.address] : []));
  return [...DECLARED_EGRESS_HOSTS, ...addresses];
}

/**
 * Where a target's requests go, as Forge matches them: for each host, the origin of the setting that
 * names it (scheme and port as the admin typed them), or https and the host for a vendor's fixed API.
 */
export function egressUrlsOf(target: Pick<Target, 'settings'>, bound: { hosts: readonly string[] }): string[] {
  const origins = Object.values(target.settings).flatMap((value) =>
    typeof value === 'string' && /^https?:\/\//i.test(value) && URL.canParse(value) ? [new URL(value)] : [],
  );
  return bound.hosts.map((host) => origins.find((url) => url.hostname === host.toLowerCase())?.origin ?? `https://${host}`);
}

/** The origins of this target that the installation may not call yet. */
export const refusedEgress = (
  target: Pick<Target, 'settings'>,
  bound: { hosts: readonly string[] },
  allowed: readonly string[],
): string[] => egressRefuses(egressUrlsOf(target, bound), allowed);

/** Refuses, before anything is sent, a target that calls an origin neither declared nor approved. */
export async function checkEgress(target: Pick<Target, 'settings'>, bound: { hosts: readonly string[] }): Promise<void> {
  // A vendor's fixed API is declared: the approvals are read only for a target that needs one.
  if (refusedEgress(target, bound, staticEgress()).length === 0) return;
  const refused = refusedEgress(target, bound, await allowedEgress());
  if (refused.length > 0) throw new EgressNotAllowedError(refused);
}
