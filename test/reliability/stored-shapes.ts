import { isDeepStrictEqual } from 'node:util';
import { kvs, WhereConditions } from '@forge/kvs';
import type { LocalPlatform } from '../../local/platform';
import { deploymentSchema } from '../../src/core/deployment';
import { targetStateSchema } from '../../src/core/target-state';
import { TARGET_STATE_ENTITY } from '../../src/forge/store';

/** The most a run reports: the first few name the problem. */
const MAX_FOUND = 5;

/**
 * The deployment records and target states a run left that are not exactly what their schemas read.
 * The worker writes both unparsed (src/forge/store.ts, commitChange), so a field that core let slip in,
 * or one it left out, would otherwise go unseen until a read dropped or refused it.
 */
export async function misshapenStored(
  platform: LocalPlatform,
  repositoryUuids: readonly string[],
  lanes: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  const check = (key: string, schema: { safeParse(value: unknown): { success: boolean; data?: unknown } }, value: unknown) => {
    const read = schema.safeParse(value);
    if (found.length < MAX_FOUND && !(read.success && isDeepStrictEqual(read.data, value)))
      found.push(`stored ${key} is not exactly what its schema reads: ${JSON.stringify(value).slice(0, 300)}`);
  };
  await platform.run(async () => {
    for (const uuid of repositoryUuids) {
      const bare = uuid.replace(/[{}]/g, '');
      let cursor: string | undefined;
      do {
        let query = kvs
          .query()
          .where('key', WhereConditions.beginsWith(`deploy:${bare}:`))
          .limit(20);
        if (cursor) query = query.cursor(cursor);
        const page = await query.getMany();
        for (const { key, value } of page.results) check(key, deploymentSchema, value);
        cursor = page.nextCursor;
      } while (cursor);
      for (const lane of lanes) {
        const stored = await kvs.entity<{ state: unknown }>(TARGET_STATE_ENTITY).get(`${bare}:${lane}`);
        if (stored) check(`${TARGET_STATE_ENTITY} ${bare}:${lane}`, targetStateSchema, stored.state);
      }
    }
  });
  return found;
}
