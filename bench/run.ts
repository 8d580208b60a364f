/**
 * `npm run bench` runs every benchmark; `npm run bench -- overhead calls` runs the ones named. They run
 * one after another in this process, each on a platform of its own, and each prints its table and one
 * JSON line of figures (report.ts). Modules load only when their benchmark runs: the platform-based ones
 * must set up the SDK's seams before @forge/api loads, and the bundle one needs no platform at all.
 */
import { cpus, loadavg } from 'node:os';
import { type BenchResult, printResult } from './report';

const BENCHMARKS: Record<string, () => Promise<BenchResult>> = {
  overhead: async () => (await import('./overhead')).overhead(),
  throughput: async () => (await import('./throughput')).throughput(),
  calls: async () => (await import('./calls')).calls(),
  'branch-picker': async () => (await import('./branch-picker')).branchPicker(),
  bundle: async () => (await import('./bundle')).bundle(),
  cost: async () => (await import('./cost')).cost(),
  profile: async () => (await import('./profile')).profile(),
  memory: async () => (await import('./memory')).memory(),
};

/**
 * The app logs each step as a JSON line through console.log, which would bury the one JSON line a
 * benchmark prints. While a benchmark runs those lines are still built (serialising and redaction cost
 * what they cost) but not written.
 */
async function withAppLogsMuted<T>(run: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => undefined;
  try {
    return await run();
  } finally {
    console.log = log;
  }
}

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`no benchmark named ${unknown.join(', ')}; there are: ${Object.keys(BENCHMARKS).join(', ')}`);
  // Milliseconds mean little without the machine and how busy it was.
  const [load1, load5] = loadavg().map((x) => x.toFixed(2));
  console.log(
    `bench: ${cpus().length} CPU(s) (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, load average ${load1} (1 min), ${load5} (5 min)`,
  );
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
    const started = performance.now();
    printResult(await withAppLogsMuted(BENCHMARKS[name] as () => Promise<BenchResult>));
    console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(`bench: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
