import { randomBytes } from 'node:crypto';
import {
  AccessTokenIssuer,
  DEFAULT_REVOCATION_POLICY,
  HTTP_STATUS,
  isRevocableError,
  KeyRing,
  type RevocableError,
  type RevocationCheck,
  StatusList,
  StatusListCheck,
  type StatusListCheckOptions,
  signStatusListToken,
  TOKEN_STATUS,
  Verifier,
} from '@revocable/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { forgeSigned } from '../support/forge.js';
import { type ListServer, MEDIA_TYPE, settle, startListServer } from './support.js';

const ISS = 'https://auth.example';
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

let now = T0;
const clock = () => now;
let ring: KeyRing;
let stranger: KeyRing;
let issuer: AccessTokenIssuer;
let server: ListServer;

beforeAll(async () => {
  [ring, stranger] = await Promise.all([
    KeyRing.open({ alg: 'EdDSA', clock }),
    KeyRing.open({ alg: 'EdDSA', clock }),
  ]);
  issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: 'api', clock });
});
beforeEach(async () => {
  now = T0;
  server = await startListServer();
});
afterEach(async () => {
  await server.close();
});

/** A 2-bit list of 1024 entries with the given [index, status] set. */
function listOf(...entries: [number, number][]): StatusList {
  const list = new StatusList(1024, 2);
  for (const [index, status] of entries) list.set(index, status);
  return list;
}

function publish(
  list: StatusList,
  options: { ttlSec?: number; lifetimeSec?: number; keys?: KeyRing } = {},
): void {
  const { keys = ring, ...rest } = options;
  server.publish(signStatusListToken(keys, { uri: server.uri, list, ...rest }, now).token);
}

function tokenAt(idx: number, uri = server.uri, sub = 'alice'): string {
  return issuer.issue({ sub, claims: { status: { status_list: { idx, uri } } } }).token;
}

function checkOf(options: Partial<StatusListCheckOptions> = {}): StatusListCheck {
  return new StatusListCheck({ keys: ring, allowInsecureLocalhost: true, clock, ...options });
}

function verifierOf(revocation: RevocationCheck): Verifier {
  return new Verifier({ keys: ring, issuer: ISS, audience: 'api', revocation, clock });
}

function errorOf(fn: () => unknown): RevocableError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!isRevocableError(err)) throw err;
    return err;
  }
}

async function errorOfAsync(promise: Promise<unknown>): Promise<RevocableError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (!isRevocableError(err)) throw err;
    return err;
  }
}

describe('deciding from the list', () => {
  it('control: VALID is accepted; INVALID and SUSPENDED are refused as revoked by a token rule', async () => {
    publish(listOf([1, TOKEN_STATUS.INVALID], [2, TOKEN_STATUS.SUSPENDED]));
    const check = checkOf();
    await check.load(server.uri);
    const verifier = verifierOf(check);
    expect(verifier.verifySync(tokenAt(0)).claims.sub).toBe('alice');
    for (const idx of [1, 2]) {
      const err = errorOf(() => verifier.verifySync(tokenAt(idx)));
      expect(err?.code).toBe('ERR_TOKEN_REVOKED');
      expect(err?.rule).toBe('token');
    }
  });

  it('validStatuses widens what passes (here SUSPENDED), and nothing else', async () => {
    publish(listOf([1, TOKEN_STATUS.INVALID], [2, TOKEN_STATUS.SUSPENDED]));
    const check = checkOf({ validStatuses: [TOKEN_STATUS.VALID, TOKEN_STATUS.SUSPENDED] });
    await check.load(server.uri);
    const verifier = verifierOf(check);
    expect(errorOf(() => verifier.verifySync(tokenAt(2)))).toBeUndefined();
    expect(errorOf(() => verifier.verifySync(tokenAt(1)))?.code).toBe('ERR_TOKEN_REVOKED');
  });

  it('the inner check comes first: its rule refuses without any list being fetched, and it alone judges tokens without status', async () => {
    publish(listOf());
    const inner: RevocationCheck = {
      policy: DEFAULT_REVOCATION_POLICY,
      check: (facts) => (facts.sub === 'mallory' ? 'subject' : undefined),
    };
    const verifier = verifierOf(checkOf({ revocation: inner }));
    const err = await errorOfAsync(verifier.verify(tokenAt(0, server.uri, 'mallory')));
    expect(err?.rule).toBe('subject');
    expect((await verifier.verify(issuer.issue({ sub: 'alice' }).token)).claims.sub).toBe('alice');
    expect(errorOf(() => verifier.verifySync(issuer.issue({ sub: 'mallory' }).token))?.rule).toBe('subject');
    expect(server.requests).toHaveLength(0);
  });

  it('a malformed status.status_list is refused (claim status); a status of another shape is not a reference', async () => {
    const verifier = verifierOf(checkOf());
    for (const status_list of [
      { idx: -1, uri: server.uri },
      { idx: 1.5, uri: server.uri },
      { idx: 0 },
      { idx: 0, uri: 'relative' },
      'x',
    ]) {
      const token = issuer.issue({ sub: 'alice', claims: { status: { status_list } } }).token;
      const err = errorOf(() => verifier.verifySync(token));
      expect(err?.code).toBe('ERR_CLAIM_INVALID');
      expect(err?.claim).toBe('status');
    }
    const other = issuer.issue({ sub: 'alice', claims: { status: 'active' } }).token;
    expect(verifier.verifySync(other).facts.statusList).toBeUndefined();
    expect(server.requests).toHaveLength(0);
  });
});

