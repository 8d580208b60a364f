import { durationMs, isFinal, type Deployment } from '../../core/deployment';
import type { DeploymentView, ProviderView, TargetView } from '../../core/settings-api';
import { activeFreeze, localTimeOf } from '../../core/freeze';
import { isPaused, type Target } from '../../core/targets';
import { refusedEgress } from '../../forge/egress';
import { cancelability } from '../../core/cancel';
import { redeployability } from '../../core/redeploy';
import { allProviders, bindProvider, cancelWayOf, getProvider, noPreviewsWhy, redeployWayOf } from '../../providers/registry';

/**
 * Everything the page may see of a target: secrets only as "set" with at most their last four characters.
 * `allowedEgress` is what the installation may call (forge/egress.ts), read once for all targets.
 */
export function targetView(
  target: Target,
  deployments: { latest: DeploymentView | null; live: DeploymentView | null },
  allowedEgress: readonly string[],
  now: number,
): TargetView {
  let unapproved: string[] = [];
  try {
    unapproved = refusedEgress(target, bindProvider(target), allowedEgress);
  } catch {
    // An unknown provider or invalid settings show up when the target is verified or deployed.
  }
  return {
    id: target.id,
    name: target.name,
    environment: target.environment,
    provider: target.provider,
    enabled: target.enabled,
    paused: isPaused(target),
    preview: target.preview ?? null,
    settings: target.settings,
    secrets: Object.fromEntries(
      Object.entries(target.secretHints).map(([key, hint]) => [key, { set: true, last4: shownEnd(target, key, hint.last4) }]),
    ),
    rules: target.rules,
    options: target.options,
    latest: deployments.latest,
    live: deployments.live,
    unapprovedEgress: unapproved,
    frozen: frozenView(target, now),
    createdAt: target.createdAt,
    updatedAt: target.updatedAt,
  };
}

/** The freeze in force at `now`, as the page says it: until the local time it ends, and why. */
export function frozenView(target: Target, now: number): TargetView['frozen'] {
  const freeze = activeFreeze(target.options.freeze, now);
  return freeze ? { until: localTimeOf(freeze.endsAt, target.options.freeze.timeZone), why: freeze.why } : null;
}

/** A secret URL's end is its key: never shown, even from a hint stored before that rule. */
function shownEnd(target: Target, key: string, last4: string | null): string | null {
  try {
    return getProvider(target.provider).fields.find((f) => f.key === key)?.kind === 'url' ? null : last4;
  } catch {
    return null;
  }
}

/** The repository's targets by id, as the history's rows look them up. */
export type TargetsById = ReadonlyMap<string, Target>;
export const targetsById = (targets: readonly Target[]): TargetsById => new Map(targets.map((t) => [t.id, t]));

export const deploymentView = (d: Deployment, targets: TargetsById): DeploymentView => ({
  id: d.id,
  targetId: d.target.id,
  targetName: d.target.name,
  environment: d.target.environment,
  trigger: d.trigger,
  actor: d.actor,
  ref: d.ref.name,
  refType: d.ref.type,
  commit: d.commit.hash,
  commitMessage: d.commit.message,
  state: d.state,
  final: isFinal(d.state),
  message: d.message,
  url: d.url,
  createdAt: d.createdAt,
  durationMs: durationMs(d),
  redeploy: redeployability(d, targets.get(d.target.id) ?? null, redeployWayOf(targets.get(d.target.id))),
  cancel: cancelability(d, targets.get(d.target.id) ?? null, cancelWayOf(targets.get(d.target.id))),
  waitingFor: waitingFor(d),
  overrideGates: d.overrideGates ?? false,
  decidedBy: d.approval?.decision?.by ?? null,
});

/** The gate a waiting deploy is at: builds come first, then an approval, then the freeze's end. */
function waitingFor(d: Deployment): DeploymentView['waitingFor'] {
  if (d.state !== 'waiting') return null;
  if (d.builds && !d.builds.passed) return 'builds';
  return d.approval && !d.approval.decision ? 'approval' : 'freeze';
}

/** Built from the registry, so a new provider needs no page code. */
export const providerViews = (): ProviderView[] =>
  allProviders().map((provider) => ({
    id: provider.id,
    title: provider.title,
    fields: provider.fields.map((field) => ({
      mode: field.mode ?? null,
      key: field.key,
      label: field.label,
      kind: field.kind,
      required: field.required,
      secret: field.secret,
      help: field.help ?? null,
      options: (field.options ?? []).map((option) => ({ value: option.value, label: option.label })),
    })),
    noPreviews: noPreviewsWhy(provider),
  }));
