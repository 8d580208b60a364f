import { permissions } from '@forge/bridge';
import { EgressType } from '@forge/egress';
import { EGRESS_GROUP } from '../../src/core/settings-api';
import { call } from './api';

/**
 * Customer-managed egress, asked of Forge from the page (@forge/bridge `permissions.egress`): the way a
 * workspace that installed the app reaches its own Dokploy, Coolify or webhook receiver without anyone
 * editing manifest.yml. Only a workspace admin can approve; Forge shows them its own confirmation.
 */

/** Forge takes at most 10 domains in a group (forge-platform.md); the app asks for one group. */
export const MAX_GROUP_DOMAINS = 10;

/** The domains of the app's group as Forge holds them now (any page may read them). */
export async function approvedDomains(): Promise<string[]> {
  const answer = await permissions.egress.get({ keys: [EGRESS_GROUP.key] });
  return (answer.results ?? [])
    .filter((group) => group.key === EGRESS_GROUP.key)
    .flatMap((group) => group.configured.filter((entry) => entry.type.includes(EgressType.FetchBackendSide)).map((entry) => entry.domain));
}

export type Approval = { ok: true } | { ok: false; message: string };

/**
 * Asks Forge to add `origins` to the app's group (the whole group is sent: a set names every domain the
 * group keeps), and tells the backend what Forge then holds, so deploys to them can leave.
 */
export async function askApproval(origins: readonly string[]): Promise<Approval> {
  const hosts = origins.map((origin) => new URL(origin).host).join(', ');
  let current: string[];
  try {
    current = await approvedDomains();
  } catch (error) {
    return {
      ok: false,
      message: `Bitbucket could not say which hosts are approved (${(error as Error).message}); nothing was saved. Try again.`,
    };
  }
  const domains = [...new Set([...current, ...origins])];
  if (domains.length > MAX_GROUP_DOMAINS) {
    return {
      ok: false,
      message: `Deploy Relay may be approved for at most ${MAX_GROUP_DOMAINS} hosts in a workspace, and ${current.length} are approved already; nothing was saved. A workspace admin can remove hosts no target uses in Atlassian Administration (Connected apps, Deploy Relay).`,
    };
  }
  try {
    await permissions.egress.set({
      egresses: [
        {
          key: EGRESS_GROUP.key,
          description: EGRESS_GROUP.description,
          configured: domains.map((domain) => ({ domain, type: [EgressType.FetchBackendSide] })),
        },
      ],
    });
  } catch {
    return {
      ok: false,
      message: `${hosts} was not approved, so nothing was saved. Only a workspace admin of this Bitbucket workspace can approve a host: ask one to open this target and save it.`,
    };
  }
  // What the group holds now is what was sent: whether `set` answers with all of it is not documented.
  const recorded = await call<{ domains: string[] }>('recordEgress', { domains });
  if (!recorded.ok) return { ok: false, message: `${hosts} was approved, but Deploy Relay could not note it: ${recorded.error.message}` };
  return { ok: true };
}

/** On load: tells the backend what Forge holds when it differs from what was recorded (a host removed by an admin). */
export async function syncApproved(recorded: readonly string[]): Promise<void> {
  let held: string[];
  try {
    held = await approvedDomains();
  } catch {
    // Forge cannot say (the feature is off for this installation): the record stays as it is.
    return;
  }
  const same = held.length === recorded.length && held.every((domain) => recorded.includes(domain));
  if (!same) await call('recordEgress', { domains: held });
}
