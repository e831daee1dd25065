// The `revocation` suite (docs/benchmarks.md): the replica's revoked-jti set, TokenIdTable, against a JS
// Map<string, number> holding the same entries: lookup time (half hits, half misses), bytes per entry,
// purge cost in budgeted steps, and load time as a snapshot load would do it.
// Run: npm run bench -- revocation [--json] [--quick|--full]
//
// Bytes of the Map are measured from the heap before and after building it, with a forced GC, so the
// suite needs `--expose-gc`: without it, it re-runs itself in a child `node --expose-gc` (same loader
// flags) and returns the child's report; only if that fails does it estimate without a forced GC.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { TokenIdTable } from '../packages/core/src/revocation/token-id-table.js';
import {
  type BenchResult,
  machine,
  median,
  percentile,
  type Suite,
  type SuiteOptions,
  type SuiteReport,
} from './lib/suite.js';

type Mode = SuiteOptions['mode'];
const CHILD_FLAG = '--revocation-bench-child';
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const TTL_MS = 600_000; // 10 min access tokens: expiries spread over the next 10 minutes
const PURGE_BUDGET = 4096;
const PURGE_SEED = 0x5eed;
/** Every id is stored and looked up in this issuer's scope, as the Replica does. */
const ISSUER = 'https://auth.example.com';

// Lookup rounds per size (1m, 10m) and table loads at 1m; 10m is loaded once (a Map of 10M takes
// 10-20 s to build here), and skipped by --quick.
const SETTINGS: Record<Mode, { sizes: number[]; rounds: number[]; queries: number; loads: number }> = {
  quick: { sizes: [1_000_000], rounds: [5], queries: 1 << 19, loads: 1 },
  default: { sizes: [1_000_000, 10_000_000], rounds: [9, 5], queries: 1 << 19, loads: 3 },
  full: { sizes: [1_000_000, 10_000_000], rounds: [21, 11], queries: 1 << 20, loads: 5 },
};

const gc = (globalThis as { gc?: () => void }).gc;

/** `n` random 16-byte ids as base64url (22 chars, like a jti), drawn from `bytes`; each call makes new strings. */
function idsFrom(bytes: Buffer, n: number): string[] {
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = bytes.toString('base64url', i * 16, i * 16 + 16);
  return ids;
}

interface Workload {
  readonly n: number;
  readonly bytes: Buffer;
  readonly ids: string[];
  readonly expiries: Float64Array;
  /** Half copies of stored ids (new string objects, as a parsed token would bring), half unknown ids. */
  readonly queries: string[];
  /** The issuer of each query: a new copy of {@link ISSUER} each, as each parsed token brings its own. */
  readonly issuers: string[];
}

function workload(n: number, queryCount: number): Workload {
  const bytes = randomBytes(16 * n);
  const ids = idsFrom(bytes, n);
  const expiries = new Float64Array(n);
  for (let i = 0; i < n; i++) expiries[i] = T0 + 1000 + Math.floor(Math.random() * TTL_MS);
  const misses = idsFrom(randomBytes(16 * (queryCount >> 1)), queryCount >> 1);
  const queries = new Array<string>(queryCount);
  for (let i = 0; i < queryCount; i++) {
    const k = Math.floor(Math.random() * n);
    queries[i] =
      i < queryCount >> 1 ? bytes.toString('base64url', k * 16, k * 16 + 16) : misses[i - (queryCount >> 1)]!;
  }
  for (let i = queryCount - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [queries[i], queries[j]] = [queries[j]!, queries[i]!];
  }
  const issuerBytes = Buffer.from(ISSUER);
  const issuers = Array.from({ length: queryCount }, () => issuerBytes.toString('utf8'));
  return { n, bytes, ids, expiries, queries, issuers };
}

function loadTable(w: Workload, presized: boolean, seed?: number): TokenIdTable {
  const table = new TokenIdTable({
    ...(presized ? { initialCapacity: w.n } : {}),
    ...(seed === undefined ? {} : { seed }),
  });
  for (let i = 0; i < w.n; i++) table.add(w.ids[i]!, w.expiries[i]!, ISSUER);
  return table;
}

function loadMap(w: Workload, keys: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < w.n; i++) map.set(keys[i]!, w.expiries[i]!);
  return map;
}

/** A Map holding its own copies of the ids, the heap bytes it added (after a forced GC), and its load time. */
function measuredMap(w: Workload): { map: Map<string, number>; bytes: number; loadMs: number } {
  const before = heapUsed();
  const keys = idsFrom(w.bytes, w.n);
  const start = performance.now();
  const map = loadMap(w, keys);
  const loadMs = performance.now() - start;
  return { map, bytes: heapUsed() - before, loadMs };
}

