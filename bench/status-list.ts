// The `status-list` suite (docs/benchmarks.md): the core's Token Status List codec and consumer. A list
// of 1M live tokens at 1 bit with 1 % revoked at random indexes: its compressed size, encode and
// decode time, signing it as a statuslist+jwt; a verifier's fetch (loopback HTTP server) + verify +
// decode of that token; the per-request cost the StatusListCheck adds to a cached verify; and, from a
// `revocable serve --status-list` process on SQLite (default interval and ttl) holding `preload` live
// entries (1 % revoked), the time from an acknowledged logout to a published list that shows it
// (status_publish_ms) and a verifier's fetch + verify + decode of the list the service serves.
// Run: npm run bench -- status-list [--json] [--quick|--full]
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessTokenIssuer,
  KeyRing,
  RemoteJwks,
  StatusList,
  StatusListCheck,
  signStatusListToken,
  TOKEN_STATUS,
  Verifier,
} from '@revocable/core';
import { startChild } from './lib/child.js';
import type { StatusListServiceReady } from './lib/status-list-service.js';
import { type BenchResult, machine, median, type Suite, type SuiteOptions, timeSync } from './lib/suite.js';

const ISSUER = 'https://auth.example.com';
const REVOKED_SHARE = 0.01;
const TARGET_BYTES_1M = 32 * 1024;

const SETTINGS: Record<
  SuiteOptions['mode'],
  { sizes: number[]; rounds: number; fetches: number; checks: number; preload: number; publishes: number }
> = {
  quick: { sizes: [1_000_000], rounds: 5, fetches: 10, checks: 100_000, preload: 5_000, publishes: 10 },
  default: {
    sizes: [1_000_000, 10_000_000],
    rounds: 9,
    fetches: 30,
    checks: 300_000,
    preload: 20_000,
    publishes: 30,
  },
  full: {
    sizes: [1_000_000, 10_000_000],
    rounds: 21,
    fetches: 100,
    checks: 1_000_000,
    preload: 100_000,
    publishes: 100,
  },
};
const TARGET_PUBLISH_MS = 1000;
const MEDIA_TYPE = 'application/statuslist+jwt';

/** `size` entries at 1 bit, `REVOKED_SHARE` of them INVALID at distinct random indexes. */
function revokedList(size: number): StatusList {
  const list = new StatusList(size, 1);
  const revoked = Math.round(size * REVOKED_SHARE);
  let set = 0;
  while (set < revoked) {
    const index = randomInt(size);
    if (list.get(index) === TOKEN_STATUS.VALID) {
      list.set(index, TOKEN_STATUS.INVALID);
      set++;
    }
  }
  return list;
}

function timeMs(fn: () => unknown, rounds: number): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

