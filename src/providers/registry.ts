import type { Cancelable } from '../core/cancel';
import { InvalidInputError, RelayError } from '../core/errors';
import type { Target } from '../core/targets';
import { describeIssues } from '../core/zod-messages';
import type { BoundProvider, DeployProvider, RedeployWay } from '../core/provider';
import { bindingOf, type SecretBinding, type StoredSecrets } from '../core/secrets';
import { coolifyProvider } from './coolify';
import { digitalOceanProvider } from './digitalocean';
import { dokployProvider } from './dokploy';
import { herokuProvider } from './heroku';
import { netlifyProvider } from './netlify';
import { railwayProvider } from './railway';
import { renderProvider } from './render';
import { upsunProvider } from './upsun';
import { vercelProvider } from './vercel';
import { webhookProvider } from './webhook';

/** Every provider the app knows, by id: one line per provider (architecture.md, habit 2). */
const providers = new Map<string, DeployProvider<never>>(
  (
    [
      webhookProvider,
      digitalOceanProvider,
      renderProvider,
      vercelProvider,
      netlifyProvider,
      herokuProvider,
      dokployProvider,
      coolifyProvider,
      upsunProvider,
      railwayProvider,
    ] as DeployProvider<never>[]
  ).map((provider) => [provider.id, provider]),
);

export const providerIds = (): string[] => [...providers.keys()];

export function getProvider(id: string): DeployProvider<never> {
  const provider = providers.get(id);
  if (!provider) throw new RelayError('UNKNOWN_PROVIDER', `Unknown provider "${id}". Valid providers: ${providerIds().join(', ')}`);
  return provider;
}

export const allProviders = (): DeployProvider<never>[] => [...providers.values()];

/**
 * Why a provider's targets cannot be preview targets (core/previews.ts), in the form's words; null when
 * they can. With a target's checked settings, also why those settings cannot (a mode without previews).
 */
export function noPreviewsWhy(provider: DeployProvider<never>, settings?: never): string | null {
  if (!provider.previews) {
    const able = allProviders()
      .filter((p) => p.previews)
      .map((p) => p.title);
    return `${provider.title} cannot make pull-request previews in Deploy Relay yet; these can: ${able.join(', ')}`;
  }
  return settings === undefined ? null : (provider.previews.unavailable?.(settings) ?? null);
}

export function bindProvider(target: Pick<Target, 'provider' | 'settings'>): BoundProvider {
  const provider = getProvider(target.provider);
  const result = provider.settingsSchema.safeParse(target.settings);
  if (!result.success) {
    const issues = describeIssues(result.error);
    throw new InvalidInputError(`The ${provider.title} settings are not valid: ${issues.join('; ')}`, issues);
  }
  return { provider, settings: result.data, hosts: provider.hosts(result.data) };
}

/** Where `target` sends its secrets (core/secrets.ts); InvalidInputError when its settings do not bind. */
export const secretBindingOf = (target: Pick<Target, 'provider' | 'settings'>): SecretBinding =>
  bindingOf(target, bindProvider(target).hosts);

/** Secrets as they are stored for `target`: bound to its provider, mode and hosts. */
export const secretsSavedFor = (target: Pick<Target, 'provider' | 'settings'>, values: Record<string, string>): StoredSecrets => ({
  boundTo: secretBindingOf(target),
  values,
});

/** The target's provider bound to its settings; null when there is no target or its settings do not bind. */
function boundOrNull(target: Target | undefined): BoundProvider | null {
  if (!target) return null;
  try {
    return bindProvider(target);
  } catch {
    return null;
  }
}

/** Whether the target's provider can cancel a running deploy (core/cancel.ts); null when there is no target or its settings do not bind. */
export function cancelWayOf(target: Target | undefined): Cancelable | null {
  const bound = boundOrNull(target);
  if (!bound) return null;
  const { provider, settings } = bound;
  if (!provider.cancel)
    return { ok: false, why: `${provider.title} has no API call that cancels a deploy; cancel it on the vendor’s page` };
  // Providers with a hook mode and an API mode (kit.ts hookModeFields) cancel only with the API's token.
  if ((settings as { mode?: string }).mode === 'hook')
    return { ok: false, why: `A ${provider.title} hook cannot cancel a deploy; switch the target to API mode to cancel one` };
  return { ok: true };
}

/** How the target can deploy a finished deploy's commit again (core/redeploy.ts); null when there is no target or its settings do not bind. */
export function redeployWayOf(target: Target | undefined): RedeployWay | null {
  const bound = boundOrNull(target);
  return bound ? bound.provider.redeploy(bound.settings) : null;
}
