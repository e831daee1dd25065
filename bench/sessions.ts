// The `sessions` suite (docs/benchmarks.md): login, refresh rotation and logout per second through the
// service's HTTP API (`revocable serve`), on SQLite (a temp file) and on PostgreSQL (a fresh schema),
// with the in-memory storage as a reference. Each service runs in its own child process
// (bench/lib/sessions-service.ts); a few concurrent clients drive it from this process over loopback.
// Run: npm run bench -- sessions [--json] [--quick|--full]
//
// Per backend: register one user per client, warm up (login, refreshes, logout), then
//   login   — each client logs its user in again and again (each login opens a session);
//   refresh — each client rotates the refresh tokens of its sessions round-robin, always with the
//             newest one (no reuse);
//   logout  — each client ends every one of its sessions (POST /auth/logout with its newest access token).
// Phases are split into rounds, backends interleaved (order rotates each round); ops/s is the median
// over rounds, latency percentiles are over every request of the phase. Any unexpected status aborts.
// argon2id (m=19 MiB, t=2, p=1) dominates login: its cost is measured here too, with the service's
// own PasswordHasher, to show how much of a login it is.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PasswordHasher } from '@revocable/server/internal';
import pg from 'pg';
import { type ChildHandle, type CpuReading, coresBetween, loadAverage, startChild } from './lib/child.js';
import type { ServiceReady } from './lib/sessions-service.js';
import { type BenchResult, machine, median, type Suite, type SuiteOptions } from './lib/suite.js';

type Mode = SuiteOptions['mode'];
type Op = 'login' | 'refresh' | 'logout';
const OPS: readonly Op[] = ['login', 'refresh', 'logout'];

const SETTINGS: Record<
  Mode,
  { rounds: number; loginRoundSec: number; refreshRoundSec: number; argon2: number }
> = {
  quick: { rounds: 3, loginRoundSec: 0.7, refreshRoundSec: 0.7, argon2: 6 },
  default: { rounds: 5, loginRoundSec: 1.1, refreshRoundSec: 1.1, argon2: 12 },
  full: { rounds: 9, loginRoundSec: 3, refreshRoundSec: 3, argon2: 30 },
};
/** Concurrent clients per backend, each with its own user and keep-alive connection. */
const CLIENTS = 4;
const PASSWORD = 'correct horse battery staple';
const PG_URL = process.env.REVOCABLE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
/** docs/benchmarks.md: no request slower than p99 × 10. */
const TAIL_FACTOR = 10;

interface Reply {
  readonly status: number;
  // JSON bodies of several shapes.
  readonly body: any;
}

/** A small JSON client on one keep-alive agent (node:http: less client overhead than fetch). */
class JsonClient {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  readonly #url: URL;

  constructor(base: string) {
    this.#url = new URL(base);
  }