/** A loopback server answering every GET with its current `body` as application/statuslist+jwt. */
async function listServer(): Promise<{ uri: string; body: string; close: () => Promise<void> }> {
  const state = { uri: '', body: '', close: async () => {} };
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/statuslist+jwt',
      'content-length': Buffer.byteLength(state.body),
    });
    res.end(state.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/statuslists/1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

interface SizeFigures {
  readonly results: BenchResult[];
  readonly bytes: number;
  readonly fetchMs: number;
}

async function measureSize(
  size: number,
  ring: KeyRing,
  settings: (typeof SETTINGS)[SuiteOptions['mode']],
  log: (line: string) => void,
): Promise<SizeFigures> {
  const tag = size >= 10_000_000 ? '10m' : '1m';
  log(`status-list: ${tag}: building the list, ${REVOKED_SHARE * 100} % revoked at random indexes`);
  const list = revokedList(size);
  const lst = list.encode();
  const bytes = Buffer.from(lst, 'base64url').length;
  log(`status-list: ${tag}: encode, decode, sign, ${settings.rounds} rounds each`);
  const encodeMs = timeMs(() => list.encode(), settings.rounds);
  const decodeMs = timeMs(() => StatusList.decode(lst, 1, { maxBytes: 16 * 1024 * 1024 }), settings.rounds);

  const server = await listServer();
  try {
    const signMs = timeMs(() => signStatusListToken(ring, { uri: server.uri, list }), settings.rounds);
    server.body = signStatusListToken(ring, { uri: server.uri, list }).token;
    log(`status-list: ${tag}: fetch + verify + decode over loopback, ${settings.fetches} times`);
    const check = new StatusListCheck({
      keys: ring,
      allowInsecureLocalhost: true,
      maxBytes: 8 * 1024 * 1024,
      maxListBytes: 16 * 1024 * 1024,
    });
    await check.load(server.uri);
    const samples: number[] = [];
    for (let i = 0; i < settings.fetches; i++) {
      const start = process.hrtime.bigint();
      await check.load(server.uri);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    const fetchUs = median(samples);
    return {
      bytes,
      fetchMs: fetchUs / 1000,
      results: [
        { name: `status_list_bytes_${tag}`, value: bytes, unit: 'bytes' },
        { name: `status_list_uncompressed_bytes_${tag}`, value: list.byteLength, unit: 'bytes' },
        { name: `status_list_token_chars_${tag}`, value: server.body.length, unit: 'chars' },
        { name: `encode_ms_${tag}`, value: encodeMs, unit: 'ms' },
        { name: `decode_ms_${tag}`, value: decodeMs, unit: 'ms' },
        { name: `sign_ms_${tag}`, value: signMs, unit: 'ms' },
        { name: `fetch_verify_decode_ms_${tag}`, value: fetchUs / 1000, unit: 'ms' },
      ],
    };
  } finally {
    await server.close();
  }
}

/**
 * What the check adds to a verify that hits the verified cache: the same token (carrying a status
 * reference) through a verifier with a StatusListCheck holding a 1M list, and through one with
 * `revocation: 'none'`. ns per verify.
 */
async function measureCheck(
  ring: KeyRing,
  settings: (typeof SETTINGS)[SuiteOptions['mode']],
  log: (line: string) => void,
): Promise<{ withList: number; without: number }> {
  const server = await listServer();
  try {
    const list = revokedList(1_000_000);
    server.body = signStatusListToken(ring, { uri: server.uri, list }).token;
    const check = new StatusListCheck({ keys: ring, allowInsecureLocalhost: true });
    await check.load(server.uri);
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISSUER, audience: 'api' });
    let idx = 0;
    while (list.get(idx) !== TOKEN_STATUS.VALID) idx++;
    const { token } = issuer.issue({
      sub: 'alice',
      claims: { status: { status_list: { idx, uri: server.uri } } },
    });
    const withList = new Verifier({ keys: ring, issuer: ISSUER, audience: 'api', revocation: check });
    const without = new Verifier({ keys: ring, issuer: ISSUER, audience: 'api', revocation: 'none' });
    log(
      `status-list: cached verify with and without the check, ${settings.checks} each, ${settings.rounds} rounds`,
    );
    const rounds: { withList: number; without: number }[] = [];
    for (let r = 0; r < settings.rounds; r++) {
      rounds.push({
        withList: timeSync(() => withList.verifySync(token), settings.checks, 1) * 1000,
        without: timeSync(() => without.verifySync(token), settings.checks, 1) * 1000,
      });
    }
    return { withList: median(rounds.map((r) => r.withList)), without: median(rounds.map((r) => r.without)) };
  } finally {
    await server.close();
  }
}

interface PublishFigures {
  readonly publishMs: number;
  readonly publishMaxMs: number;
  readonly fetchMs: number;
  readonly bytes: number;
  readonly entries: number;
  readonly revoked: number;
  readonly intervalMs: number;
  readonly ttlSec: number;
}

