/**
 * Builds the two browser bundles in memory with esbuild: the host page (host/main.tsx, with the
 * Atlaskit components it paints with) and the app's frame (frame.ts, then the page's own resource
 * from manifest.yml, unchanged). The frame's React is its development build, so the page's own
 * mistakes (a missing key, an update after unmount) reach the console, where the browser tests
 * fail on them; the host's is the production build, as in Bitbucket, whose Atlaskit dependencies
 * would otherwise log React's deprecation notices that no change of ours can fix.
 */
import { build, type OutputFile } from 'esbuild';
import path from 'node:path';
import { declaredProps } from './declared-props';

export interface Asset {
  contents: Uint8Array;
  type: string;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

function assets(files: OutputFile[], name: string): Map<string, Asset> {
  return new Map(
    files.map((file) => [
      `/${name}${path.extname(file.path)}`,
      { contents: file.contents, type: TYPES[path.extname(file.path)] ?? 'application/octet-stream' },
    ]),
  );
}

const common = {
  bundle: true,
  write: false,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  outdir: '/out',
  logLevel: 'silent',
} as const;

const built = new Map<string, Promise<Map<string, Asset>>>();

/**
 * `/host.js`, `/host.css`, `/frame.js` (and `/frame.css` if the page's packages bring styles), built
 * once a process: the browser tests start an app per test.
 */
export function buildAssets(pageEntry: string): Promise<Map<string, Asset>> {
  const assets = built.get(pageEntry) ?? buildOnce(pageEntry);
  built.set(pageEntry, assets);
  return assets;
}

async function buildOnce(pageEntry: string): Promise<Map<string, Asset>> {
  const here = __dirname;
  const [host, frame] = await Promise.all([
    build({
      ...common,
      entryPoints: { host: path.join(here, 'host', 'main.tsx') },
      define: { 'process.env.NODE_ENV': '"production"', DECLARED_PROPS: JSON.stringify(declaredProps()) },
    }),
    build({
      ...common,
      stdin: {
        // The bridge first: @forge/bridge reads `self.__bridge` when it loads.
        contents: `import ${JSON.stringify(path.join(here, 'frame'))};\nimport ${JSON.stringify(pageEntry)};\n`,
        resolveDir: here,
        sourcefile: 'frame-entry.ts',
        loader: 'ts',
      },
      entryNames: 'frame',
      define: { 'process.env.NODE_ENV': '"development"' },
    }),
  ]);
  return new Map([...assets(host.outputFiles, 'host'), ...assets(frame.outputFiles, 'frame')]);
}