  call(method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    return new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        { agent: this.#agent, host: this.#url.hostname, port: this.#url.port, method, path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

interface Session {
  access: string;
  refresh: string;
  readonly sid: string;
  ended: boolean;
}

interface Backend {
  readonly name: string;
  readonly label: string;
  readonly database: string;
  readonly cleanup: () => Promise<void>;
  child?: ChildHandle<ServiceReady>;
  client?: JsonClient;
  /** Sessions opened by each client. */
  readonly sessions: Session[][];
  /** Every request's latency, ms, per op. */
  readonly samples: Record<Op, number[]>;
  /** ops/s of each round, per op. */
  readonly rates: Record<Op, number[]>;
  /** Cores the service used in each round, per op. */
  readonly serverCores: Record<Op, number[]>;
}

function expect(reply: Reply, status: number, what: string, error?: string): void {
  if (reply.status !== status || (error !== undefined && reply.body?.error !== error)) {
    throw new Error(
      `${what}: expected ${status}${error ? ` ${error}` : ''}, got ${reply.status} ${JSON.stringify(reply.body)}: ` +
        'the figures would measure failures, aborting',
    );
  }
}

const username = (c: number) => `bench-user-${c}`;
const now = () => performance.now();

/** One timed request; the latency goes to `samples` only after the status checked out. */
async function timed(
  samples: number[],
  run: () => Promise<Reply>,
  status: number,
  what: string,
): Promise<Reply> {
  const start = now();
  const reply = await run();
  const ms = now() - start;
  expect(reply, status, what);
  samples.push(ms);
  return reply;
}

function sessionOf(body: { access_token: string; refresh_token: string; session_id: string }): Session {
  return { access: body.access_token, refresh: body.refresh_token, sid: body.session_id, ended: false };
}

/** One client's share of one round of `op`. Returns the number of completed requests. */
async function clientRound(
  b: Backend,
  op: Op,
  c: number,
  deadline: number,
  round: number,
  rounds: number,
): Promise<number> {
  const http = b.client!;
  const mine = b.sessions[c]!;
  const samples = b.samples[op];
  let done = 0;
  if (op === 'login') {
    do {
      const reply = await timed(
        samples,
        () => http.call('POST', '/auth/login', { username: username(c), password: PASSWORD }),
        200,
        `${b.label} login`,
      );
      mine.push(sessionOf(reply.body));
      done++;
    } while (now() < deadline);
  } else if (op === 'refresh') {
    let i = round * 7; // start each round elsewhere in the list
    do {
      const session = mine[i++ % mine.length]!;
      const reply = await timed(
        samples,
        () => http.call('POST', '/auth/refresh', { refresh_token: session.refresh }),
        200,
        `${b.label} refresh`,
      );
      if (reply.body.session_id !== session.sid)
        throw new Error(`${b.label} refresh answered another session`);
      session.access = reply.body.access_token;
      session.refresh = reply.body.refresh_token;
      done++;
    } while (now() < deadline);
  } else {
    const from = Math.floor((mine.length * round) / rounds);
    const to = Math.floor((mine.length * (round + 1)) / rounds);
    for (const session of mine.slice(from, to)) {
      await timed(
        samples,
        () => http.call('POST', '/auth/logout', undefined, session.access),
        204,
        `${b.label} logout`,
      );
      session.ended = true;
      done++;
    }
  }
  return done;
}

async function runRound(b: Backend, op: Op, seconds: number, round: number, rounds: number): Promise<number> {
  const before = await b.child!.request<CpuReading>('cpu');
  const start = now();
  const deadline = start + seconds * 1000;
  const counts = await Promise.all(
    Array.from({ length: CLIENTS }, (_, c) => clientRound(b, op, c, deadline, round, rounds)),
  );
  const elapsedSec = (now() - start) / 1000;
  const after = await b.child!.request<CpuReading>('cpu');
  const total = counts.reduce((a, n) => a + n, 0);
  const rate = total / elapsedSec;
  b.rates[op].push(rate);
  b.serverCores[op].push(coresBetween(before, after));
  return rate;
}

/** Registers the users and warms the service up (JIT, statement caches, pools); nothing is recorded. */
async function warmUp(b: Backend): Promise<void> {
  const http = b.client!;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      expect(
        await http.call('POST', '/auth/register', { username: username(c), password: PASSWORD }),
        201,
        `${b.label} register`,
      );
      const login = await http.call('POST', '/auth/login', { username: username(c), password: PASSWORD });
      expect(login, 200, `${b.label} warm-up login`);
      const session = sessionOf(login.body);
      for (let i = 0; i < 25; i++) {
        const reply = await http.call('POST', '/auth/refresh', { refresh_token: session.refresh });
        expect(reply, 200, `${b.label} warm-up refresh`);
        session.access = reply.body.access_token;
        session.refresh = reply.body.refresh_token;
      }
      expect(await http.call('GET', '/api/me', undefined, session.access), 200, `${b.label} warm-up /api/me`);
      expect(
        await http.call('POST', '/auth/logout', undefined, session.access),
        204,
        `${b.label} warm-up logout`,
      );
    }),
  );
}

/** After refreshes: the newest access tokens work. After logout: they are refused, and so is refresh. */
async function checkSessions(b: Backend, ended: boolean): Promise<void> {
  const http = b.client!;
  for (const mine of b.sessions) {
    for (const session of [mine[0], mine[mine.length - 1]]) {
      if (session === undefined) continue;
      const me = await http.call('GET', '/api/me', undefined, session.access);
      if (!ended) {
        expect(me, 200, `${b.label} /api/me with a refreshed access token`);
        continue;
      }
      expect(me, 401, `${b.label} /api/me after logout`, 'ERR_TOKEN_REVOKED');
      const refresh = await http.call('POST', '/auth/refresh', { refresh_token: session.refresh });
      expect(refresh, 401, `${b.label} refresh after logout`, 'ERR_REFRESH_TOKEN_INVALID');
    }
  }
}

