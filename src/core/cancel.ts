import type { Deployment } from './deployment';
import type { Target } from './targets';

/** Whether *Cancel* can stop a deploy now; or why not (the page shows it on the disabled button). */
export type Cancelable = { ok: true } | { ok: false; why: string };

const no = (why: string): Cancelable => ({ ok: false, why });

/**
 * Whether the vendor can be asked to stop `record`: only a deploy it accepted and is running (one the
 * poller follows, so it has the vendor's id), to its target as configured now. `way` is whether the
 * target's provider has a cancel call; null when there is no target or its settings do not bind.
 */
export function cancelability(
  record: Pick<Deployment, 'state' | 'vendorId' | 'target'>,
  target: Target | null,
  way: Cancelable | null,
): Cancelable {
  if (record.state !== 'in_progress') return no('Only a deploy the vendor is running can be canceled');
  if (!target) return no('Its target was deleted');
  if (target.provider !== record.target.provider) return no(`The target deploys to ${target.provider} now, not where this deploy went`);
  if (way === null) return no('The target’s settings are not valid any more; fix them to cancel');
  if (!way.ok) return way;
  if (!record.vendorId) return no('The vendor gave this deploy no id to cancel');
  return way;
}