async function postJson(url: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** The status at `idx` of the list the service serves now (read, not verified: that is timed apart). */
async function servedStatus(uri: string, idx: number): Promise<{ status: number; bytes: number }> {
  const response = await fetch(uri, { headers: { accept: MEDIA_TYPE } });
  if (response.status !== 200) throw new Error(`GET ${uri} answered ${response.status}`);
  const token = await response.text();
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  const { bits, lst } = claims.status_list;
  return { status: StatusList.decode(lst, bits).get(idx), bytes: Buffer.from(lst, 'base64url').length };
}

/**
 * status_publish_ms: a `revocable serve --status-list` child on a SQLite file, `preload` live entries
 * (1 % revoked); then, `publishes` times, a login, its logout, and from the logout's 204 a poll of
 * the served list every 5 ms until the token's bit reads 1.
 */
async function measurePublish(
  settings: (typeof SETTINGS)[SuiteOptions['mode']],
  log: (line: string) => void,
): Promise<PublishFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-bench-status-list-'));
  const child = await startChild<StatusListServiceReady>(
    new URL('./lib/status-list-service.ts', import.meta.url),
    [join(dir, 'revocable.db')],
    log,
    300_000, // a loaded 2-core machine has taken over 2 minutes to start a service
  );
  try {
    const { url, intervalMs, ttlSec } = child.ready;
    log(`status-list: publish: preloading ${settings.preload} live entries, 1 % revoked`);
    const stats = await child.request<{ entries: number; revoked: number }>('preload', {
      entries: settings.preload,
      revokedShare: REVOKED_SHARE,
    });
    const credentials = { username: 'bench-status-list', password: 'correct horse battery staple' };
    const registered = await postJson(`${url}/auth/register`, credentials);
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
    log(`status-list: publish: ${settings.publishes} logouts, polling the list every 5 ms`);
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < settings.publishes; i++) {
      const login = await postJson(`${url}/auth/login`, credentials);
      if (login.status !== 200) throw new Error(`login answered ${login.status}`);
      const token = login.body.access_token as string;
      const { idx, uri } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).status
        .status_list as { idx: number; uri: string };
      // A random pause first: the logout lands anywhere within the publisher's interval, not in step with it.
      await new Promise((resolve) => setTimeout(resolve, randomInt(intervalMs)));
      const logout = await postJson(`${url}/auth/logout`, undefined, token);
      if (logout.status !== 204) throw new Error(`logout answered ${logout.status}`);
      const acknowledged = performance.now();
      for (;;) {
        const served = await servedStatus(uri, idx);
        if (served.status === TOKEN_STATUS.INVALID) {
          samples.push(performance.now() - acknowledged);
          bytes = served.bytes;
          break;
        }
        if (performance.now() - acknowledged > 30_000)
          throw new Error('the logout was not published in 30 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    log(
      `status-list: publish: a verifier's fetch + verify + decode of the served list, ${settings.fetches} times`,
    );
    const uri = `${url}/status-lists/1`;
    const keys = new RemoteJwks({ url: `${url}/.well-known/jwks.json`, allowInsecureLocalhost: true });
    const check = new StatusListCheck({ keys, allowInsecureLocalhost: true });
    await check.load(uri);
    const fetches: number[] = [];
    for (let i = 0; i < settings.fetches; i++) {
      const start = process.hrtime.bigint();
      await check.load(uri);
      fetches.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return {
      publishMs: median(samples),
      publishMaxMs: Math.max(...samples),
      fetchMs: median(fetches),
      bytes,
      entries: stats.entries,
      revoked: stats.revoked,
      intervalMs,
      ttlSec,
    };
  } finally {
    await child.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const run: Suite = async ({ mode, log }) => {
  const settings = SETTINGS[mode];
  log(`status-list: ${machine()}, mode ${mode}`);
  const ring = await KeyRing.open({ alg: 'ES256' });
  const results: BenchResult[] = [];
  const ratios: Record<string, number> = {};
  const targets: Record<string, string> = {};
  for (const size of settings.sizes) {
    const figures = await measureSize(size, ring, settings, log);
    results.push(...figures.results);
    const tag = size >= 10_000_000 ? '10m' : '1m';
    ratios[`status_list_bytes_${tag}`] = figures.bytes;
    ratios[`fetch_verify_decode_ms_${tag}`] = figures.fetchMs;
    targets[`status_list_bytes_${tag}`] = tag === '1m' ? `<= ${TARGET_BYTES_1M}` : '(tracked)';
    targets[`fetch_verify_decode_ms_${tag}`] = '(tracked)';
  }
  const cost = await measureCheck(ring, settings, log);
  results.push(
    { name: 'cached_verify_with_status_list', value: cost.withList, unit: 'ns/op' },
    { name: 'cached_verify_without_revocation', value: cost.without, unit: 'ns/op' },
  );
  ratios['status_check_ns'] = cost.withList - cost.without;
  targets['status_check_ns'] = '(tracked)';
  const publish = await measurePublish(settings, log);
  results.push(
    { name: 'status_publish_ms', value: publish.publishMs, unit: 'ms' },
    { name: 'status_publish_max_ms', value: publish.publishMaxMs, unit: 'ms' },
    { name: 'service_fetch_verify_decode_ms', value: publish.fetchMs, unit: 'ms' },
    { name: 'service_list_bytes', value: publish.bytes, unit: 'bytes' },
    { name: 'service_live_entries', value: publish.entries, unit: 'entries' },
  );
  ratios['status_publish_max_ms'] = publish.publishMaxMs;
  targets['status_publish_max_ms'] = `<= ${TARGET_PUBLISH_MS}`;
  ratios['service_fetch_verify_decode_ms'] = publish.fetchMs;
  targets['service_fetch_verify_decode_ms'] = '(tracked)';
  const bytes1m = ratios['status_list_bytes_1m'] ?? Number.NaN;
  const notes = [
    `machine: ${machine()}`,
    `lists of 1 bit per token, ${REVOKED_SHARE * 100} % INVALID at distinct random indexes (the worst case for compression at that rate), ES256-signed`,
    'fetch_verify_decode: StatusListCheck.load over a loopback HTTP server (fetch, verify signature and claims, inflate), median of sequential loads',
    "status_check_ns: a cached verifySync through a StatusListCheck holding the list, minus the same with revocation 'none'",
    `status_publish: revocable serve --status-list on a SQLite file (interval ${publish.intervalMs} ms, ttl ${publish.ttlSec} s, list of ${SETTINGS[mode].preload} preloaded live entries + the bench's, ${publish.revoked} revoked), ${settings.publishes} logouts at random points of the interval: from the logout's 204 to the first served list showing the token's bit 1, polled every 5 ms`,
    'service_fetch_verify_decode: StatusListCheck.load of the served list (its own 1M-entry list: --status-list-size default) over loopback HTTP, keys from the service JWKS',
  ];
  if (!(publish.publishMaxMs <= TARGET_PUBLISH_MS))
    notes.push(
      `MISSED: status_publish_max_ms ${publish.publishMaxMs.toFixed(0)} (target <= ${TARGET_PUBLISH_MS})`,
    );
  if (!(bytes1m <= TARGET_BYTES_1M))
    notes.push(`MISSED: status_list_bytes_1m ${bytes1m} (target <= ${TARGET_BYTES_1M})`);
  return { suite: 'status-list', results, ratios, targets, notes };
};
