/**
 * Memory each function needs, measured: a fresh `node` process requiring the function's own bundle
 * (what a Forge sandbox holds before the first event), plus the most the JavaScript heap grows while
 * that function runs under load, one invocation at a time as in a sandbox. manifest.yml's memoryMB
 * per function is set from these, with the margin this table prints.
 */
// First: the platform wraps fetch and installs the SDK's seams before anything loads @forge/api.
import { startApp, type TestApp } from '../test/platform/app';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { repoSettingsContext } from '../local/ui/context';
import { loadDefaultFixture } from '../local/bitbucket';
import { loadManifest } from '../local/manifest';
import { bundleFunction } from './bundle';
import type { Target } from '../src/core/targets';
import { FIXTURE_REPOSITORY_UUID, hashOf } from '../test/fixtures/events';
import { deployingEveryPush, drainCleanly, hookTargets, pushTo } from './pipeline';
import { type BenchResult, type Figures, round } from './report';
import { digitalOceanVendor } from './scenarios';

const ROOT = path.resolve(__dirname, '..');
const MB = 1024 * 1024;
/** The child reports its resident memory once the bundle is loaded and the garbage collected. */
const RSS_AFTER_REQUIRE = 'require(process.argv[1]); global.gc(); console.log(process.memoryUsage().rss);';
const SAMPLE_EVERY_MS = 1;

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * The most the heap grew while only `functionKey` ran, over `rounds` runs of `step`, each from a
 * collected heap. It is sampled at every platform call the function makes, when it ends (the calls
 * and invocations the platform records) and every millisecond, so short runs are caught too.
 */
async function peakGrowth(app: TestApp, functionKey: string, rounds: number, step: () => Promise<unknown>): Promise<number> {
  let baseline = 0;
  let peak = 0;
  const sample = () => {
    const running = app.platform.running();
    if (running.length === 1 && running[0] === functionKey) peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
  };
  const sampled = <T>(list: T[]) => {
    const push = list.push.bind(list);
    list.push = (...items: T[]) => {
      sample();
      return push(...items);
    };
  };
  sampled(app.platform.calls);
  sampled(app.platform.invocations);
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  try {
    for (let round = 0; round < rounds; round++) {
      collectGarbage();
      baseline = process.memoryUsage().heapUsed;
      await step();
    }
  } finally {
    clearInterval(timer);
  }
  if (!app.platform.invocations.some((run) => run.functionKey === functionKey))
    throw new Error(`the load for ${functionKey} never ran it: nothing was measured`);
  return peak;
}

const ROUNDS = 30;
/** What a trigger's load needs of its targets: the build-status trigger wakes deploys that wait for builds, the pull-request trigger plans previews. */
const TARGET_FOR_LOAD: Record<string, (target: Target) => Target> = {
  'build-status-trigger': (target) => ({ ...target, options: { ...target.options, waitForBuilds: true } }),
  'pullrequest-trigger': (target) => ({ ...target, preview: { allowForks: false } }),
};
const ADMIN = '557058:admin-0001';
const ACTOR = { accountId: ADMIN, uuid: '{a7e1c0d2-5b3f-4c8e-9d61-0f2b4a6c8e10}' };
const BUILD_PASSED = { key: 'ci', state: 'SUCCESSFUL' as const, url: 'https://ci.example.com/bench' };

