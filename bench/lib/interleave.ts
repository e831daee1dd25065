// Interleaved timing: every case is sampled once per round, rounds repeated, medians reported.
// On a shared, noisy 2-core machine this spreads drift (thermal, neighbours, GC) over all cases
// alike, so ratios between cases measured in the same run stay meaningful.
import { median, percentile } from './suite.js';

/** One operation to time. `fn` receives the iteration index. */
export type BenchCase =
  | { readonly name: string; readonly fn: (i: number) => unknown; readonly async?: false }
  | { readonly name: string; readonly fn: (i: number) => Promise<unknown>; readonly async: true };

/** How long to warm up and sample. */
export interface InterleaveOptions {
  /** Milliseconds of calls per case before sampling (JIT warm-up, caches), also used to size samples. */
  readonly warmupMs: number;
  /** Target milliseconds per sample. */
  readonly sampleMs: number;
  /** Samples per case. */
  readonly rounds: number;
  /** Called once per round, for progress. */
  readonly onRound?: (round: number) => void;
}

/** Microseconds per call of one case: every sample, and their median and quartiles. */
export interface CaseTiming {
  readonly name: string;
  readonly samples: readonly number[];
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
}

type SyncLoop = (fn: (i: number) => unknown, n: number) => unknown;
type AsyncLoop = (fn: (i: number) => Promise<unknown>, n: number) => Promise<unknown>;

// Each case gets its own compiled loop (a unique source defeats V8's compilation cache), so the call
// site inside it only ever sees one function: no case pays for another's megamorphic call or wins by
// being inlined where the others are not.
function syncLoop(tag: string): SyncLoop {
  return new Function(
    'fn',
    'n',
    `// bench loop: ${tag}\nlet sink; for (let i = 0; i < n; i++) sink = fn(i); return sink;`,
  ) as SyncLoop;
}

function asyncLoop(tag: string): AsyncLoop {
  const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => AsyncLoop;
  return new AsyncFunction(
    'fn',
    'n',
    `// bench loop: ${tag}\nlet sink; for (let i = 0; i < n; i++) sink = await fn(i); return sink;`,
  );
}

interface Runner {
  readonly name: string;
  /** Runs `n` calls and returns the elapsed microseconds. */
  readonly run: (n: number) => Promise<number>;
}

function runnerOf(c: BenchCase, index: number): Runner {
  const tag = `${index}:${c.name}`;
  if (c.async) {
    const loop = asyncLoop(tag);
    return {
      name: c.name,
      run: async (n) => {
        const start = process.hrtime.bigint();
        await loop(c.fn, n);
        return Number(process.hrtime.bigint() - start) / 1000;
      },
    };
  }
  const loop = syncLoop(tag);
  return {
    name: c.name,
    run: (n) => {
      const start = process.hrtime.bigint();
      loop(c.fn, n);
      return Promise.resolve(Number(process.hrtime.bigint() - start) / 1000);
    },
  };
}

/**
 * Warms every case up for `warmupMs`, sizes its samples to about `sampleMs`, then takes `rounds`
 * samples of each case in rotating order (case k starts round r at position (k + r) mod n). Each sample
 * is preceded by a tenth of its calls, untimed.
 */
export async function measureInterleaved(
  cases: readonly BenchCase[],
  options: InterleaveOptions,
): Promise<CaseTiming[]> {
  const runners = cases.map(runnerOf);
  const iterations: number[] = [];
  for (const runner of runners) {
    let calls = 0;
    let elapsedUs = 0;
    let batch = 1;
    while (elapsedUs < options.warmupMs * 1000) {
      elapsedUs += await runner.run(batch);
      calls += batch;
      batch = Math.min(batch * 2, 4096);
    }
    const perCallUs = elapsedUs / calls;
    iterations.push(Math.max(1, Math.round((options.sampleMs * 1000) / perCallUs)));
  }
  const samples: number[][] = runners.map(() => []);
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < runners.length; k++) {
      const index = (k + round) % runners.length;
      const n = iterations[index]!;
      // A few untimed calls first: the previous case left caches and branch predictors cold, and a
      // sample should time this case's steady state, not the switch between cases.
      await runners[index]!.run(Math.ceil(n / 10));
      samples[index]!.push((await runners[index]!.run(n)) / n);
    }
    options.onRound?.(round);
  }
  return runners.map((runner, i) => ({
    name: runner.name,
    samples: samples[i]!,
    median: median(samples[i]!),
    p25: percentile(samples[i]!, 25),
    p75: percentile(samples[i]!, 75),
  }));
}
