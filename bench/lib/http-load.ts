// HTTP load from autocannon (programmatic API), in the calling process: fixed connections, fixed
// duration, requests cycled round-robin through a list of pre-built requests (one per token).
// Latency percentiles come from autocannon's per-response times (hrtime, fractional ms) collected here:
// autocannon's own histogram stores whole milliseconds, too coarse for sub-millisecond loopback calls.
import autocannon from 'autocannon';

/** One load run against one URL. */
export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds. */
  readonly durationSec: number;
  /** Headers of each request, cycled in order by every connection; one entry = the same request each time. */
  readonly headers: readonly Record<string, string>[];
  readonly path?: string;
  /** Whole requests (method, path, headers, body) cycled instead of `headers` on `path`: for POST loads. */
  readonly requests?: readonly {
    readonly method: 'GET' | 'POST';
    readonly path: string;
    readonly headers: Record<string, string>;
    readonly body?: string;
  }[];
}

/** What one run measured. */
export interface LoadResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Completed responses. */
  readonly requests: number;
  /** Responses outside 2xx, connection errors and timeouts: any of these makes the run invalid. */
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSec: number;
  /** CPU time this process (the load generator) spent during the run, in cores (1.0 = one core busy). */
  readonly loadgenCores: number;
}

/** Growable list of response times, ms. */
class Samples {
  #values = new Float64Array(1 << 16);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.#length++] = value;
  }

  /** Sorted copy. */
  sorted(): Float64Array {
    return this.#values.slice(0, this.#length).sort();
  }
}

/** Nearest-rank percentile (0..100) of sorted values. */
function rank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs autocannon once and summarizes it. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const requests =
    options.requests?.map((r) => ({ ...r, headers: { ...r.headers } })) ??
    options.headers.map((headers) => ({
      method: 'GET' as const,
      path: options.path ?? '/resource',
      headers: { ...headers },
    }));
  const times = new Samples();
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSec,
        pipelining: 1,
        requests,
      },
      (err: unknown, res: autocannon.Result) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => times.push(responseTime));
  });
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const sorted = times.sorted();
  return {
    requestsPerSec: result.requests.total / result.duration,
    p50Ms: rank(sorted, 50),
    p99Ms: rank(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
    loadgenCores: (cpu.user + cpu.system) / wallUs,
  };
}
