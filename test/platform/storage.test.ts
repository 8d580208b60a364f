import { hookTarget, startApp, type TestApp } from './app';
import { kvs, WhereConditions } from '@forge/kvs';
import type { BranchDeletion, PreviewSource } from '../../src/core/previews';
import { type Deployment, deploymentSchema } from '../../src/core/deployment';
import { targetStateSchema } from '../../src/core/target-state';
import {
  listDeployments,
  listPlanned,
  markPlanned,
  noteBranchDeleted,
  notePreviewSource,
  TARGET_STATE_ENTITY,
} from '../../src/forge/store';
import { commitOf, FIXTURE_REPOSITORY_UUID, makePushEvent } from '../fixtures/events';
import { storedShapeChecker } from './stored-shapes';
import branchPush from '../fixtures/events/branch-push.json';

const bareRepo = FIXTURE_REPOSITORY_UUID.replace(/[{}]/g, '');

describe('stored records are parsed on read', () => {
  let app: TestApp;
  afterEach(async () => {
    await app.close();
  });

  it('a corrupt targets document stops the push with an error naming the key, and nothing is queued', async () => {
    app = await startApp();
    await app.platform.run(() => kvs.set(`targets:${bareRepo}`, { schemaVersion: 1, targets: 'not a list' }));
    app.platform.resetCalls();
    const [outcome] = await app.platform.emit(branchPush);
    expect(outcome?.ok).toBe(false);
    expect(outcome?.error?.message).toMatch(new RegExp(`^Stored record targets:${bareRepo} is corrupt: `));
    expect(app.platform.calls.filter((c) => c.seam === 'queue')).toEqual([]);
  });

  it('a corrupt deployment record is reported beside the good ones, not dropped silently', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await app.platform.emit(branchPush);
    await app.platform.drain();
    await app.platform.run(() => kvs.set(`deploy:${bareRepo}:0000000000000-broken`, { schemaVersion: 1, state: 'exploded' }));
    const page = await app.platform.run(() => listDeployments(FIXTURE_REPOSITORY_UUID, 10));
    expect(page.deployments.map((d) => d.state)).toEqual(['requested']);
    expect(page.corrupt).toEqual([
      { key: `deploy:${bareRepo}:0000000000000-broken`, message: expect.stringMatching(/^Stored record deploy:.*-broken is corrupt: /) },
    ]);
  });

  it('lists more records than one KVS query holds (20) in pages of 20, and its cursor goes on after the last record returned', async () => {
    app = await startApp();
    await app.configure([hookTarget(app.receiver)]);
    await app.platform.emit(branchPush);
    await app.platform.drain();
    const prefix = `deploy:${bareRepo}:`;
    const [real] = (await app.platform.run(() => kvs.query().where('key', WhereConditions.beginsWith(prefix)).getMany())).results;
    // 45 records and 2 corrupt ones among them: 47 keys under the prefix in all.
    await app.platform.run(async () => {
      await kvs.delete(real!.key);
      for (let n = 0; n < 47; n += 1) {
        const id = `${String(n).padStart(13, '0')}-job${n}`;
        await kvs.set(prefix + id, n === 7 || n === 33 ? { schemaVersion: 1, state: 'exploded' } : { ...(real!.value as object), id });
      }
    });
    app.platform.resetCalls();
    const first = await app.platform.run(() => listDeployments(FIXTURE_REPOSITORY_UUID, 30));
    expect(first.deployments.length + first.corrupt.length).toBe(30);
    expect(first.corrupt.map((c) => c.key)).toEqual([`${prefix}0000000000007-job7`]);
    expect(first.nextCursor).not.toBeNull();
    const second = await app.platform.run(() => listDeployments(FIXTURE_REPOSITORY_UUID, 30, first.nextCursor!));
    expect(second.deployments.length + second.corrupt.length).toBe(17);
    expect(second.corrupt.map((c) => c.key)).toEqual([`${prefix}0000000000033-job33`]);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.deployments, ...second.deployments].map((d) => d.id);
    const expected = Array.from({ length: 47 }, (_, n) => `${String(n).padStart(13, '0')}-job${n}`).filter((_, n) => n !== 7 && n !== 33);
    expect(ids).toEqual(expected);
    // 20 + 10, then one of 20 that finds the last 17: never more than Forge's 20 a query (the local KVS refuses more).
    expect(app.platform.calls.filter((c) => c.seam === 'kvs' && c.op === 'query')).toHaveLength(3);
  });

  it('reads planned pushes past a front of stale marks (older than the last push sent) and names them for removal', async () => {
    app = await startApp();
    const mark = (order: number) => ({ jobKey: `job-${order}`, order, commit: 'c0'.repeat(20) });
    const marks = Array.from({ length: 25 }, (_, i) => ({ lane: 'target-1', push: mark(i + 1), coalesce: false }));
    await app.platform.run(() => markPlanned(FIXTURE_REPOSITORY_UUID, [...marks, { lane: 'target-1', push: mark(40), coalesce: false }]));
    app.platform.resetCalls();
    const { planned, stale } = await app.platform.run(() => listPlanned(FIXTURE_REPOSITORY_UUID, 'target-1', mark(30)));
    expect(planned.map((push) => push.order)).toEqual([40]);
    expect(stale.map((push) => push.order)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // A first page of 5 and one of 20 held only stale marks; a third found the live one.
    expect(app.platform.calls.filter((call) => call.op === 'query')).toHaveLength(3);
  });
});

