// The `http` suite (docs/benchmarks.md): a protected `GET` on a Fastify route with Revocable's hook, against
// the same route unprotected, against jose + one Redis GET per request (the common do-it-yourself
// denylist) and against fast-jwt with its cache + an in-process Map denylist (the best do-it-yourself
// peer). The apps run in a child process (bench/lib/http-targets.ts); autocannon loads them from
// this process over loopback, so server and load generator each have a core of the two.
// Run: npm run bench -- http [--json] [--quick|--full]
//
// Every target gets the same load: `connections` keep-alive connections, each cycling through the same
// pre-built requests (a pool of distinct valid tokens, or one token), for `roundSec` per round. Rounds
// are interleaved (target order rotates each round) after one warm-up run per target; figures are the
// medians over rounds. Any non-2xx response, connection error or timeout aborts the suite.
import os from 'node:os';
import { type ChildHandle, type CpuReading, coresBetween, loadAverage, startChild } from './lib/child.js';
import { type LoadResult, load } from './lib/http-load.js';
import type { TargetsConfig, TargetsReady } from './lib/http-targets.js';
import { type BenchResult, machine, median, type Suite, type SuiteOptions } from './lib/suite.js';

type Mode = SuiteOptions['mode'];

const SETTINGS: Record<Mode, { warmupSec: number; rounds: number; roundSec: number }> = {
  // Many short rounds rather than a few long ones: on a shared machine, other work comes and goes within
  // seconds, and short interleaved rounds spread it over every target alike.
  quick: { warmupSec: 1, rounds: 3, roundSec: 1 },
  default: { warmupSec: 1, rounds: 9, roundSec: 1 },
  full: { warmupSec: 2, rounds: 21, roundSec: 1.5 },
};
const CONNECTIONS = 10;
const REVOKED = 10_000;
const POOL = 1000;
const REDIS_URL = process.env.REVOCABLE_BENCH_REDIS ?? 'redis://127.0.0.1:6379';

interface Target {
  /** Prefix of its result names. */
  readonly name: string;
  readonly label: string;
  readonly port: number;
  readonly headers: readonly Record<string, string>[];
}

interface Measured {
  readonly target: Target;
  readonly runs: LoadResult[];
  readonly serverCores: number[];
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function expectStatus(
  url: string,
  token: string | undefined,
  status: number,
  what: string,
): Promise<unknown> {
  const response = await fetch(url, token === undefined ? {} : { headers: bearer(token) });
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status !== status) {
    throw new Error(
      `correctness check failed: ${what}: expected ${status}, got ${response.status} ${JSON.stringify(body)}`,
    );
  }
  if (status === 401 && !response.headers.get('www-authenticate')?.startsWith('Bearer')) {
    throw new Error(`correctness check failed: ${what}: 401 without a Bearer WWW-Authenticate challenge`);
  }
  return body;
}

/** Before any load: each target answers as it must, so the load cannot be measuring error paths. */
async function checkCorrectness(ready: TargetsReady): Promise<void> {
  const url = (port: number) => `http://127.0.0.1:${port}/resource`;
  await expectStatus(url(ready.ports.open), undefined, 200, 'open, no token');
  const mine = (await expectStatus(url(ready.ports.ours), ready.token, 200, 'ours, valid token')) as {
    sub?: string;
  };
  if (mine.sub !== 'user-0') throw new Error(`correctness check failed: ours answered sub ${mine.sub}`);
  await expectStatus(url(ready.ports.ours), ready.revokedToken, 401, 'ours, revoked token');
  await expectStatus(url(ready.ports.ours), undefined, 401, 'ours, no token');
  await expectStatus(url(ready.ports.ours), `${ready.token.slice(0, -4)}AAAA`, 401, 'ours, bad signature');
  for (let i = 0; i < ready.pool.length; i += 97) {
    await expectStatus(url(ready.ports.ours), ready.pool[i], 200, `ours, pool token ${i}`);
  }
  const fast = (await expectStatus(
    url(ready.ports.fastJwt),
    ready.token,
    200,
    'fast-jwt+map, valid token',
  )) as {
    sub?: string;
  };
  if (fast.sub !== 'user-0')
    throw new Error(`correctness check failed: fast-jwt+map answered sub ${fast.sub}`);
  await expectStatus(url(ready.ports.fastJwt), ready.revokedToken, 401, 'fast-jwt+map, revoked token');
  await expectStatus(url(ready.ports.fastJwt), undefined, 401, 'fast-jwt+map, no token');
  await expectStatus(
    url(ready.ports.fastJwt),
    `${ready.token.slice(0, -4)}AAAA`,
    401,
    'fast-jwt+map, bad signature',
  );
  if (ready.ports.jose !== undefined) {
    const theirs = (await expectStatus(
      url(ready.ports.jose),
      ready.token,
      200,
      'jose+redis, valid token',
    )) as {
      sub?: string;
    };
    if (theirs.sub !== 'user-0')
      throw new Error(`correctness check failed: jose+redis answered sub ${theirs.sub}`);
    await expectStatus(url(ready.ports.jose), ready.revokedToken, 401, 'jose+redis, revoked token');
    await expectStatus(url(ready.ports.jose), undefined, 401, 'jose+redis, no token');
    await expectStatus(
      url(ready.ports.jose),
      `${ready.token.slice(0, -4)}AAAA`,
      401,
      'jose+redis, bad signature',
    );
    for (let i = 0; i < ready.pool.length; i += 97) {
      await expectStatus(url(ready.ports.jose), ready.pool[i], 200, `jose+redis, pool token ${i}`);
    }
  }
}

