import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** `npm run bench -- NAME` as a user runs it, in its own process; its JSON lines, parsed. */
async function bench(...names: string[]): Promise<Record<string, unknown>[]> {
  const { stdout } = await run(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'bench/run.ts', ...names], {
    cwd: ROOT,
  });
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// The one benchmark that only counts (nothing here is timed): it keeps `npm run bench` working as the
// pipeline changes. What the counts should be is asserted by the pipeline's own tests.
describe('npm run bench', () => {
  it('the calls benchmark prints one JSON line with its named figures, all numbers', async () => {
    const lines = await bench('calls');
    expect(lines).toHaveLength(1);
    const { benchmark, ...figures } = lines[0] ?? {};
    expect(benchmark).toBe('calls');
    expect(Object.keys(figures)).toEqual(
      expect.arrayContaining([
        'storage_reads_per_push',
        'storage_writes_per_push',
        'queue_pushes_per_push',
        'bitbucket_calls_per_push',
        'provider_calls_per_deploy',
      ]),
    );
    expect(Object.values(figures).every((value) => typeof value === 'number' && Number.isFinite(value))).toBe(true);
  });

  it('refuses a benchmark name it does not know, listing the ones it has', async () => {
    await expect(bench('no-such-bench')).rejects.toMatchObject({
      stderr: expect.stringContaining('there are: overhead, throughput, calls, branch-picker, bundle, cost, profile, memory'),
    });
  });
});