async function postgresReachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

function newBackend(name: string, label: string, database: string, cleanup: () => Promise<void>): Backend {
  const perOp = <T>(make: () => T) => ({ login: make(), refresh: make(), logout: make() });
  return {
    name,
    label,
    database,
    cleanup,
    sessions: Array.from({ length: CLIENTS }, () => []),
    samples: perOp(() => []),
    rates: perOp(() => []),
    serverCores: perOp(() => []),
  };
}

/** Sequential verify latency and the verifies/s of CLIENTS in parallel (libuv pool), in this process. */
async function measureArgon2(count: number): Promise<{ verifyMs: number; verifiesPerSec: number }> {
  const hasher = new PasswordHasher();
  const hash = await hasher.hash(PASSWORD);
  await hasher.verify(hash, PASSWORD);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = now();
    if (!(await hasher.verify(hash, PASSWORD))) throw new Error('argon2 verify failed');
    times.push(now() - start);
  }
  const start = now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < Math.ceil(count / 2); i++) await hasher.verify(hash, PASSWORD);
    }),
  );
  const verifiesPerSec = (CLIENTS * Math.ceil(count / 2)) / ((now() - start) / 1000);
  return { verifyMs: median(times), verifiesPerSec };
}

/** Median time of a 4 KiB write + fsync in the temp dir: the least one durable commit costs on this disk. */
function measureFsync(count: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-bench-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = now();
      writeSync(fd, block, 0, block.length, (i % 16) * 4096);
      fsyncSync(fd);
      times.push(now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return median(times);
}

function sortedPercentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

export const run: Suite = async ({ mode, log }) => {
  const settings = SETTINGS[mode];
  const startLoad = os.loadavg()[0]!;
  const notes: string[] = [];
  const stamp = `${process.pid}_${Date.now()}`;

  const dir = mkdtempSync(join(tmpdir(), 'revocable-bench-sessions-'));
  const candidates: Backend[] = [
    newBackend('sqlite', 'SQLite', join(dir, 'revocable.db'), async () =>
      rmSync(dir, { recursive: true, force: true }),
    ),
  ];
  const pgProblem = await postgresReachable();
  if (pgProblem === undefined) {
    const schema = `bench_${stamp}`;
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    candidates.push(newBackend('postgres', 'PostgreSQL', url.toString(), () => dropSchema(schema)));
  } else {
    notes.push(
      `PostgreSQL not reachable at ${PG_URL} (${pgProblem}): skipped, refresh_per_s_postgres omitted.`,
    );
    log(`sessions: ${notes.at(-1)}`);
  }
  candidates.push(newBackend('memory', 'memory (reference)', 'memory', async () => {}));

  const backends: Backend[] = [];
  try {
    log(`sessions: starting the service on ${candidates.map((b) => b.label).join(', ')}`);
    await Promise.all(
      candidates.map(async (b) => {
        try {
          b.child = await startChild<ServiceReady>(
            new URL('./lib/sessions-service.ts', import.meta.url),
            [b.database],
            log,
          );
          b.client = new JsonClient(b.child.ready.url);
        } catch (err) {
          const message = (err as Error).message.split('\n')[0];
          notes.push(`${b.label}: the service did not start (${message}); skipped.`);
          log(`sessions: ${notes.at(-1)}`);
          await b.cleanup().catch(() => {});
        }
      }),
    );
    backends.push(...candidates.filter((b) => b.child !== undefined));
    for (const b of backends) await warmUp(b);
    log(`sessions: ${backends.length} services up and warmed (${CLIENTS} clients each)`);

    const fsyncMs = measureFsync(30);
    const argon2 = await measureArgon2(settings.argon2);
    log(
      `sessions: argon2id verify ${fixed(argon2.verifyMs, 1)} ms sequential, ${fixed(argon2.verifiesPerSec, 1)}/s with ${CLIENTS} in parallel`,
    );

    for (const op of OPS) {
      const seconds = op === 'login' ? settings.loginRoundSec : settings.refreshRoundSec;
      for (let round = 0; round < settings.rounds; round++) {
        for (let k = 0; k < backends.length; k++) {
          const b = backends[(k + round) % backends.length]!;
          const rate = await runRound(b, op, seconds, round, settings.rounds);
          log(`sessions: ${op} round ${round + 1}/${settings.rounds} ${b.label}: ${fixed(rate, 1)}/s`);
        }
      }
      if (op === 'refresh') for (const b of backends) await checkSessions(b, false);
    }
    for (const b of backends) await checkSessions(b, true);
    log(
      'sessions: checked: refreshed access tokens accepted; after logout, access tokens and refresh tokens refused',
    );

    const results: BenchResult[] = [
      { name: 'argon2id_verify', value: argon2.verifyMs, unit: 'ms' },
      { name: 'argon2id_verify_per_s', value: argon2.verifiesPerSec, unit: `ops/s (${CLIENTS} parallel)` },
      { name: 'disk_fsync', value: fsyncMs, unit: 'ms (4 KiB write + fsync, temp dir)' },
    ];
    const ratios: Record<string, number> = {};
    const targets: Record<string, string> = {};
    const tails: string[] = [];
    for (const b of backends) {
      for (const op of OPS) {
        const sorted = [...b.samples[op]].sort((x, y) => x - y);
        const p99 = sortedPercentile(sorted, 99);
        const max = sorted[sorted.length - 1]!;
        const rate = median(b.rates[op]);
        results.push(
          { name: `${op}_per_s_${b.name}`, value: rate, unit: 'ops/s' },
          { name: `${op}_p50_${b.name}`, value: sortedPercentile(sorted, 50), unit: 'ms' },
          { name: `${op}_p99_${b.name}`, value: p99, unit: 'ms' },
          { name: `${op}_max_${b.name}`, value: max, unit: 'ms' },
        );
        const factor = max / p99;
        tails.push(`${op} ${b.name} ${fixed(factor, 1)}× (n=${sorted.length})`);
        if (factor > TAIL_FACTOR) {
          notes.push(
            `MISS: ${b.label} ${op}: slowest request ${fixed(max, 1)} ms = ${fixed(factor, 1)} × p99 (${fixed(p99, 1)} ms), ` +
              `over the ${TAIL_FACTOR}× bound (n=${sorted.length}).`,
          );
        }
      }
      if (b.name !== 'memory') {
        ratios[`refresh_per_s_${b.name}`] = median(b.rates.refresh);
        targets[`refresh_per_s_${b.name}`] = 'tracked';
      }
    }
    notes.push(
      `max / p99 per op (bound ${TAIL_FACTOR}×): ${tails.join('; ')}.`,
      `argon2id dominates login: one verify takes ${fixed(argon2.verifyMs, 1)} ms alone and ${CLIENTS} in parallel ` +
        `reach ${fixed(argon2.verifiesPerSec, 1)}/s on this machine (measured in the suite process, service idle); ` +
        backends.map((b) => `${b.name} login ${fixed(median(b.rates.login), 1)}/s`).join(', ') +
        '.',
      `service CPU (cores, median over rounds): ${backends
        .map((b) => `${b.name} ${OPS.map((op) => `${op} ${fixed(median(b.serverCores[op]), 2)}`).join(' ')}`)
        .join('; ')}.`,
      `per-round ops/s: ${backends
        .map(
          (b) =>
            `${b.name} ${OPS.map((op) => `${op} [${b.rates[op].map((r) => fixed(r)).join(', ')}]`).join(' ')}`,
        )
        .join('; ')}.`,
      `${CLIENTS} concurrent clients per backend (keep-alive node:http), ${settings.rounds} interleaved rounds, ` +
        `login ${settings.loginRoundSec} s and refresh ${settings.refreshRoundSec} s per round; logout ends every ` +
        'session the login rounds opened, a share per round. memory = in-memory storage, a reference without a database.',
      `machine: ${machine()}; ${loadAverage(startLoad)}.`,
    );
    return { suite: 'sessions', results, ratios, targets, notes };
  } finally {
    for (const b of candidates) {
      b.client?.close();
      await b.child?.close();
      if (b.child !== undefined)
        await b.cleanup().catch((err: unknown) => log(`sessions: cleanup ${b.label}: ${err}`));
    }
  }
};
