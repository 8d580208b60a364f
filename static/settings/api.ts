import { invoke } from '@forge/bridge';
import type { Result } from '../../src/core/settings-api';

/**
 * Calls a resolver. Without metadata requested, invoke resolves to the resolver's own return value;
 * a failure of the bridge itself becomes an error Result so the page has one path for errors.
 */
export async function call<T>(functionKey: string, payload?: Record<string, unknown>): Promise<Result<T>> {
  try {
    return (await invoke(functionKey, payload)) as Result<T>;
  } catch (error) {
    return { ok: false, error: { code: 'INTERNAL', message: `Deploy Relay could not be reached: ${(error as Error).message}` } };
  }
}