describe('fetching and caching', () => {
  it('verifySync answers 503 before the first fetch; verify() fetches once (Accept: statuslist+jwt), then memory answers', async () => {
    publish(listOf());
    const check = checkOf();
    const verifier = verifierOf(check);
    const err = errorOf(() => verifier.verifySync(tokenAt(0)));
    expect(err?.code).toBe('ERR_REVOCATION_STALE');
    expect(HTTP_STATUS[err!.code]).toBe(503);
    for (let i = 0; i < 20; i++) await verifier.verify(tokenAt(i));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.accept).toBe(MEDIA_TYPE);
    expect(check.fetches).toBe(1);
  });

  it('concurrent first verifies share one fetch', async () => {
    publish(listOf([5, TOKEN_STATUS.INVALID]));
    const verifier = verifierOf(checkOf());
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => errorOfAsync(verifier.verify(tokenAt(i)))),
    );
    expect(outcomes.map((e) => e?.code)).toEqual([
      ...Array(5).fill(undefined),
      'ERR_TOKEN_REVOKED',
      ...Array(4).fill(undefined),
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it('the list held answers until its ttl; then a background fetch brings the newer one', async () => {
    publish(listOf(), { ttlSec: 60 });
    const check = checkOf();
    await check.load(server.uri);
    const verifier = verifierOf(check);
    publish(listOf([3, TOKEN_STATUS.INVALID]), { ttlSec: 60 });
    now += 59_000;
    expect(errorOf(() => verifier.verifySync(tokenAt(3)))).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    now += 1_000;
    // Due: this check still answers from the held list and starts the fetch.
    expect(errorOf(() => verifier.verifySync(tokenAt(3)))).toBeUndefined();
    await settle(server, 2);
    expect(server.requests).toHaveLength(2);
    expect(errorOf(() => verifier.verifySync(tokenAt(3)))?.code).toBe('ERR_TOKEN_REVOKED');
  });

  it('without ttl the response Cache-Control max-age decides; with ttl, ttl wins (the draft: claims first)', async () => {
    const key = ring.signingKey();
    const header = { alg: key.alg, kid: key.kid, typ: 'statuslist+jwt' };
    const claims = {
      sub: server.uri,
      iat: now / 1000,
      exp: now / 1000 + 3600,
      status_list: { bits: 1, lst: new StatusList(8).encode() },
    };
    server.publish(forgeSigned(key, header, claims), { 'cache-control': 'max-age=10' });
    const check = checkOf();
    await check.load(server.uri);
    now += 10_000;
    check.check(verifierOf(check).verifySync(tokenAt(0)).facts);
    await settle(server, 2);
    expect(server.requests).toHaveLength(2);

    server.publish(forgeSigned(key, header, { ...claims, ttl: 60 }), { 'cache-control': 'max-age=10' });
    await check.load(server.uri);
    now += 30_000;
    verifierOf(check).verifySync(tokenAt(1));
    await settle(server, 4);
    expect(server.requests).toHaveLength(3);
  });

  it('a ttl shorter than minRefreshMs is raised to it', async () => {
    publish(listOf(), { ttlSec: 1 });
    const check = checkOf({ minRefreshMs: 5_000 });
    await check.load(server.uri);
    const verifier = verifierOf(check);
    now += 4_000;
    verifier.verifySync(tokenAt(0));
    await settle(server, 2);
    expect(server.requests).toHaveLength(1);
    now += 1_000;
    verifier.verifySync(tokenAt(0));
    await settle(server, 2);
    expect(server.requests).toHaveLength(2);
  });
});

describe('staleness', () => {
  it('fail-closed (default): a failing provider leaves the held list in use until maxStalenessMs, then 503 until it recovers', async () => {
    publish(listOf([3, TOKEN_STATUS.INVALID]), { ttlSec: 10 });
    const check = checkOf({ maxStalenessMs: 60_000 });
    await check.load(server.uri);
    const verifier = verifierOf(check);
    server.publication.status = 503;
    now += 30_000;
    expect(errorOf(() => verifier.verifySync(tokenAt(0)))).toBeUndefined();
    await settle(server, 2);
    now += 30_001;
    expect(errorOf(() => verifier.verifySync(tokenAt(0)))?.code).toBe('ERR_REVOCATION_STALE');
    const err = await errorOfAsync(verifier.verify(tokenAt(0)));
    expect(err?.code).toBe('ERR_REVOCATION_STALE');
    expect(String((err?.cause as Error | undefined)?.message)).toMatch(/HTTP 503/);
    publish(listOf([3, TOKEN_STATUS.INVALID]), { ttlSec: 10 });
    now += 5_000;
    expect((await verifier.verify(tokenAt(0))).claims.sub).toBe('alice');
    expect((await errorOfAsync(verifier.verify(tokenAt(3))))?.code).toBe('ERR_TOKEN_REVOKED');
  });

  it('fail-open: a stale list still refuses what it revokes, accepts the rest and counts them; no list at all accepts', async () => {
    publish(listOf([3, TOKEN_STATUS.INVALID]), { ttlSec: 10 });
    const check = checkOf({ maxStalenessMs: 60_000, stalePolicy: 'fail-open' });
    await check.load(server.uri);
    const verifier = verifierOf(check);
    server.publication.status = 503;
    now += 60_001;
    expect(errorOf(() => verifier.verifySync(tokenAt(3)))?.code).toBe('ERR_TOKEN_REVOKED');
    expect(errorOf(() => verifier.verifySync(tokenAt(0)))).toBeUndefined();
    expect(check.staleAccepts).toBe(1);

    const cold = checkOf({ stalePolicy: 'fail-open' });
    const coldVerifier = verifierOf(cold);
    expect(errorOf(() => coldVerifier.verifySync(tokenAt(3)))?.code).toBe('ERR_REVOCATION_STALE');
    expect((await coldVerifier.verify(tokenAt(3))).claims.sub).toBe('alice');
    expect(cold.staleAccepts).toBe(1);
  });

  it('fail-open: a list past its exp still answers verifySync from what it holds, counting what it accepts', async () => {
    publish(listOf([3, TOKEN_STATUS.INVALID]), { ttlSec: 100, lifetimeSec: 100 });
    const check = checkOf({ maxStalenessMs: 3_600_000, stalePolicy: 'fail-open' });
    await check.load(server.uri);
    const verifier = verifierOf(check);
    server.publication.status = 503;
    now += 100_000;
    expect(errorOf(() => verifier.verifySync(tokenAt(3)))?.code).toBe('ERR_TOKEN_REVOKED');
    expect(errorOf(() => verifier.verifySync(tokenAt(0)))).toBeUndefined();
    expect(check.staleAccepts).toBe(1);
  });

  it('a list past its exp is never relied upon, however fresh the fetch', async () => {
    publish(listOf(), { ttlSec: 100, lifetimeSec: 100 });
    const check = checkOf({ maxStalenessMs: 3_600_000 });
    await check.load(server.uri);
    const verifier = verifierOf(check);
    server.publication.status = 503;
    now += 99_000;
    expect(errorOf(() => verifier.verifySync(tokenAt(0)))).toBeUndefined();
    now += 1_000;
    expect((await errorOfAsync(verifier.verify(tokenAt(0))))?.code).toBe('ERR_REVOCATION_STALE');
  });
});

describe('a list that fails verification is not used (503, the reason in cause)', () => {
  const cases: [string, () => void, RegExp][] = [
    [
      'for another URI (sub)',
      () => server.publish(signStatusListToken(ring, { uri: `${server.uri}x`, list: listOf() }, now).token),
      /sub/,
    ],
    [
      'signed by a key the verifier does not trust',
      () => publish(listOf(), { keys: stranger }),
      /unknown key/,
    ],
    [
      'served with another Content-Type',
      () =>
        server.publish(signStatusListToken(ring, { uri: server.uri, list: listOf() }, now).token, {
          'content-type': 'application/jwt',
        }),
      /Content-Type/,
    ],
    ['answered with HTTP 404', () => {}, /HTTP 404/],
    [
      'larger than maxBytes',
      () =>
        server.publish(
          signStatusListToken(
            ring,
            { uri: server.uri, list: StatusList.fromBytes(randomBytes(20_000), 8) },
            now,
          ).token,
        ),
      /larger than/,
    ],
    ['not answered in time', () => Object.assign(server.publication, { status: 200, hang: true }), /in time/],
    [
      'expired',
      () =>
        server.publish(
          signStatusListToken(ring, { uri: server.uri, list: listOf(), lifetimeSec: 1 }, now - 10_000).token,
        ),
      /expired/,
    ],
  ];
  for (const [name, arrange, reason] of cases) {
    it(name, async () => {
      arrange();
      const check = checkOf({ maxBytes: 16_384, timeoutMs: 300 });
      const err = await errorOfAsync(verifierOf(check).verify(tokenAt(0)));
      expect(err?.code).toBe('ERR_REVOCATION_STALE');
      expect(String((err?.cause as Error | undefined)?.message)).toMatch(reason);
    });
  }

  it('control: the same check with a good publication accepts (so each refusal above is its case)', async () => {
    publish(listOf());
    const check = checkOf({ maxBytes: 16_384, timeoutMs: 300 });
    expect((await verifierOf(check).verify(tokenAt(0))).claims.sub).toBe('alice');
  });

  it('a list older (iat) than the one held is refused: a replayed copy cannot undo a revocation', async () => {
    const old = signStatusListToken(ring, { uri: server.uri, list: listOf(), ttlSec: 10 }, now).token;
    now += 60_000;
    publish(listOf([3, TOKEN_STATUS.INVALID]), { ttlSec: 10 });
    const check = checkOf();
    await check.load(server.uri);
    server.publish(old);
    now += 10_000;
    const err = await errorOfAsync(check.load(server.uri));
    expect(err?.code).toBe('ERR_STATUS_LIST_INVALID');
    expect(errorOf(() => verifierOf(check).verifySync(tokenAt(3)))?.code).toBe('ERR_TOKEN_REVOKED');
  });
});

describe('references no list can answer', () => {
  it('an index beyond the list: fetched again in case it grew, then refused (401) until it has', async () => {
    server.publish(signStatusListToken(ring, { uri: server.uri, list: new StatusList(16, 1) }, now).token);
    const check = checkOf({ minRefreshMs: 1_000 });
    await check.load(server.uri);
    const verifier = verifierOf(check);
    expect(errorOf(() => verifier.verifySync(tokenAt(100)))?.code).toBe('ERR_REVOCATION_STALE');
    const err = await errorOfAsync(verifier.verify(tokenAt(100)));
    expect(err?.code).toBe('ERR_STATUS_LIST_INVALID');
    expect(HTTP_STATUS[err!.code]).toBe(401);
    publish(listOf());
    now += 1_000;
    expect((await verifier.verify(tokenAt(100))).claims.sub).toBe('alice');
  });

  it('a uri that is not https: is refused without a fetch (http: only on loopback, and only when allowed)', async () => {
    publish(listOf());
    const verifier = verifierOf(checkOf());
    for (const uri of ['http://lists.example/1', 'ftp://lists.example/1']) {
      expect((await errorOfAsync(verifier.verify(tokenAt(0, uri))))?.code).toBe('ERR_STATUS_LIST_INVALID');
    }
    const strict = verifierOf(checkOf({ allowInsecureLocalhost: false }));
    expect((await errorOfAsync(strict.verify(tokenAt(0))))?.code).toBe('ERR_STATUS_LIST_INVALID');
    expect(server.requests).toHaveLength(0);
  });

  it('holds at most maxLists lists, dropping the least recently used', async () => {
    publish(listOf());
    const check = checkOf({ maxLists: 1 });
    const verifier = verifierOf(check);
    const second = `${server.origin}/statuslists/2`;
    await verifier.verify(tokenAt(0));
    expect((await errorOfAsync(verifier.verify(tokenAt(0, second))))?.code).toBe('ERR_REVOCATION_STALE');
    expect(errorOf(() => verifier.verifySync(tokenAt(0)))?.code).toBe('ERR_REVOCATION_STALE');
  });
});

describe('configuration', () => {
  it('takes its policy from the inner check, and refuses bad options with ERR_CONFIG_INVALID', () => {
    const inner: RevocationCheck = {
      policy: { ...DEFAULT_REVOCATION_POLICY, maxTokenLifetimeMs: 300_000 },
      check: () => undefined,
    };
    expect(checkOf({ revocation: inner }).policy.maxTokenLifetimeMs).toBe(300_000);
    const bad: Partial<StatusListCheckOptions>[] = [
      { keys: undefined as never },
      { revocation: inner, policy: DEFAULT_REVOCATION_POLICY },
      { stalePolicy: 'introspect' as never },
      { validStatuses: [256] },
      { maxStalenessMs: 0 },
      { minRefreshMs: -1 },
      { clockToleranceSec: 301 },
      { issuer: '' },
    ];
    for (const options of bad) expect(errorOf(() => checkOf(options))?.code).toBe('ERR_CONFIG_INVALID');
  });
});