/** Load for each function, one run at a time (as Forge runs a sandbox), from a collected heap each time. */
async function loadFor(functionKey: string): Promise<number> {
  const vendor = functionKey === 'status-poller' ? await digitalOceanVendor() : null;
  const app = await startApp({ routes: vendor?.scenario.routes });
  try {
    const hooks = hookTargets(app.receiver, 5, ['main']).map(TARGET_FOR_LOAD[functionKey] ?? ((target) => target));
    const targets = vendor ? vendor.scenario.targets(app) : hooks;
    await app.configure(targets.map(deployingEveryPush), vendor?.scenario.secretsOf);
    let n = 0;
    // To main, which every target here deploys (each push its own commit and a later time).
    const push = () => app.platform.emit(pushTo('main', ++n));
    // Warm: every module the function needs is loaded before the first round.
    await push();
    await drainCleanly(app.platform);
    if (functionKey === 'push-trigger') {
      // The jobs are drained between rounds, so the queue's rate limit never refuses a push.
      return await peakGrowth(app, functionKey, ROUNDS, async () => {
        await push();
        await drainCleanly(app.platform);
      });
    }
    if (functionKey === 'build-status-trigger') {
      // Each round: a push whose deploys wait for its builds, then its CI reporting green wakes them.
      return await peakGrowth(app, functionKey, ROUNDS, async () => {
        await push();
        await drainCleanly(app.platform);
        await app.platform.emit(app.platform.bitbucket.reportBuild(FIXTURE_REPOSITORY_UUID, hashOf(n), BUILD_PASSED));
        await drainCleanly(app.platform);
      });
    }
    if (functionKey === 'pullrequest-trigger') {
      // Each round: a pull request opened from a new branch (its commit made by the stand-in), then
      // updated, each event planning 5 previews.
      return await peakGrowth(app, functionKey, ROUNDS, async () => {
        const branch = `feature/${++n}`;
        const { timestamp } = pushTo(branch, n);
        app.platform.bitbucket.push(FIXTURE_REPOSITORY_UUID, { ref: branch, messages: [`Benchmark work ${n}`], timestamp, actor: ACTOR });
        const opened = app.platform.bitbucket.openPullRequest(FIXTURE_REPOSITORY_UUID, {
          title: `Benchmark pull request ${n}`,
          source: branch,
          destination: 'main',
          authorAccountId: ADMIN,
          timestamp,
        });
        await app.platform.emit(opened);
        await app.platform.emit(app.platform.bitbucket.updatePullRequest(FIXTURE_REPOSITORY_UUID, opened.pullrequest.id, timestamp));
        await drainCleanly(app.platform);
      });
    }
    if (functionKey === 'settings-resolver') {
      for (let i = 0; i < 40; i++) await push();
      await drainCleanly(app.platform);
      const fixture = loadDefaultFixture();
      const call = (name: string) =>
        app.platform.invokeResolver('settings-resolver', { functionKey: name, payload: {} }, repoSettingsContext(fixture, ADMIN), ADMIN);
      return await peakGrowth(app, functionKey, ROUNDS, async () => {
        for (const name of ['getPage', 'getHistory', 'getStats']) await call(name);
      });
    }
    return await peakGrowth(app, functionKey, ROUNDS, async () => {
      await push();
      await drainCleanly(app.platform);
    });
  } finally {
    await app.close();
    await vendor?.close();
  }
}

export async function memory(): Promise<BenchResult> {
  const manifest = loadManifest(ROOT);
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-memory-'));
  try {
    const rows: (string | number)[][] = [];
    const figures: Figures = {};
    for (const fn of manifest.functions.values()) {
      const outfile = path.join(dir, `${fn.key}.js`);
      await bundleFunction(path.join(ROOT, 'src', `${fn.file}.ts`), outfile);
      const loadedMb = Number(execFileSync(process.execPath, ['--expose-gc', '-e', RSS_AFTER_REQUIRE, outfile], { encoding: 'utf8' })) / MB;
      const growthMb = (await loadFor(fn.key)) / MB;
      const needMb = loadedMb + growthMb;
      rows.push([fn.key, round(loadedMb, 1), round(growthMb, 1), round(needMb, 1), fn.memoryMB, round(fn.memoryMB / needMb, 1)]);
      const name = fn.key.replace(/-/g, '_');
      figures[`memory_peak_mb_${name}`] = round(needMb, 1);
      figures[`memory_mb_${name}`] = fn.memoryMB;
    }
    return {
      name: 'memory',
      title: 'Memory per function: the bundle loaded in a fresh node process, plus the heap its work adds under load',
      columns: ['function', 'loaded (RSS MB)', 'heap growth under load (MB)', 'needs (MB)', 'manifest memoryMB', 'margin (×)'],
      rows,
      notes: [
        `Loaded: resident memory of a fresh node ${process.version} process once the minified bundle is required and the garbage collected; Forge's own runtime around it is not included.`,
        `Growth: the most the heap held above its level after a collection while only that function ran, over ${ROUNDS} rounds, each from a collected heap (garbage not yet collected counts, so it is an upper bound): a push to 5 targets for the push trigger, its CI reporting green to 5 deploys waiting for builds for the build-status trigger, a pull request opened and updated to 5 preview targets for the pull-request trigger, its 5 deploys for the worker, a DigitalOcean deploy's status reads for the poller, the page's first three calls over 40 deploys for the resolver.`,
        'Forge gives CPU in proportion to memory ("Increasing the function memory also increases its CPU allocation", @forge/manifest\'s schema), so a smaller size also runs slower.',
      ],
      figures,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
