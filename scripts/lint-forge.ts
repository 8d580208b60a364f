/**
 * Offline Forge checks (`npm run lint` runs this after tsc and eslint):
 * 1. @forge/manifest's full validation of manifest.yml (module keys, scopes, handlers, runtime).
 * 2. @forge/lint in client-side mode over src/ and static/, with Bitbucket's OpenAPI spec (from
 *    $SPECS_DIR or ../shared/specs when present) so the scopes each Bitbucket call needs are checked.
 * @forge/lint is an optional dependency (it needs libsecret-1-dev on Linux); when it is missing this
 * says so, and fails only where REQUIRE_FORGE_LINT=1 (CI), so a missing linter is never silent there.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

const ROOT = path.resolve(__dirname, '..');

interface Problem {
  message: string;
  line: number;
  reference: string;
}
interface ForgeLint {
  lint(
    files: string[],
    manifest: unknown,
    environment: string,
    logger: { info(text: string): void },
    statsig: unknown,
    config: { linter: { mode: 'client-side' } },
  ): Promise<{ file: string; errors: Problem[]; warnings: Problem[] }[]>;
}

async function validateManifest(): Promise<boolean> {
  const { validate } = require('@forge/manifest') as {
    validate(a: boolean, file: string): Promise<{ success: boolean; errors?: (Problem & { level: string })[] }>;
  };
  const result = await validate(false, path.join(ROOT, 'manifest.yml'));
  const errors = (result.errors ?? []).filter((e) => e.level === 'error');
  for (const e of errors) console.error(`manifest.yml:${e.line} ${e.message} (${e.reference})`);
  console.log(errors.length === 0 ? 'manifest.yml: valid (@forge/manifest)' : `manifest.yml: ${errors.length} error(s)`);
  return errors.length === 0;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));

function useLocalSwaggers(): string {
  const empty = path.join(mkdtempSync(path.join(tmpdir(), 'forge-lint-')), 'no-paths.json');
  writeFileSync(empty, '{"paths":{}}');
  const specs = process.env.SPECS_DIR ?? path.join(ROOT, '..', 'shared', 'specs');
  const bitbucket = path.join(specs, 'bitbucket-cloud.openapi3.json');
  process.env.USE_LOCAL_SWAGGER = '1';
  for (const product of ['JIRA', 'JSM', 'JSW', 'CONF', 'CONF_V2']) process.env[`LOCAL_${product}_SWAGGER`] = empty;
  process.env.LOCAL_BB_SWAGGER = existsSync(bitbucket) ? bitbucket : empty;
  return existsSync(bitbucket) ? `with ${bitbucket}` : 'without the Bitbucket spec (scopes of Bitbucket calls not checked)';
}

async function forgeLint(): Promise<boolean> {
  let forge: ForgeLint;
  try {
    forge = require('@forge/lint') as ForgeLint;
  } catch {
    const required = process.env.REQUIRE_FORGE_LINT === '1';
    console[required ? 'error' : 'log'](
      `@forge/lint: not installed (on Linux it needs libsecret-1-dev, then npm ci)${required ? '' : '; skipped'}`,
    );
    return !required;
  }
  const how = useLocalSwaggers();
  const manifest = parse(readFileSync(path.join(ROOT, 'manifest.yml'), 'utf8'));
  // The only feature-flag lookup the client-side linters make; offline there is no flag service.
  const statsig = { getDeprecatedRuntimes: async () => [] };
  const results = await forge.lint(
    [...sourceFiles('src'), ...sourceFiles('static')],
    manifest,
    'development',
    { info: () => undefined },
    statsig,
    { linter: { mode: 'client-side' } },
  );
  let errors = 0;
  for (const result of results) {
    for (const e of result.errors) console.error(`${path.relative(ROOT, result.file)}:${e.line} error ${e.message} (${e.reference})`);
    for (const w of result.warnings) console.log(`${path.relative(ROOT, result.file)}:${w.line} warning ${w.message} (${w.reference})`);
    errors += result.errors.length;
  }
  console.log(`@forge/lint (client-side, ${how}): ${errors} error(s)`);
  return errors === 0;
}

(async () => {
  const manifestOk = await validateManifest();
  const lintOk = await forgeLint();
  process.exit(manifestOk && lintOk ? 0 : 1);
})().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
