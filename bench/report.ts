/**
 * What every benchmark hands back and how it is printed: a title, a table for people, notes that say
 * what a number includes, and ONE JSON line of named figures for scripts (and the README), e.g.
 * `{"benchmark":"overhead","overhead_ratio":1.9,...}`. Figures are plain numbers, never strings.
 */

export type Figures = Record<string, number>;

export interface BenchResult {
  name: string;
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes: string[];
  figures: Figures;
}

/** Nearest-rank percentile (p in 0..100) of samples: p50 and p99 are values that were measured. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Figures keep what the measurement can tell apart: a few decimals, not the float's noise. */
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

function formatTable(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [columns, ...rows].map((row) => row.map(String));
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function printResult(result: BenchResult): void {
  console.log(`\n## ${result.title}\n`);
  console.log(formatTable(result.columns, result.rows));
  if (result.notes.length > 0) console.log(`\n${result.notes.map((n) => `- ${n}`).join('\n')}`);
  for (const [name, value] of Object.entries(result.figures)) {
    if (!Number.isFinite(value)) throw new Error(`benchmark ${result.name}: figure ${name} is ${value}`);
  }
  console.log(JSON.stringify({ benchmark: result.name, ...result.figures }));
}
