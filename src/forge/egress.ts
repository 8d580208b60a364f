import { getAppContext } from '@forge/api';
import { hostOfAddress, undeclaredHosts } from '../core/egress';
import { DECLARED_EGRESS_HOSTS } from '../core/egress-hosts';
import { EgressNotAllowedError } from '../core/errors';
import type { Target } from '../core/targets';
import type { BoundProvider } from '../core/provider';
import { bindProvider } from '../providers/registry';

/**
 * The hosts this invocation may call: those manifest.yml declares (generated into egress-hosts.ts,
 * since Forge bundles src/ without the manifest) and those the platform reports granting. Forge puts
 * an installation's granted permissions in the invocation's app context, where @forge/api's
 * `permissions` API reads them; the local platform reports its loopback allowance there, so the app's
 * check and the platform's guard answer alike without the app knowing which platform it runs on.
 */
export function allowedEgressHosts(): string[] {
  const reported = getAppContext().permissions?.external?.fetch?.backend ?? [];
  // A `remote` entry names a Forge Remote, not a host.
  const addresses = reported.flatMap((entry) => (typeof entry === 'string' ? [entry] : 'address' in entry ? [entry.address] : []));
  return [...new Set([...DECLARED_EGRESS_HOSTS, ...addresses.map(hostOfAddress)])];
}

/** bindProvider, refusing a target whose hosts the installation may not call (before anything is sent). */
export function bindDeclaredProvider(target: Pick<Target, 'provider' | 'settings'>): BoundProvider {
  const bound = bindProvider(target);
  const undeclared = undeclaredHosts(bound.hosts, allowedEgressHosts());
  if (undeclared.length > 0) throw new EgressNotAllowedError(undeclared);
  return bound;
}
