// The `edge` suite (docs/benchmarks.md): what `revocable edge` costs in front of an API, and what local
// introspection saves over asking the authorization server per request. All on loopback, in one run:
//   upstream          — the upstream alone (a plain Node HTTP server: bench/lib/edge-upstream.ts);
//   edge_open         — the edge proxying, every path public (the proxy's own cost);
//   edge_auth         — the edge proxying with auth: the core verifier and replica, 1,000 tokens
//                       round-robin of which 1 % are revoked (answered 401, counted, not failures);
//   nginx_open        — nginx → upstream;
//   nginx_auth        — nginx auth_request → the edge's forward-auth → upstream (same tokens);
//   introspect_local  — RFC 7662 at the edge (POST /_revocable/introspect, HTTP Basic), from the replica;
//   introspect_remote — RFC 7662 at oidc-provider (POST /token/introspection, HTTP Basic), 1,000 opaque
//                       tokens of which 1 % revoked: the round trip an API pays per request without a replica.
// The edges, the upstream and oidc-provider run in their own processes (startChild), nginx as Debian's
// binary with one worker; autocannon loads them from this process. Rounds are interleaved (target order
// rotates each round) after one warm-up per target; figures are medians over rounds.
// Run: npm run bench -- edge [--json] [--quick|--full]
import os from 'node:os';
import { peersAvailable, startNginx, tempPrefix } from '../packages/edge/test/support/peers.js';
import { freePort } from '../packages/redis/test/support/redis-server.js';
import { type ChildHandle, loadAverage, startChild } from './lib/child.js';
import type { OpConfig, OpReady } from './lib/edge-op.js';
import type { EdgeTargetsConfig, EdgeTargetsReady } from './lib/edge-targets.js';
import type { UpstreamReady } from './lib/edge-upstream.js';
import { type LoadOptions, type LoadResult, load } from './lib/http-load.js';
import { type BenchResult, machine, median, type Suite, type SuiteOptions } from './lib/suite.js';

type Mode = SuiteOptions['mode'];

const SETTINGS: Record<Mode, { warmupSec: number; rounds: number; roundSec: number }> = {
  quick: { warmupSec: 1, rounds: 2, roundSec: 1 },
  default: { warmupSec: 1, rounds: 7, roundSec: 1.5 },
  full: { warmupSec: 2, rounds: 15, roundSec: 2 },
};
const CONNECTIONS = 10;
const POOL = 1000;
const REVOKE_EVERY = 100;
const INTROSPECTOR = { id: 'bench-api', secret: 'bench-introspection-secret-0123456789' };
const TARGETS: Record<string, string> = {
  edge_auth_vs_edge_open: '>= 0.8',
  nginx_auth_vs_nginx_open: '>= 0.5',
  local_vs_remote_introspection: '>= 5',
};

interface Target {
  readonly name: string;
  readonly label: string;
  readonly url: string;
  readonly requests: NonNullable<LoadOptions['requests']>;
  /** Share of answers expected outside 2xx (the revoked tokens' 401s). */
  readonly refusedShare: number;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const gets = (tokens: readonly string[]) =>
  tokens.map((token) => ({
    method: 'GET' as const,
    path: '/resource',
    headers: { authorization: `Bearer ${token}` },
  }));
const introspections = (path: string, authorization: string, tokens: readonly string[]) =>
  tokens.map((token) => ({
    method: 'POST' as const,
    path,
    headers: {
      authorization,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ token }).toString(),
  }));

