/**
 * The backend bundles: each function manifest.yml names, bundled by esbuild from its own handler file
 * as Forge's bundler does (one file per handler, everything but Node's built-ins inside, minified),
 * its size, what fills it, and its cold import: a fresh `node` process requiring it, timed inside that
 * process, median of several runs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { loadManifest } from '../local/manifest';
import { type BenchResult, type Figures, percentile, round } from './report';

const ROOT = path.resolve(__dirname, '..');
const IMPORT_RUNS = 9;
/** The goals, minified: the trigger runs on every push, the worker on every deploy. */
const GOAL_BYTES: Record<string, number> = { 'push-trigger': 60 * 1024, 'deploy-worker': 150 * 1024 };
const GOAL_COLD_IMPORT_MS = 30;
/** The child prints how long `require` of the bundle took. */
const TIME_REQUIRE = 'const s = performance.now(); require(process.argv[1]); console.log(performance.now() - s);';

/** `node_modules/@forge/api/out/x.js` → `@forge/api`; `src/providers/render/index.ts` → `src/providers`. */
function ownerOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return parts.slice(0, 2).join('/');
  const name = parts[at + 1] ?? '?';
  return name.startsWith('@') ? `${name}/${parts[at + 2] ?? '?'}` : name;
}

/** The Forge SDK and what its CommonJS modules require (no bundler can leave out parts of those). */
const isSdk = (owner: string): boolean => owner.startsWith('@forge/') || ['tslib', 'lodash'].includes(owner);

interface Measured {
  key: string;
  bytes: number;
  sdkBytes: number;
  byOwner: Map<string, number>;
  coldMs: number[];
}

/** A function's handler file bundled as Forge ships it, into `outfile`; with what fills it. */
export const bundleFunction = (entry: string, outfile: string) =>
  build({
    entryPoints: [entry],
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

async function measure(key: string, entry: string, dir: string): Promise<Measured> {
  const outfile = path.join(dir, `${key}.js`);
  const result = await bundleFunction(entry, outfile);
  const byOwner = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
      byOwner.set(ownerOf(input), (byOwner.get(ownerOf(input)) ?? 0) + bytesInOutput);
  }
  const sdkBytes = [...byOwner].filter(([owner]) => isSdk(owner)).reduce((sum, [, size]) => sum + size, 0);
  const coldMs = Array.from({ length: IMPORT_RUNS }, () =>
    Number(execFileSync(process.execPath, ['-e', TIME_REQUIRE, outfile], { encoding: 'utf8' })),
  );
  return { key, bytes: statSync(outfile).size, sdkBytes, byOwner, coldMs };
}

const kib = (n: number) => round(n / 1024, 1);
const figureName = (key: string) => key.replace(/-/g, '_');

export async function bundle(): Promise<BenchResult> {
  const manifest = loadManifest(ROOT);
  const dir = mkdtempSync(path.join(tmpdir(), 'relay-bundle-'));
  try {
    const measured: Measured[] = [];
    for (const fn of manifest.functions.values()) measured.push(await measure(fn.key, path.join(ROOT, 'src', `${fn.file}.ts`), dir));
    const figures: Figures = {};
    for (const m of measured) {
      figures[`bundle_bytes_${figureName(m.key)}`] = m.bytes;
      figures[`sdk_bytes_${figureName(m.key)}`] = m.sdkBytes;
      figures[`cold_import_ms_${figureName(m.key)}`] = round(percentile(m.coldMs, 50), 1);
    }
    const largest = (m: Measured) =>
      [...m.byOwner]
        .filter(([owner]) => !isSdk(owner))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([owner, size]) => `${owner} ${kib(size)}`)
        .join(', ');
    return {
      name: 'bundle',
      title: 'Backend bundles: each function of manifest.yml from its own handler file (esbuild, node, minified)',
      columns: ['function', 'KiB', 'goal KiB', 'of which SDK', 'largest of the rest (KiB)', 'cold import ms (median)', 'goal ms'],
      rows: measured.map((m) => [
        m.key,
        kib(m.bytes),
        GOAL_BYTES[m.key] === undefined ? '' : kib(GOAL_BYTES[m.key] as number),
        kib(m.sdkBytes),
        largest(m),
        round(percentile(m.coldMs, 50), 1),
        GOAL_COLD_IMPORT_MS,
      ]),
      notes: [
        `Cold import: \`require\` of the bundle in a fresh node ${process.version} process, timed inside it (not Node's own start, nor Forge's sandbox), median of ${IMPORT_RUNS}.`,
        "The SDK is @forge/* with tslib and lodash. It is CommonJS, so no bundler trims it: @forge/events' Queue requires the whole of @forge/api, which brings @forge/egress, @forge/i18n, @forge/auth and lodash.",
      ],
      figures,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
