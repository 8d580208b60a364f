/**
 * The backend bundle: src/index.ts bundled by esbuild as Forge would ship it (everything but Node's
 * built-ins inside, minified), its size, what fills it, and its cold import time: a fresh `node`
 * process requiring it, timed inside that process, median of several runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { type BenchResult, percentile, round } from './report';

const ROOT = path.resolve(__dirname, '..');
const IMPORT_RUNS = 9;
const LARGEST_SHOWN = 6;
/** The child prints how long `require` of the bundle took, and the functions manifest.yml names in it. */
const TIME_REQUIRE =
  'const s = performance.now(); const m = require(process.argv[1]); console.log(JSON.stringify({ ms: performance.now() - s, exports: Object.keys(m) }));';

/** `node_modules/@forge/api/out/x.js` → `@forge/api`; `src/providers/render/index.ts` → `src/providers`. */
function ownerOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return parts.slice(0, 2).join('/');
  const name = parts[at + 1] ?? '?';
  return name.startsWith('@') ? `${name}/${parts[at + 2] ?? '?'}` : name;
}

export async function bundle(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-bundle-'));
  try {
    const outfile = path.join(dir, 'index.js');
    const result = await build({
      entryPoints: [path.join(ROOT, 'src/index.ts')],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      // manifest.yml's runtime (nodejs22.x).
      target: 'node22',
      format: 'cjs',
      minify: true,
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    const bytes = statSync(outfile).size;
    const byOwner = new Map<string, number>();
    for (const output of Object.values(result.metafile.outputs)) {
      for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
        byOwner.set(ownerOf(input), (byOwner.get(ownerOf(input)) ?? 0) + bytesInOutput);
    }
    const largest = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, LARGEST_SHOWN);
    // zod/mini is small, but `z.locales.en()` through the namespace import keeps every language's messages.
    const locales = Object.values(result.metafile.outputs)
      .flatMap((output) => Object.entries(output.inputs))
      .filter(([input]) => input.includes('node_modules/zod/') && input.includes('/locales/'))
      .reduce((sum, [, { bytesInOutput }]) => sum + bytesInOutput, 0);

    const runs = Array.from(
      { length: IMPORT_RUNS },
      () =>
        JSON.parse(execFileSync(process.execPath, ['-e', TIME_REQUIRE, outfile], { encoding: 'utf8' })) as {
          ms: number;
          exports: string[];
        },
    );
    const exported = runs[0]?.exports.sort().join(', ') ?? '';
    const coldMs = percentile(
      runs.map((r) => r.ms),
      50,
    );
    const kb = (n: number) => `${round(n / 1024, 1)} KiB`;
    return {
      name: 'bundle',
      title: 'Backend bundle: esbuild of src/index.ts (node, minified, everything but Node built-ins inside)',
      columns: ['what', 'value'],
      rows: [
        ['bundle size', `${bytes} bytes (${kb(bytes)})`],
        ...largest.map(([owner, size]): [string, string] => [`  of which ${owner}`, kb(size)]),
        ["  of which zod's locales (the app sets English only)", kb(locales)],
        [`cold import, median of ${IMPORT_RUNS} fresh node processes`, `${round(coldMs, 1)} ms`],
        [
          'cold import, fastest / slowest',
          `${round(Math.min(...runs.map((r) => r.ms)), 1)} / ${round(Math.max(...runs.map((r) => r.ms)), 1)} ms`,
        ],
      ],
      notes: [
        `The import is timed inside the child (require only, not Node's own start), on ${process.version}; the bundle exports ${exported}.`,
        "@forge/api, @forge/kvs, @forge/events and @forge/resolver load without the platform: they read Forge's runtime globals only when a call is made, so the time covers evaluating the whole bundle, SDK included, but not Forge's own sandbox start or the first call's work.",
      ],
      figures: { bundle_bytes: bytes, cold_import_ms: round(coldMs, 1) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
