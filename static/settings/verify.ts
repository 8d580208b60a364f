import type { VerifyView } from '../../src/core/settings-api';

export type Appearance = 'success' | 'error' | 'information' | 'warning';

/** What a provider's answer to "does this work?" reads as, for a saved target (Verify) or the form's values (Test connection). */
export function verifyOutcome(name: string, { ok, shapeOnly }: VerifyView): { appearance: Appearance; title: string } {
  if (!ok) return { appearance: 'error', title: `${name} did not verify` };
  return shapeOnly
    ? { appearance: 'information', title: `${name}: only the URL's shape was checked` }
    : { appearance: 'success', title: `${name} is ready` };
}
