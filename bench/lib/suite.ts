import os from 'node:os';

/** One measured figure. */
export interface BenchResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** What every suite returns; `run.ts` prints it as a table or, with `--json`, as one JSON line. */
export interface SuiteReport {
  readonly suite: string;
  readonly results: BenchResult[];
  readonly ratios: Record<string, number>;
  /** Targets to show next to ratios in the table: `{ HS256_vs_floor: '<= 1.5' }`. */
  readonly targets?: Record<string, string>;
  readonly notes?: string[];
}

/** Settings every suite receives. */
export interface SuiteOptions {
  readonly mode: 'quick' | 'default' | 'full';
  /** Print progress to stderr (never stdout: stdout's last line is the JSON). */
  readonly log: (line: string) => void;
}

/** A suite module exports `run` with this signature. */
export type Suite = (options: SuiteOptions) => Promise<SuiteReport>;

/** Where the suite ran, printed with every table. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}), Node ${process.version}, ${os.platform()} ${os.arch()}`;
}

/** The median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A percentile (0..100) by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Times a synchronous operation: warms up, then takes `rounds` samples of `iterations` calls each and
 * returns the median microseconds per call. `fn` receives the iteration index.
 */
export function timeSync(fn: (i: number) => unknown, iterations: number, rounds: number): number {
  let sink: unknown;
  for (let i = 0; i < Math.min(iterations, 2000); i++) sink = fn(i);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink = fn(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  if (sink === Symbol.for('never')) console.error('unreachable');
  return median(samples);
}

/** Like {@link timeSync} for operations that return a promise (awaited one at a time). */
export async function timeAsync(
  fn: (i: number) => Promise<unknown>,
  iterations: number,
  rounds: number,
): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 500); i++) await fn(i);
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  return median(samples);
}
