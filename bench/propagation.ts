// The `propagation` suite (docs/benchmarks.md): time from the acknowledgement of a revoke call at the issuer
// to the revoked token being rejected by every one of N=8 verifier processes, over Redis Streams
// (RedisFeedSource) and over the service's SSE feed (HttpFeedSource).
// Run: npm run bench -- propagation [--json] [--quick|--full]
//
// Processes: a private redis-server on a spare port, the issuer (`revocable serve` on PostgreSQL when
// it answers, else SQLite, publishing to Redis: bench/lib/propagation-issuer.ts) and 8 verifiers
// (bench/lib/propagation-verifier.ts), all on this machine. Per transport, the verifiers bootstrap and
// follow; this process then revokes one token id at a time (`POST /admin/revocations`, awaited: the
// acknowledgement is the 201 with the event), after a warm-up. Each verifier records when the event made
// the id rejected by its replica (the verifier's revocation hook) on the machine-wide monotonic clock.
// Then `revocable edge` (bench/lib/propagation-edge.ts) follows the SSE feed alone and is measured the
// same way: revoke acknowledged → the replica its every request consults rejects the id (edge_*).
// A revocation's figure is the latest of the 8 (rejected by every process), less the acknowledgement
// instant; it is 0 when every process rejected the token before the issuer's answer arrived.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, RedisServer, redisServerAvailable } from '../packages/redis/test/support/redis-server.js';
import { type ChildHandle, startChild } from './lib/child.js';
import type { IssuerConfig, IssuerReady } from './lib/propagation-issuer.js';
import type { Applied, Transport, VerifierConfig } from './lib/propagation-verifier.js';
import { type BenchResult, machine, percentile, type Suite, type SuiteOptions } from './lib/suite.js';

type Mode = SuiteOptions['mode'];

const SETTINGS: Record<Mode, { revocations: number; warmup: number }> = {
  quick: { revocations: 200, warmup: 20 },
  default: { revocations: 1000, warmup: 50 },
  full: { revocations: 5000, warmup: 200 },
};
const VERIFIERS = 8;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789';
const CLIENT = { id: 'bench', secret: 'bench-secret-0123456789' };
const POSTGRES = process.env.REVOCABLE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** A database for the issuer: a fresh PostgreSQL schema when PostgreSQL answers, else a SQLite file. */
async function openDatabase(): Promise<{ url: string; label: string; drop(): Promise<void> }> {
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    const schema = `bench_propagation_${process.pid}`;
    const url = new URL(POSTGRES);
    url.searchParams.set('schema', schema);
    return {
      url: url.toString(),
      label: 'PostgreSQL',
      async drop() {
        const admin = new pg.Client({ connectionString: POSTGRES });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
        await admin.end();
      },
    };
  } catch {
    await client.end().catch(() => {});
    const dir = mkdtempSync(join(tmpdir(), 'revocable-propagation-'));
    return {
      url: join(dir, 'revocable.db'),
      label: 'SQLite',
      drop: async () => rmSync(dir, { recursive: true }),
    };
  }
}