async function measure(
  child: ChildHandle<TargetsReady>,
  target: Target,
  durationSec: number,
): Promise<{ run: LoadResult; serverCores: number }> {
  const before = await child.request<CpuReading>('cpu');
  const run = await load({
    url: `http://127.0.0.1:${target.port}`,
    connections: CONNECTIONS,
    durationSec,
    headers: target.headers,
  });
  const after = await child.request<CpuReading>('cpu');
  if (run.non2xx > 0 || run.errors > 0 || run.timeouts > 0 || run.requests === 0) {
    throw new Error(
      `${target.label}: ${run.non2xx} non-2xx responses, ${run.errors} errors, ${run.timeouts} timeouts ` +
        `out of ${run.requests} requests: the figures would measure failures, aborting`,
    );
  }
  return { run, serverCores: coresBetween(before, after) };
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

export const run: Suite = async ({ mode, log }) => {
  const settings = SETTINGS[mode];
  const startLoad = os.loadavg()[0]!;
  const config: TargetsConfig = {
    revoked: REVOKED,
    pool: POOL,
    redisUrl: REDIS_URL,
    redisPrefix: `bench:http:${process.pid}:${Date.now()}:`,
  };
  log(`http: starting the target apps (replica with ${REVOKED} revoked tokens, pool of ${POOL} tokens)`);
  const child = await startChild<TargetsReady>(
    new URL('./lib/http-targets.ts', import.meta.url),
    [JSON.stringify(config)],
    log,
  );
  const notes: string[] = [];
  try {
    const { ready } = child;
    if (ready.redisNote !== undefined) {
      log(`http: ${ready.redisNote}`);
      notes.push(`${ready.redisNote}; ours_vs_jose_redis is omitted.`);
    }
    await checkCorrectness(ready);
    log(
      'http: correctness checked (200 valid, 401 revoked / missing / bad signature, for ours, fast-jwt+map and jose+redis)',
    );

    const poolHeaders = ready.pool.map(bearer);
    const targets: Target[] = [
      // The open route gets the same Authorization headers (and ignores them): equal request bytes.
      { name: 'open', label: 'unprotected', port: ready.ports.open, headers: poolHeaders },
      {
        name: 'ours',
        label: `revocable, ${POOL} tokens round-robin`,
        port: ready.ports.ours,
        headers: poolHeaders,
      },
      {
        name: 'ours_same_token',
        label: 'revocable, one token',
        port: ready.ports.ours,
        headers: [bearer(ready.token)],
      },
    ];
    targets.push({
      name: 'fast_jwt_cached_map',
      label: `fast-jwt cached + Map denylist, ${POOL} tokens`,
      port: ready.ports.fastJwt,
      headers: poolHeaders,
    });
    if (ready.ports.jose !== undefined) {
      targets.push({
        name: 'jose_redis',
        label: `jose + Redis GET, ${POOL} tokens`,
        port: ready.ports.jose,
        headers: poolHeaders,
      });
    }

    for (const target of targets) {
      const { run: warm } = await measure(child, target, settings.warmupSec);
      log(`http: warm-up ${target.label}: ${fixed(warm.requestsPerSec)} req/s`);
    }
    const measured: Measured[] = targets.map((target) => ({ target, runs: [], serverCores: [] }));
    for (let round = 0; round < settings.rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const m = measured[(k + round) % targets.length]!;
        const { run: result, serverCores } = await measure(child, m.target, settings.roundSec);
        m.runs.push(result);
        m.serverCores.push(serverCores);
        log(
          `http: round ${round + 1}/${settings.rounds} ${m.target.label}: ${fixed(result.requestsPerSec)} req/s, ` +
            `p99 ${fixed(result.p99Ms, 2)} ms, server ${fixed(serverCores * 100)}% / load generator ${fixed(result.loadgenCores * 100)}% of a core`,
        );
      }
    }
    const stats = await child.request<{ tokens: number; stale: boolean; staleAccepts: number }>('stats');

    const results: BenchResult[] = [];
    const rps: Record<string, number> = {};
    for (const m of measured) {
      const name = m.target.name;
      rps[name] = median(m.runs.map((r) => r.requestsPerSec));
      results.push(
        { name: `${name}_req_per_s`, value: rps[name], unit: 'req/s' },
        { name: `${name}_p50`, value: median(m.runs.map((r) => r.p50Ms)), unit: 'ms' },
        { name: `${name}_p99`, value: median(m.runs.map((r) => r.p99Ms)), unit: 'ms' },
        { name: `${name}_server_cpu`, value: median(m.serverCores), unit: 'cores' },
        { name: `${name}_loadgen_cpu`, value: median(m.runs.map((r) => r.loadgenCores)), unit: 'cores' },
      );
    }
    const ratios: Record<string, number> = { protected_vs_open: rps['ours']! / rps['open']! };
    const targetsText: Record<string, string> = { protected_vs_open: '>= 0.8' };
    ratios['ours_vs_fast_jwt_cached_map'] = rps['ours']! / rps['fast_jwt_cached_map']!;
    targetsText['ours_vs_fast_jwt_cached_map'] = '>= 1.1';
    if (rps['jose_redis'] !== undefined) {
      ratios['ours_vs_jose_redis'] = rps['ours']! / rps['jose_redis'];
      targetsText['ours_vs_jose_redis'] = '>= 3';
    }

    const sameVsOpen = rps['ours_same_token']! / rps['open']!;
    const byName = new Map(measured.map((m) => [m.target.name, m.runs]));
    const pairedRatio = (a: string, b: string) => {
      const x = byName.get(a);
      const y = byName.get(b);
      return x && y ? median(x.map((r, i) => r.requestsPerSec / y[i]!.requestsPerSec)) : Number.NaN;
    };
    notes.push(
      `ratios use "ours" with ${POOL} distinct tokens round-robin; with one token: ours_same_token / open = ${fixed(sameVsOpen, 3)}` +
        (rps['jose_redis'] !== undefined
          ? `, / jose_redis = ${fixed(rps['ours_same_token']! / rps['jose_redis'], 2)}`
          : '') +
        '.',
      `load: autocannon in the suite process, ${CONNECTIONS} connections, ${settings.rounds} interleaved rounds of ` +
        `${settings.roundSec} s per target after a ${settings.warmupSec} s warm-up; medians over rounds. *_server_cpu / ` +
        '*_loadgen_cpu: cores used by the app process / the load generator (near 1.0 = that side was the bottleneck).',
      `cross-check, median of per-round ratios: protected_vs_open ${fixed(pairedRatio('ours', 'open'), 3)}, ` +
        `ours_vs_fast_jwt_cached_map ${fixed(pairedRatio('ours', 'fast_jwt_cached_map'), 3)}` +
        (rps['jose_redis'] !== undefined
          ? `, ours_vs_jose_redis ${fixed(pairedRatio('ours', 'jose_redis'), 2)}`
          : '') +
        '.',
      `per-round req/s: ${measured.map((m) => `${m.target.name} [${m.runs.map((r) => fixed(r.requestsPerSec)).join(', ')}]`).join('; ')}.`,
      `replica: ${stats.tokens} revoked token ids, stale=${stats.stale}, stale accepts ${stats.staleAccepts}; ` +
        `${measured.reduce((n, m) => n + m.runs.reduce((s, r) => s + r.requests, 0), 0)} measured requests, all 2xx.`,
    );
    for (const [name, value] of Object.entries(ratios)) {
      const target = targetsText[name]!;
      const bound = Number(target.replace('>= ', ''));
      if (value < bound) notes.push(`MISS: ${name} = ${fixed(value, 3)}, target ${target}.`);
    }
    const left = await child.request<number | undefined>('close');
    if (left !== undefined)
      notes.push(
        `Redis: ${ready.redisKeys} keys under the run's prefix written, deleted after; ${left} left.`,
      );
    notes.push(`machine: ${machine()}; ${loadAverage(startLoad)}.`);
    return { suite: 'http', results, ratios, targets: targetsText, notes };
  } finally {
    await child.close();
  }
};
