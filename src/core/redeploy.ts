import { type Deployment, isFinal } from './deployment';
import type { RedeployWay } from './provider';
import type { Target } from './targets';

/** Whether *Redeploy this commit* can run, and what it will do; or why it cannot (shown on the disabled button). */
export type Redeployable = { ok: true; by: 'commit' | 'rollback'; how: string } | { ok: false; why: string };

/** What a redeploy repeats, as its job carries it: where the deploy went and the vendor's id for it. */
export interface RedeployOrigin {
  provider: string;
  vendorId: string | null;
}

const no = (why: string): Redeployable => ({ ok: false, why });

/**
 * How the target, as it is configured now, can deploy again what `origin` deployed: asked by the page
 * and again by the worker before the request leaves (the target may have changed in between).
 * `way` is null when the target's settings no longer bind to its provider.
 */
export function redeployWay(origin: RedeployOrigin, target: Target, way: RedeployWay | null): Redeployable {
  if (target.provider !== origin.provider) return no(`The target deploys to ${target.provider} now, not where this deploy went`);
  if (target.preview) return no('The target makes pull-request previews now, which redeploy when their pull request gets a new commit');
  if (way === null) return no('The target’s settings are not valid any more; fix them to redeploy');
  switch (way.by) {
    case 'commit':
      return { ok: true, by: 'commit', how: 'Deploys this exact commit again' };
    case 'none':
      return no(way.why);
    case 'rollback':
      if (way.needs === 'vendorId' && origin.vendorId === null) return no('The vendor gave this deploy no id to roll back to');
      return { ok: true, by: 'rollback', how: 'Rolls back to this deploy with the vendor’s own rollback' };
  }
}

/** Whether a record of the history can be redeployed to `target` (null when it was deleted) now. */
export function redeployability(
  record: Pick<Deployment, 'state' | 'vendorId' | 'target' | 'preview'>,
  target: Target | null,
  way: RedeployWay | null,
): Redeployable {
  if (!isFinal(record.state)) return no('This deploy is still under way');
  if (record.preview) return no('A preview redeploys when its pull request gets a new commit: push to the pull request');
  if (!target) return no('Its target was deleted');
  if (!target.enabled) return no('The target is disabled; enable it to redeploy');
  const how = redeployWay({ provider: record.target.provider, vendorId: record.vendorId }, target, way);
  // A vendor rolls back to what it built and ran; DigitalOcean's rollback refuses any other deployment.
  if (how.ok && how.by === 'rollback' && record.state !== 'succeeded') return no('The vendor rolls back only to a deploy that succeeded');
  return how;
}