/** One revoke call: resolves with the event's seq and the instant (µs) its acknowledgement arrived. */
async function revoke(base: string, n: number): Promise<{ seq: number; ackUs: number }> {
  const response = await fetch(`${base}/admin/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      rule: {
        kind: 'token',
        token_id: `bench-${process.pid}-${n}`,
        expires_at: new Date(Date.now() + 300_000).toISOString(),
      },
    }),
  });
  const body = (await response.json()) as { seq?: number };
  const ackUs = nowUs();
  if (response.status !== 201 || body.seq === undefined)
    throw new Error(`revoke answered ${response.status}`);
  return { seq: body.seq, ackUs };
}

interface Measured {
  /** Per revocation: ms from acknowledgement to rejected by every verifier (>= 0). */
  readonly all: number[];
  /** Per revocation and verifier: ms from acknowledgement to rejected there (>= 0). */
  readonly each: number[];
  /** Share of (revocation, verifier) pairs rejected before the acknowledgement arrived. */
  readonly beforeAck: number;
  /** Revoke call round trips, ms. */
  readonly ackMs: number[];
  /** Per revocation: ms from sending the revoke call to rejected by every verifier. */
  readonly fromRequest: number[];
}

async function measure(
  transport: Transport,
  base: string,
  verifiers: readonly ChildHandle<unknown>[],
  settings: { revocations: number; warmup: number },
  log: (line: string) => void,
): Promise<Measured> {
  await Promise.all(verifiers.map((v) => v.request('follow', transport)));
  let n = 0;
  for (let i = 0; i < settings.warmup; i++) await revoke(base, n++);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await Promise.all(verifiers.map((v) => v.request('collect')));

  const acks = new Map<number, number>();
  const sentAt = new Map<number, number>();
  const ackMs: number[] = [];
  for (let i = 0; i < settings.revocations; i++) {
    const sent = nowUs();
    const { seq, ackUs } = await revoke(base, n++);
    acks.set(seq, ackUs);
    sentAt.set(seq, sent);
    ackMs.push((ackUs - sent) / 1000);
    // A short, varying pause, so revocations do not line up with heartbeats or poll timers.
    await new Promise((resolve) => setTimeout(resolve, i % 3));
  }
  const applied = verifiers.map(() => new Map<number, number>());
  const deadline = Date.now() + 10_000;
  for (;;) {
    const batches = await Promise.all(verifiers.map((v) => v.request<Applied[]>('collect')));
    batches.forEach((batch, i) => {
      for (const [seq, at] of batch) if (acks.has(seq)) applied[i]!.set(seq, at);
    });
    if (applied.every((m) => m.size === acks.size)) break;
    if (Date.now() > deadline) {
      throw new Error(
        `${transport}: revoked ids never rejected: ${applied.map((m) => acks.size - m.size).join(', ')} missing per verifier`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await Promise.all(verifiers.map((v) => v.request('unfollow')));

  const all: number[] = [];
  const each: number[] = [];
  const fromRequest: number[] = [];
  let early = 0;
  for (const [seq, ackUs] of acks) {
    let latest = 0;
    let lastAt = 0;
    for (const m of applied) {
      const at = m.get(seq)!;
      const ms = (at - ackUs) / 1000;
      if (ms < 0) early++;
      each.push(Math.max(0, ms));
      latest = Math.max(latest, ms);
      lastAt = Math.max(lastAt, at);
    }
    all.push(latest);
    fromRequest.push((lastAt - sentAt.get(seq)!) / 1000);
  }
  log(`${transport}: ${acks.size} revocations measured on ${verifiers.length} verifiers`);
  return { all, each, beforeAck: early / each.length, ackMs, fromRequest };
}

export const run: Suite = async ({ mode, log }) => {
  const settings = SETTINGS[mode];
  if (!redisServerAvailable()) throw new Error('the propagation suite needs redis-server on PATH');
  const redis = await RedisServer.start();
  const database = await openDatabase();
  const children: ChildHandle<unknown>[] = [];
  try {
    const issuerConfig: IssuerConfig = {
      port: await freePort(),
      database: database.url,
      redisUrl: redis.url,
      adminToken: ADMIN_TOKEN,
      client: CLIENT,
    };
    const issuer = await startChild<IssuerReady>(
      new URL('./lib/propagation-issuer.ts', import.meta.url),
      [JSON.stringify(issuerConfig)],
      log,
    );
    children.push(issuer);
    const verifierConfig: VerifierConfig = {
      issuerUrl: issuer.ready.url,
      issuer: issuer.ready.issuer,
      redisUrl: redis.url,
      client: CLIENT,
    };
    const verifiers: ChildHandle<unknown>[] = [];
    // Two at a time: start-up (loading the sources) is the heavy part, and CI has two cores.
    for (let i = 0; i < VERIFIERS; i += 2) {
      const pair = await Promise.all(
        [0, 1].map(() =>
          startChild(
            new URL('./lib/propagation-verifier.ts', import.meta.url),
            [JSON.stringify(verifierConfig)],
            log,
          ),
        ),
      );
      verifiers.push(...pair);
      children.push(...pair);
    }
    log(`issuer on ${database.label}, ${VERIFIERS} verifier processes, Redis ${redis.url}`);

    const redisFigures = await measure('redis', issuer.ready.url, verifiers, settings, log);
    const sseFigures = await measure('sse', issuer.ready.url, verifiers, settings, log);
    // `revocable edge` as one more follower (the service's SSE feed): revoke acknowledged → the edge refuses.
    const edge = await startChild(
      new URL('./lib/propagation-edge.ts', import.meta.url),
      [JSON.stringify(verifierConfig)],
      log,
    );
    children.push(edge);
    const edgeFigures = await measure('sse', issuer.ready.url, [edge], settings, log);
    await edge.close();

    const results: BenchResult[] = [];
    const add = (name: string, value: number, unit: string) => results.push({ name, value, unit });
    for (const [name, figures] of [
      ['redis', redisFigures],
      ['sse', sseFigures],
    ] as const) {
      add(`${name}_all8_p50`, percentile(figures.all, 50), 'ms');
      add(`${name}_all8_p99`, percentile(figures.all, 99), 'ms');
      add(`${name}_all8_max`, percentile(figures.all, 100), 'ms');
      add(`${name}_each_p50`, percentile(figures.each, 50), 'ms');
      add(`${name}_each_p99`, percentile(figures.each, 99), 'ms');
      add(`${name}_before_ack`, figures.beforeAck * 100, '% of (revocation, verifier) pairs');
      add(`${name}_revoke_call_p50`, percentile(figures.ackMs, 50), 'ms');
      add(`${name}_from_request_p50`, percentile(figures.fromRequest, 50), 'ms');
      add(`${name}_from_request_p99`, percentile(figures.fromRequest, 99), 'ms');
    }
    add('edge_p50', percentile(edgeFigures.all, 50), 'ms');
    add('edge_p99', percentile(edgeFigures.all, 99), 'ms');
    add('edge_max', percentile(edgeFigures.all, 100), 'ms');
    add('revocations_per_transport', settings.revocations, 'revocations');
    add('verifier_processes', VERIFIERS, 'processes');
    return {
      suite: 'propagation',
      results,
      ratios: {
        redis_p50_ms: percentile(redisFigures.all, 50),
        redis_p99_ms: percentile(redisFigures.all, 99),
        sse_p99_ms: percentile(sseFigures.all, 99),
        edge_p99_ms: percentile(edgeFigures.all, 99),
      },
      targets: {
        redis_p50_ms: '<= 5',
        redis_p99_ms: '<= 50',
        sse_p99_ms: '<= 100',
        edge_p99_ms: '<= 50',
      },
      notes: [
        `${machine()}; issuer on ${database.label}; ${VERIFIERS} verifier processes; loopback.`,
        'Figures: ms from the 201 of POST /admin/revocations to the id rejected by every verifier (all8) or by each (each); 0 when rejected before the 201 arrived. from_request: from sending the revoke call (so including the durable commit) to rejected by every verifier.',
      ],
    };
  } finally {
    await Promise.all(children.reverse().map((child) => child.close().catch(() => {})));
    await redis.stop();
    await database.drop().catch(() => {});
  }
};
