import { isDeepStrictEqual } from 'node:util';
import { deploymentSchema } from '../../src/core/deployment';
import { targetStateSchema } from '../../src/core/target-state';
import { TARGET_STATE_ENTITY } from '../../src/forge/store';

/** The most a run reports: the first few name the problem. */
const MAX_FOUND = 5;

type Item = { key?: unknown; value?: unknown; entityName?: unknown };

/** The items a storage write sets, whatever its form: one key, a batch, a transaction or a custom entity. */
function itemsSet(op: string, body: unknown): Item[] {
  if (op === 'transaction') return ((body as { set?: Item[] }).set ?? []) as Item[];
  if (op === 'batch/set') return body as Item[];
  if (op === 'set' || op === 'entity/set') return [body as Item];
  return [];
}

/**
 * Checks every deployment record and target state an app writes, as it writes them, against what
 * their schemas read: the worker writes both unparsed (src/forge/store.ts, commitChange), so a field
 * that core let slip in, or one it left out, would otherwise go unseen until a read dropped or refused
 * it. Every write is seen, the passing ones too (a claim's lease, a retry's next attempt, a wait), not
 * only the last value of each key. Give `observe` to the platform as its onStorageWrite, then read `problems`.
 */
export function storedShapeChecker(): { observe(op: string, body: string): void; problems(): string[] } {
  const found: string[] = [];
  let checked = 0;
  const check = (what: string, schema: { safeParse(value: unknown): { success: boolean; data?: unknown } }, value: unknown) => {
    checked += 1;
    const read = schema.safeParse(value);
    if (found.length < MAX_FOUND && !(read.success && isDeepStrictEqual(read.data, value)))
      found.push(`${what} was written as its schema does not read it: ${JSON.stringify(value).slice(0, 300)}`);
  };
  return {
    // A run whose writes the checker never recognised must not pass for a clean one.
    problems: () => (checked === 0 ? ['no deployment record or target state was seen written: the shape check saw nothing'] : found),
    observe(op, body) {
      for (const item of itemsSet(op, JSON.parse(body))) {
        const key = String(item.key);
        if (item.entityName === TARGET_STATE_ENTITY)
          check(`${TARGET_STATE_ENTITY} ${key}`, targetStateSchema, (item.value as { state?: unknown }).state);
        else if (item.entityName === undefined && key.startsWith('deploy:')) check(key, deploymentSchema, item.value);
      }
    },
  };
}