// One function per structure, so each loop's call site only ever sees one receiver.
function lookupTable(table: TokenIdTable, w: Workload, nowMs: number): number {
  const { queries, issuers } = w;
  let hits = 0;
  for (let i = 0; i < queries.length; i++) if (table.has(queries[i]!, nowMs, issuers[i]!)) hits++;
  return hits;
}

function lookupMap(map: Map<string, number>, queries: readonly string[], nowMs: number): number {
  let hits = 0;
  for (let i = 0; i < queries.length; i++) {
    const expiry = map.get(queries[i]!);
    if (expiry !== undefined && nowMs < expiry) hits++;
  }
  return hits;
}

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function timed<T>(fn: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = fn();
  return [value, msSince(start)];
}

function heapUsed(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

interface SizeFigures {
  readonly results: BenchResult[];
  readonly lookupRatio: number;
  readonly bytesOurs: number;
  readonly bytesMap: number;
}

/** Empties a fully expired table in steps of PURGE_BUDGET slots: total ms, and µs per step. */
function purgeAll(table: TokenIdTable, nowMs: number): { totalMs: number; stepsUs: number[] } {
  const stepsUs: number[] = [];
  let totalMs = 0;
  gc?.();
  while (table.size > 0) {
    const start = performance.now();
    table.purgeStep(nowMs, PURGE_BUDGET);
    const ms = performance.now() - start;
    totalMs += ms;
    stepsUs.push(ms * 1000);
  }
  return { totalMs, stepsUs };
}

/**
 * The slowest `add` that started a growth while loading the workload from the default size, wall time
 * in µs: what one revocation arriving at a replica can cost the event loop when its table must grow
 * (a growth is incremental: that add allocates the new table, later adds move 16 slots each). Only
 * those ~10 adds are compared, so GC pauses and preemption that land on any of the other adds (this
 * process holds the workload's 1M id strings) do not stand in for the table's work.
 */
function slowestGrowthAdd(w: Workload): number {
  const table = new TokenIdTable();
  let worst = 0;
  for (let i = 0; i < w.n; i++) {
    const bytes = table.byteLength;
    const start = performance.now();
    table.add(w.ids[i]!, w.expiries[i]!, ISSUER);
    const us = (performance.now() - start) * 1000;
    if (table.byteLength > bytes && us > worst) worst = us;
  }
  return worst;
}

/** The slowest step once each step's time is its fastest over identical runs. */
function worstStep(runsUs: readonly (readonly number[])[]): number {
  const steps = Math.min(...runsUs.map((run) => run.length));
  let worst = 0;
  for (let k = 0; k < steps; k++) worst = Math.max(worst, Math.min(...runsUs.map((run) => run[k]!)));
  return worst;
}

/** Runs add, has and purgeStep on a small table until the JIT has compiled them, as in a running replica. */
function warmUp(): void {
  const w = workload(50_000, 50_000);
  for (let r = 0; r < 5; r++) {
    const table = loadTable(w, false);
    lookupTable(table, w, T0);
    purgeAll(table, T0 + TTL_MS + 1000);
  }
}

function measureSize(n: number, mode: Mode, log: (line: string) => void): SizeFigures {
  const settings = SETTINGS[mode];
  const tag = n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1000}k`;
  log(`revocation ${tag}: generating ${n} ids and ${settings.queries} queries`);
  const w = workload(n, settings.queries);
  // Load time, as a snapshot load: grown from the default size and presized from the count (10m:
  // presized only, once). Purge cost: a fully expired table emptied in PURGE_BUDGET-slot steps.
  const grownMs: number[] = [];
  const presizedMs: number[] = [];
  const purgeMs: number[] = [];
  const stepUs: number[] = [];
  const runsUs: number[][] = [];
  const recordPurge = (table: TokenIdTable): void => {
    const purge = purgeAll(table, T0 + TTL_MS + 1000);
    runsUs.push(purge.stepsUs);
    purgeMs.push(purge.totalMs);
    stepUs.push(...purge.stepsUs);
    log(`revocation ${tag}: purge ${purge.totalMs.toFixed(1)} ms in ${purge.stepsUs.length} steps`);
  };
  const large = n > 1_000_000;
  // The slowest growth add of a grown load, the least over the runs (a preemption rarely hits every run).
  const addWorstUs: number[] = [];
  if (!large) {
    for (let r = 0; r < settings.loads; r++) addWorstUs.push(slowestGrowthAdd(w));
    log(`revocation ${tag}: slowest growth add ${Math.min(...addWorstUs).toFixed(0)} µs`);
  }
  let ours: TokenIdTable | undefined;
  for (let r = 0; r < (large ? 1 : settings.loads); r++) {
    if (!large) {
      const [grown, ms] = timed(() => loadTable(w, false, PURGE_SEED)); // identical runs, step by step
      grownMs.push(ms);
      recordPurge(grown);
    }
    const [presized, ms] = timed(() => loadTable(w, true));
    presizedMs.push(ms);
    ours = presized;
  }
  log(`revocation ${tag}: presized load ${median(presizedMs).toFixed(0)} ms`);

  // Bytes: ours is its typed arrays; the Map's is the heap it adds, with its own key strings and
  // boxed expiry numbers (what a Map-based replica holds), measured after a forced GC.
  const { map, bytes, loadMs: mapLoadMs } = measuredMap(w);
  const bytesMap = bytes / n;
  const bytesOurs = ours!.byteLength / n;
  const table = ours!;

  // Lookups: both answer every query the same way before anything is timed.
  const now = T0;
  const hitsOurs = lookupTable(table, w, now);
  const hitsMap = lookupMap(map, w.queries, now);
  if (hitsOurs !== hitsMap || hitsOurs !== w.queries.length >> 1) {
    throw new Error(
      `lookups disagree: table ${hitsOurs} hits, Map ${hitsMap}, expected ${w.queries.length >> 1}`,
    );
  }
  const oursNs: number[] = [];
  const mapNs: number[] = [];
  const rounds = settings.rounds[large ? 1 : 0]!;
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0;
    const runOurs = () => oursNs.push((timed(() => lookupTable(table, w, now))[1] * 1e6) / w.queries.length);
    const runMap = () =>
      mapNs.push((timed(() => lookupMap(map, w.queries, now))[1] * 1e6) / w.queries.length);
    if (first) {
      runOurs();
      runMap();
    } else {
      runMap();
      runOurs();
    }
  }
  const lookupOurs = median(oursNs);
  const lookupMapNs = median(mapNs);
  if (large) recordPurge(table);
  log(
    `revocation ${tag}: lookup ours ${lookupOurs.toFixed(0)} ns, Map ${lookupMapNs.toFixed(0)} ns; bytes ours ${bytesOurs.toFixed(1)}, Map ${bytesMap.toFixed(1)}`,
  );

  const results: BenchResult[] = [
    { name: `lookup_ours_${tag}`, value: lookupOurs, unit: 'ns/op' },
    { name: `lookup_map_${tag}`, value: lookupMapNs, unit: 'ns/op' },
    { name: `bytes_per_entry_${tag}`, value: bytesOurs, unit: 'bytes' },
    { name: `bytes_map_${tag}`, value: bytesMap, unit: 'bytes' },
    ...(grownMs.length > 0 ? [{ name: `load_${tag}`, value: median(grownMs), unit: 'ms' }] : []),
    ...(addWorstUs.length > 0
      ? [{ name: `add_growth_max_${tag}`, value: Math.min(...addWorstUs), unit: 'us' }]
      : []),
    { name: `load_presized_${tag}`, value: median(presizedMs), unit: 'ms' },
    { name: `load_map_${tag}`, value: mapLoadMs, unit: 'ms' },
    { name: `purge_all_${tag}`, value: median(purgeMs), unit: 'ms' },
    { name: `purge_step_median_${tag}`, value: median(stepUs), unit: 'us' },
    { name: `purge_step_p99_${tag}`, value: percentile(stepUs, 99), unit: 'us' },
    { name: `purge_step_max_${tag}`, value: Math.max(...stepUs), unit: 'us' },
    ...(runsUs.length > 1 ? [{ name: `purge_step_worst_${tag}`, value: worstStep(runsUs), unit: 'us' }] : []),
  ];
  return { results, lookupRatio: lookupOurs / lookupMapNs, bytesOurs, bytesMap };
}

/** The measurements, in this process. */
async function measure(mode: Mode, log: (line: string) => void): Promise<SuiteReport> {
  const results: BenchResult[] = [];
  const ratios: Record<string, number> = {};
  const targets: Record<string, string> = {
    lookup_vs_map_1m: '<= 1.0',
    bytes_per_entry_1m: '<= 32',
    bytes_vs_map_1m: '(tracked)',
  };
  const skipped: string[] = [];
  const loadBefore = os.loadavg()[0]!;
  warmUp();
  for (const n of SETTINGS[mode].sizes) {
    const tag = `${n / 1_000_000}m`;
    try {
      const figures = measureSize(n, mode, log);
      results.push(...figures.results);
      ratios[`lookup_vs_map_${tag}`] = figures.lookupRatio;
      ratios[`bytes_per_entry_${tag}`] = figures.bytesOurs;
      ratios[`bytes_vs_map_${tag}`] = figures.bytesOurs / figures.bytesMap;
      if (tag !== '1m') {
        targets[`lookup_vs_map_${tag}`] = '(tracked)';
        targets[`bytes_per_entry_${tag}`] = '(tracked)';
        targets[`bytes_vs_map_${tag}`] = '(tracked)';
      }
    } catch (err) {
      if (n === 1_000_000) throw err;
      skipped.push(`${tag} skipped: ${(err as Error).message}`);
    }
    gc?.();
  }
  const missed = Object.entries(targets)
    .filter(
      ([name, target]) =>
        target.startsWith('<= ') && !((ratios[name] ?? Number.NaN) <= Number(target.slice(3))),
    )
    .map(([name, target]) => `${name} ${ratios[name]?.toFixed(2)} (target ${target})`);
  const notes = [
    `machine: ${machine()}; mode ${mode}; ${SETTINGS[mode].rounds.join(' (1m), ')}${SETTINGS[mode].rounds.length > 1 ? ' (10m)' : ''} alternating rounds of ${SETTINGS[mode].queries} lookups per structure, medians`,
    'ids: random 16-byte base64url (22 chars); expiries spread over 10 minutes; lookups half hits (new string copies of stored ids) and half misses, shuffled, generated before timing',
    'Map baseline: map.get(id) then an expiry compare (one probe, the fastest way to write it); V8 caches a string hash in the string after its first Map lookup, so the Map pays no hashing in the timed rounds, while ours hashes every time',
    `ours is scoped by issuer as the Replica uses it: ids added and looked up in the scope of ${ISSUER}, each query with its own copy of the issuer string (as each parsed token brings); the Map is keyed by id alone, unscoped`,
    gc
      ? 'bytes_map: heap growth from building the Map with its own key strings and boxed expiry numbers, after a forced GC (--expose-gc); ours: the typed arrays only (ids are not kept)'
      : 'bytes_map: ESTIMATED from process.memoryUsage() without a forced GC (gc unavailable); expect noise',
    'add_growth_max: the slowest of the adds that started a growth while loading from the default size (growth is incremental: such an add allocates the new table, each later add moves at most 16 entries), wall time, least over the 1m loads',
    `purge: a fully expired table (1m: grown by adds; 10m: presized) emptied in steps of ${PURGE_BUDGET} slots, after a warm-up on a small table; step median/p99/max over every step of every run, so p99 and max include the OS preempting the process; purge_step_worst: the 1m runs use one seed, so step k does the same work in each, and it is the largest over k of the fastest run of step k (preemption filtered; not printed with one run: --quick, 10m) (1-min load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end, on ${os.cpus().length} cores)`,
    SETTINGS[mode].sizes.includes(10_000_000)
      ? '10m: one presized load, purged after the lookups'
      : '10m: not run in quick mode',
    ...skipped,
    missed.length === 0 ? 'every target met' : `MISSED: ${missed.join('; ')}`,
  ];
  return { suite: 'revocation', results, ratios, targets, notes };
}

/** Re-runs the suite in `node --expose-gc` with this process's loader flags; undefined if that fails. */
function runInChild(mode: Mode, log: (line: string) => void): SuiteReport | undefined {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      '--expose-gc',
      '--max-old-space-size=8192',
      fileURLToPath(import.meta.url),
      CHILD_FLAG,
      mode,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
  );
  const last = child.stdout?.trim().split('\n').pop();
  if (child.status !== 0 || !last) {
    log(
      `revocation: child with --expose-gc failed (status ${child.status}); measuring here without a forced GC`,
    );
    return undefined;
  }
  return JSON.parse(last) as SuiteReport;
}

export const run: Suite = async ({ mode, log }) => {
  if (gc) return measure(mode, log);
  log('revocation: global.gc is unavailable; re-running in a child process with --expose-gc');
  return runInChild(mode, log) ?? measure(mode, log);
};

if (process.argv.includes(CHILD_FLAG)) {
  const mode = (process.argv[process.argv.indexOf(CHILD_FLAG) + 1] ?? 'default') as Mode;
  const report = await measure(mode, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
