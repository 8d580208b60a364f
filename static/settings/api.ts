import { invoke } from '@forge/bridge';
import { CONSENT_MESSAGE, type Result } from '../../src/core/settings-api';

const NEEDS_CONSENT = /NEEDS_AUTHENTICATION_ERR|Authentication Required/;

/**
 * Calls a resolver. Without metadata requested, invoke resolves to the resolver's own return value;
 * a failure of the bridge itself becomes an error Result so the page has one path for errors.
 */
export async function call<T>(functionKey: string, payload?: Record<string, unknown>): Promise<Result<T>> {
  try {
    return (await invoke(functionKey, payload)) as Result<T>;
  } catch (error) {
    const message = (error as Error).message;
    // A resolver lets Forge's consent error through so that Bitbucket can ask the person (forge/bitbucket.ts).
    if (NEEDS_CONSENT.test(message)) return { ok: false, error: { code: 'FORBIDDEN', message: CONSENT_MESSAGE } };
    return { ok: false, error: { code: 'INTERNAL', message: `Deploy Relay could not be reached: ${message}` } };
  }
}