async function expectAnswer(
  url: string,
  init: RequestInit,
  status: number,
  what: string,
  check?: (body: Record<string, unknown>) => boolean,
): Promise<void> {
  const response = await fetch(url, init);
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.status !== status || (check !== undefined && !check(body))) {
    throw new Error(
      `correctness check failed: ${what}: got ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
    );
  }
}

/** Before any load: each target answers as it must, so the load cannot be measuring error paths. */
async function checkCorrectness(
  targets: readonly Target[],
  edges: EdgeTargetsReady,
  op: OpReady,
): Promise<void> {
  const valid = edges.pool[0]!;
  const revoked = edges.pool[edges.revoked[0]!]!;
  for (const target of targets) {
    const first = target.requests[0]!;
    if (first.method === 'GET') {
      const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
      await expectAnswer(`${target.url}/resource`, bearer(valid), 200, `${target.name}, valid token`, (b) =>
        target.refusedShare === 0 ? b['ok'] === true : b['sub'] === 'user-0',
      );
      if (target.refusedShare > 0) {
        await expectAnswer(`${target.url}/resource`, bearer(revoked), 401, `${target.name}, revoked token`);
        await expectAnswer(`${target.url}/resource`, {}, 401, `${target.name}, no token`);
      }
      continue;
    }
    const local = target.name === 'introspect_local';
    const tokens = local ? edges.pool : op.pool;
    const revokedIndex = (local ? edges.revoked : op.revoked)[0]!;
    const post = (token: string): RequestInit => ({
      method: 'POST',
      headers: first.headers,
      body: new URLSearchParams({ token }).toString(),
    });
    await expectAnswer(
      `${target.url}${first.path}`,
      post(tokens[1]!),
      200,
      `${target.name}, active`,
      (b) => b['active'] === true,
    );
    await expectAnswer(
      `${target.url}${first.path}`,
      post(tokens[revokedIndex]!),
      200,
      `${target.name}, revoked`,
      (b) => b['active'] === false,
    );
  }
}

async function measure(target: Target, durationSec: number): Promise<LoadResult> {
  const run = await load({
    url: target.url,
    connections: CONNECTIONS,
    durationSec,
    headers: [],
    requests: target.requests,
  });
  // Each connection walks the pool from its start, so a short run may not reach a revoked token: the
  // refusals are bounded by twice their share, never required.
  const expected = run.requests * target.refusedShare;
  const off = run.non2xx > expected * 2 + CONNECTIONS;
  if (run.errors > 0 || run.timeouts > 0 || run.requests === 0 || off) {
    throw new Error(
      `${target.label}: ${run.non2xx} non-2xx (expected about ${expected.toFixed(0)}), ${run.errors} errors, ${run.timeouts} timeouts out of ${run.requests} requests: the figures would measure failures, aborting`,
    );
  }
  return run;
}

function nginxConf(
  dir: string,
  ports: { open: number; auth: number },
  upstream: number,
  edge: number,
): string {
  return `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  # nginx closes a client's keep-alive connection after 1,000 requests by default; the load generator
  # then sees a socket error now and then, which the suite counts as a failure. Keep connections open.
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream api { server 127.0.0.1:${upstream}; keepalive 64; keepalive_requests 1000000; }
  upstream revocable_edge { server 127.0.0.1:${edge}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${ports.open};
    location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://api; }
  }
  server {
    listen 127.0.0.1:${ports.auth};
    location = /_revocable_auth {
      internal;
      proxy_pass http://revocable_edge/_revocable/auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-Method $request_method;
      proxy_set_header X-Forwarded-Uri $request_uri;
    }
    location / {
      auth_request /_revocable_auth;
      auth_request_set $revocable_sub $upstream_http_x_revocable_sub;
      proxy_set_header X-Revocable-Sub $revocable_sub;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://api;
    }
  }
}
`;
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

export const run: Suite = async ({ mode, log }) => {
  const settings = SETTINGS[mode];
  const startLoad = os.loadavg()[0]!;
  const children: ChildHandle<unknown>[] = [];
  const notes: string[] = [];
  let stopNginx: (() => Promise<void>) | undefined;
  try {
    const upstream = await startChild<UpstreamReady>(
      new URL('./lib/edge-upstream.ts', import.meta.url),
      [],
      log,
    );
    children.push(upstream);
    const upstreamUrl = `http://127.0.0.1:${upstream.ready.port}`;
    const edgesConfig: EdgeTargetsConfig = {
      upstream: upstreamUrl,
      pool: POOL,
      revokeEvery: REVOKE_EVERY,
      introspector: INTROSPECTOR,
    };
    const opConfig: OpConfig = { pool: POOL, revokeEvery: REVOKE_EVERY, client: INTROSPECTOR };
    log(
      `edge: starting the upstream, the edges (${POOL} tokens, 1 in ${REVOKE_EVERY} revoked) and oidc-provider`,
    );
    const [edges, op] = await Promise.all([
      startChild<EdgeTargetsReady>(
        new URL('./lib/edge-targets.ts', import.meta.url),
        [JSON.stringify(edgesConfig)],
        log,
      ),
      startChild<OpReady>(new URL('./lib/edge-op.ts', import.meta.url), [JSON.stringify(opConfig)], log),
    ]);
    children.push(edges, op);
    const edgeUrl = (port: number) => `http://127.0.0.1:${port}`;
    const share = edges.ready.revoked.length / POOL;
    const targets: Target[] = [
      {
        name: 'upstream',
        label: 'upstream alone',
        url: upstreamUrl,
        requests: gets(edges.ready.pool),
        refusedShare: 0,
      },
      {
        name: 'edge_open',
        label: 'edge proxying, no auth',
        url: edgeUrl(edges.ready.ports.open),
        requests: gets(edges.ready.pool),
        refusedShare: 0,
      },
      {
        name: 'edge_auth',
        label: `edge proxying with auth, ${POOL} tokens`,
        url: edgeUrl(edges.ready.ports.auth),
        requests: gets(edges.ready.pool),
        refusedShare: share,
      },
    ];
    if (peersAvailable(['nginx'], 'edge bench')) {
      const prefix = tempPrefix('nginx-bench');
      const ports = { open: await freePort(), auth: await freePort() };
      const nginx = await startNginx(
        prefix.dir,
        nginxConf(prefix.dir, ports, upstream.ready.port, edges.ready.ports.auth),
        ports.auth,
      );
      stopNginx = async () => {
        await nginx.stop();
        prefix.remove();
      };
      targets.push(
        {
          name: 'nginx_open',
          label: 'nginx → upstream',
          url: edgeUrl(ports.open),
          requests: gets(edges.ready.pool),
          refusedShare: 0,
        },
        {
          name: 'nginx_auth',
          label: 'nginx auth_request → edge → upstream',
          url: edgeUrl(ports.auth),
          requests: gets(edges.ready.pool),
          refusedShare: share,
        },
      );
    } else {
      notes.push('nginx is not installed: nginx_open, nginx_auth and their ratio are omitted.');
    }
    targets.push(
      {
        name: 'introspect_local',
        label: 'RFC 7662 at the edge (replica)',
        url: edgeUrl(edges.ready.ports.auth),
        requests: introspections(
          '/_revocable/introspect',
          basic(INTROSPECTOR.id, INTROSPECTOR.secret),
          edges.ready.pool,
        ),
        refusedShare: 0,
      },
      {
        name: 'introspect_remote',
        label: 'RFC 7662 at oidc-provider',
        url: edgeUrl(op.ready.port),
        requests: introspections(
          op.ready.introspectionPath,
          basic(INTROSPECTOR.id, INTROSPECTOR.secret),
          op.ready.pool,
        ),
        refusedShare: 0,
      },
    );
    await checkCorrectness(targets, edges.ready, op.ready);
    log('edge: correctness checked (200 valid, 401 revoked / missing; introspection active / inactive)');

    for (const target of targets) {
      const warm = await measure(target, settings.warmupSec);
      log(`edge: warm-up ${target.label}: ${fixed(warm.requestsPerSec)} req/s`);
    }
    const runs = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
    for (let round = 0; round < settings.rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const target = targets[(k + round) % targets.length]!;
        const result = await measure(target, settings.roundSec);
        runs.get(target.name)!.push(result);
        log(
          `edge: round ${round + 1}/${settings.rounds} ${target.label}: ${fixed(result.requestsPerSec)} req/s, p99 ${fixed(result.p99Ms, 2)} ms`,
        );
      }
    }

    const results: BenchResult[] = [];
    const rps: Record<string, number> = {};
    for (const [name, list] of runs) {
      rps[name] = median(list.map((r) => r.requestsPerSec));
      results.push(
        { name: `${name}_req_per_s`, value: rps[name], unit: 'req/s' },
        { name: `${name}_p50`, value: median(list.map((r) => r.p50Ms)), unit: 'ms' },
        { name: `${name}_p99`, value: median(list.map((r) => r.p99Ms)), unit: 'ms' },
      );
    }
    const ratios: Record<string, number> = {
      edge_auth_vs_edge_open: rps['edge_auth']! / rps['edge_open']!,
      local_vs_remote_introspection: rps['introspect_local']! / rps['introspect_remote']!,
    };
    if (rps['nginx_open'] !== undefined)
      ratios['nginx_auth_vs_nginx_open'] = rps['nginx_auth']! / rps['nginx_open'];
    const targetsText = Object.fromEntries(Object.keys(ratios).map((name) => [name, TARGETS[name]!]));
    const stats = await edges.request<{ tokens: number; stale: boolean }>('stats');
    notes.push(
      `edge_open / upstream = ${fixed(rps['edge_open']! / rps['upstream']!, 3)}` +
        (rps['nginx_open'] !== undefined
          ? `; nginx_open / upstream = ${fixed(rps['nginx_open'] / rps['upstream']!, 3)}`
          : '') +
        '.',
      `load: autocannon in the suite process, ${CONNECTIONS} connections, ${settings.rounds} interleaved rounds of ${settings.roundSec} s per target after a ${settings.warmupSec} s warm-up; medians over rounds. The auth targets answer 401 to the ${edges.ready.revoked.length} revoked tokens of ${POOL} (counted in req/s).`,
      `per-round req/s: ${[...runs].map(([name, list]) => `${name} [${list.map((r) => fixed(r.requestsPerSec)).join(', ')}]`).join('; ')}.`,
      `replica: ${stats.tokens} revoked token ids, stale=${stats.stale}.`,
    );
    for (const [name, value] of Object.entries(ratios)) {
      const bound = Number(TARGETS[name]!.replace('>= ', ''));
      if (value < bound) notes.push(`MISS: ${name} = ${fixed(value, 3)}, target ${TARGETS[name]}.`);
    }
    notes.push(`machine: ${machine()}; ${loadAverage(startLoad)}.`);
    return { suite: 'edge', results, ratios, targets: targetsText, notes };
  } finally {
    await stopNginx?.();
    await Promise.all(children.reverse().map((child) => child.close().catch(() => {})));
  }
};