describe('what the deploy worker writes unparsed is exactly what its schemas read', () => {
  let app: TestApp;
  afterEach(async () => {
    await app.close();
  });

  it('a record retried, then accepted, one refused, and their target’s state hold every field their schemas read and no other', async () => {
    // The first push is answered 500 (retried), then 200; the second push 400 (refused, failed).
    const answers = [500, 200, 400];
    // Every write on the way too (the claim with its lease, the retry), not only what is left at the end.
    const shapes = storedShapeChecker();
    app = await startApp({ respond: (index) => answers[index] ?? 200, onStorageWrite: shapes.observe });
    const target = hookTarget(app.receiver, { id: 'staging-hook' });
    await app.configure([target]);
    await app.platform.emit(branchPush);
    await app.platform.drain();
    await app.platform.emit(makePushEvent({ push: { after: 'b2'.repeat(20), commits: [commitOf('b2'.repeat(20), 'Second')] } }));
    await app.platform.drain();
    const stored = await app.platform.run(async () => ({
      records: (
        await kvs
          .query()
          .where('key', WhereConditions.beginsWith(`deploy:${bareRepo}:`))
          .getMany()
      ).results.map((r) => r.value),
      state: await kvs.entity<{ version: number; state: unknown }>(TARGET_STATE_ENTITY).get(`${bareRepo}:${target.id}`),
    }));
    expect(stored.records.map((record) => (record as Deployment).state)).toEqual(expect.arrayContaining(['requested', 'failed']));
    expect(stored.records).toHaveLength(2);
    for (const record of stored.records) expect(deploymentSchema.parse(record)).toStrictEqual(record);
    expect(stored.state?.state).toMatchObject({ sent: { commit: 'b2'.repeat(20), state: 'failed' } });
    expect(targetStateSchema.parse(stored.state?.state)).toStrictEqual(stored.state?.state);
    expect(shapes.problems()).toEqual([]);
  });
});

describe('a deleted branch and its pull requests’ checks meet through their notes', () => {
  let app: TestApp;
  afterEach(async () => {
    await app.close();
  });

  const deletion = (order: number): BranchDeletion => ({
    deliveryId: `delete-${order}`,
    actor: { accountId: 'acc-1', uuid: null },
    timestamp: new Date(order).toISOString(),
    order,
  });
  const source = (id: number): PreviewSource => ({
    pullRequest: { id, title: `PR ${id}`, destination: 'main', author: { accountId: 'acc-1', displayName: 'Ada' } },
    commit: 'abc123def456',
    targetIds: ['preview-hook'],
  });

  it('a check reads the newest deletion of its branch, however late the older ones were written', async () => {
    app = await startApp();
    // Forge delivers events late and out of order: the deletions arrive newest, oldest, middle.
    const orders = [1_796_000_300_000, 1_796_000_100_000, 1_796_000_200_000];
    for (const order of orders) await app.platform.run(() => noteBranchDeleted(FIXTURE_REPOSITORY_UUID, 'feature/login', deletion(order)));
    const seen = await app.platform.run(() => notePreviewSource(FIXTURE_REPOSITORY_UUID, 'feature/login', source(7)));
    expect(seen).toEqual({ deletion: deletion(1_796_000_300_000), corrupt: 0 });
    // Another branch's deletions are not this one's.
    const other = await app.platform.run(() => notePreviewSource(FIXTURE_REPOSITORY_UUID, 'feature/log', source(8)));
    expect(other).toEqual({ deletion: null, corrupt: 0 });
  });

  it('a deletion reads the checks noted before it, each pull request once', async () => {
    app = await startApp();
    for (const id of [7, 9, 7]) await app.platform.run(() => notePreviewSource(FIXTURE_REPOSITORY_UUID, 'feature/login', source(id)));
    const seen = await app.platform.run(() => noteBranchDeleted(FIXTURE_REPOSITORY_UUID, 'feature/login', deletion(1_796_000_100_000)));
    expect(seen.corrupt).toBe(0);
    // The notes come in no promised order: each pull request once is what counts.
    const ids = seen.sources.map((s) => s.pullRequest.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids)).toEqual(new Set([7, 9]));
  });
});
