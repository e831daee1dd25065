// The `verify` suite (docs/benchmarks.md): full verify of a typical access token per algorithm, ours against
// the raw node:crypto floor, fast-jwt, jose and jsonwebtoken, uncached and cached.
// Run: npm run bench -- verify [--json] [--quick|--full]
import {
  createHmac,
  createPublicKey,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import {
  AccessTokenIssuer,
  type Algorithm,
  KeyRing,
  Replica,
  RevocableError,
  type RevocationRule,
  Verifier,
} from '@revocable/core';
import { createVerifier } from 'fast-jwt';
import { jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { type BenchCase, type CaseTiming, measureInterleaved } from './lib/interleave.js';
import { type BenchResult, machine, type Suite, type SuiteOptions } from './lib/suite.js';

const ALGS = ['HS256', 'EdDSA', 'ES256', 'RS256'] as const satisfies readonly Algorithm[];
type Alg = (typeof ALGS)[number];

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'api';
const REVOKED_TOKENS = 10_000;
const REVOKED_SESSIONS = 1_000;

const SETTINGS: Record<SuiteOptions['mode'], { warmupMs: number; sampleMs: number; rounds: number }> = {
  quick: { warmupMs: 40, sampleMs: 1, rounds: 61 },
  default: { warmupMs: 150, sampleMs: 2, rounds: 301 },
  full: { warmupMs: 400, sampleMs: 4, rounds: 901 },
};

/**
 * The real replica every API process holds, loaded with revoked `jti`s and revoked sessions, so the
 * timed verify pays for exactly the check it pays for in production.
 */
class BenchRevocation {
  readonly replica = new Replica({ purgeIntervalMs: 0, maxStalenessMs: 3_600_000 });
  #seq = 0;

  constructor() {
    this.replica.load({ events: [], seq: 0, takenAt: Date.now() });
  }

  revokeToken(tokenId: string): void {
    this.#apply({ kind: 'token', iss: ISSUER, tokenId, expiresAt: Date.now() + 3_600_000 });
  }

  revokeSession(sid: string): void {
    this.#apply({ kind: 'session', iss: ISSUER, sid, cutoff: Date.now() });
  }

  #apply(rule: RevocationRule): void {
    const seq = ++this.#seq;
    this.replica.apply({
      seq,
      rule,
      reason: 'admin',
      actor: 'bench',
      recordedAt: Date.now(),
      forgetAfter: Date.now() + 3_600_000,
    });
  }
}

/** An id shaped like the issuer's `jti`: 16 random bytes, base64url. */
function randomId(): string {
  return randomBytes(16).toString('base64url');
}

/** Everything one algorithm's cases need: the ring, a token, and every verifier set up once. */
interface AlgSetup {
  readonly alg: Alg;
  readonly token: string;
  readonly sub: string;
  readonly ours: Verifier;
  readonly oursCached: Verifier;
  readonly floor: Floor;
  readonly fastJwt: (token: string) => Record<string, unknown>;
  readonly fastJwtCached: (token: string) => Record<string, unknown>;
  readonly jose: (token: string) => Promise<Record<string, unknown>>;
  readonly jsonwebtoken: ((token: string) => Record<string, unknown>) | undefined;
}

type Floor = (token: string) => Record<string, unknown>;

/**
 * The raw floor: split on '.', base64url-decode and JSON.parse header and payload, check the signature
 * with node:crypto and a prebuilt KeyObject; nothing more. One function literal per algorithm, so each
 * is optimized on its own (a shared closure once ran at twice its cost for one algorithm).
 */
function floorVerifier(alg: Alg, key: KeyObject): Floor {
  switch (alg) {
    case 'HS256':
      return (token) => {
        const first = token.indexOf('.');
        const second = token.indexOf('.', first + 1);
        JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
        const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
        const signature = Buffer.from(token.slice(second + 1), 'base64url');
        // The signing input goes to HMAC as a string: measured faster than copying it into a Buffer.
        const mac = createHmac('sha256', key).update(token.slice(0, second), 'latin1').digest();
        if (!timingSafeEqual(mac, signature)) throw new Error('bad signature');
        return payload;
      };
    case 'EdDSA':
      return (token) => {
        const first = token.indexOf('.');
        const second = token.indexOf('.', first + 1);
        JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
        const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
        const signature = Buffer.from(token.slice(second + 1), 'base64url');
        if (!verify(null, Buffer.from(token.slice(0, second), 'latin1'), key, signature)) {
          throw new Error('bad signature');
        }
        return payload;
      };
    case 'ES256': {
      const options = { key, dsaEncoding: 'ieee-p1363' } as const;
      return (token) => {
        const first = token.indexOf('.');
        const second = token.indexOf('.', first + 1);
        JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
        const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
        const signature = Buffer.from(token.slice(second + 1), 'base64url');
        if (!verify('sha256', Buffer.from(token.slice(0, second), 'latin1'), options, signature)) {
          throw new Error('bad signature');
        }
        return payload;
      };
    }
    case 'RS256':
      return (token) => {
        const first = token.indexOf('.');
        const second = token.indexOf('.', first + 1);
        JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'));
        const payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'));
        const signature = Buffer.from(token.slice(second + 1), 'base64url');
        if (!verify('sha256', Buffer.from(token.slice(0, second), 'latin1'), key, signature)) {
          throw new Error('bad signature');
        }
        return payload;
      };
  }
}

async function setUp(alg: Alg, revocation: BenchRevocation): Promise<AlgSetup> {
  const ring = await KeyRing.open({ alg, rsaBits: 2048 });
  const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISSUER, audience: AUDIENCE });
  const request = { sub: 'user-48151623', sid: 'sess-8d2c1f0e', clientId: 'web-app', scope: 'read write' };
  const { token, claims } = issuer.issue(request);
  // Prove the hook is live: a second token of the same session, revoked, must be refused.
  const revoked = issuer.issue(request);
  revocation.revokeToken(revoked.claims.jti!);

  const signing = ring.signingKey();
  const publicKey = alg === 'HS256' ? signing.privateKey : createPublicKey(signing.privateKey);
  // fast-jwt's documented key forms: a Buffer secret or a PEM string.
  const fastJwtKey =
    alg === 'HS256'
      ? signing.privateKey.export()
      : (publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const fastJwtOptions = { key: fastJwtKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE };
  const fastJwt = createVerifier(fastJwtOptions) as (token: string) => Record<string, unknown>;
  const fastJwtCached = createVerifier({ ...fastJwtOptions, cache: true }) as (
    token: string,
  ) => Record<string, unknown>;
  const joseOptions = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE };
  const jwtOptions = { algorithms: [alg as jsonwebtoken.Algorithm], issuer: ISSUER, audience: AUDIENCE };
  const ourOptions = {
    keys: ring,
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: [alg],
    revocation: revocation.replica,
  };

  const setup: AlgSetup = {
    alg,
    token,
    sub: claims.sub,
    ours: new Verifier({ ...ourOptions, cache: false }),
    oursCached: new Verifier(ourOptions),
    floor: floorVerifier(alg, publicKey),
    fastJwt,
    fastJwtCached,
    jose: async (t) => (await jwtVerify(t, publicKey, joseOptions)).payload,
    // jsonwebtoken 9 has no EdDSA (its jwa layer knows HS/RS/PS/ES only).
    jsonwebtoken:
      alg === 'EdDSA'
        ? undefined
        : (t) => jsonwebtoken.verify(t, publicKey, jwtOptions) as Record<string, unknown>,
  };
  await checkCorrect(setup, revoked.token);
  return setup;
}

/** Each verifier must accept the valid token once before timing, so no figure can be an error path. */
async function checkCorrect(s: AlgSetup, revokedToken: string): Promise<void> {
  const expect = (who: string, payload: Record<string, unknown>): void => {
    if (payload['sub'] !== s.sub || payload['jti'] === undefined) {
      throw new Error(`${s.alg}: ${who} did not return the token's claims`);
    }
  };
  expect('ours', s.ours.verifySync(s.token).claims);
  expect('ours (cached)', s.oursCached.verifySync(s.token).claims);
  expect('ours (cached, hit)', s.oursCached.verifySync(s.token).claims);
  expect('floor', s.floor(s.token));
  expect('fast-jwt', s.fastJwt(s.token));
  expect('fast-jwt (cached)', s.fastJwtCached(s.token));
  expect('jose', await s.jose(s.token));
  if (s.jsonwebtoken) expect('jsonwebtoken', s.jsonwebtoken(s.token));
  for (const [who, verifier] of [
    ['ours', s.ours],
    ['ours (cached)', s.oursCached],
  ] as const) {
    try {
      verifier.verifySync(revokedToken);
    } catch (err) {
      if (err instanceof RevocableError && err.code === 'ERR_TOKEN_REVOKED') continue;
      throw err;
    }
    throw new Error(`${s.alg}: ${who} accepted a revoked token: the revocation hook is not active`);
  }
}

export const run: Suite = async ({ mode, log }) => {
  const settings = SETTINGS[mode];
  log(`verify: ${machine()}, mode ${mode}`);

  const revocation = new BenchRevocation();
  for (let i = 0; i < REVOKED_TOKENS; i++) revocation.revokeToken(randomId());
  for (let i = 0; i < REVOKED_SESSIONS; i++) revocation.revokeSession(`sess-${randomId()}`);

  const setups: AlgSetup[] = [];
  for (const alg of ALGS) {
    log(`verify: keys and token for ${alg}`);
    setups.push(await setUp(alg, revocation));
  }

  const cases: BenchCase[] = [];
  for (const s of setups) {
    const { token } = s;
    cases.push(
      { name: `${s.alg}_ours`, fn: () => s.ours.verifySync(token) },
      { name: `${s.alg}_floor`, fn: () => s.floor(token) },
      { name: `${s.alg}_fast_jwt`, fn: () => s.fastJwt(token) },
      { name: `${s.alg}_jose`, fn: () => s.jose(token), async: true },
    );
    const jwt = s.jsonwebtoken;
    if (jwt) cases.push({ name: `${s.alg}_jsonwebtoken`, fn: () => jwt(token) });
  }
  const hs = setups.find((s) => s.alg === 'HS256')!;
  const ed = setups.find((s) => s.alg === 'EdDSA')!;
  // The same token string again and again (its hash is computed once and kept by V8) ...
  cases.push(
    { name: 'cached_ours', fn: () => hs.oursCached.verifySync(hs.token) },
    { name: 'cached_fast_jwt', fn: () => hs.fastJwtCached(hs.token) },
    { name: 'cached_EdDSA_ours', fn: () => ed.oursCached.verifySync(ed.token) },
    { name: 'cached_EdDSA_fast_jwt', fn: () => ed.fastJwtCached(ed.token) },
  );
  // Tracked, not judged: the cached path does no crypto, so ES256 and RS256 cost what HS256 does.
  for (const s of setups.filter((x) => x.alg === 'ES256' || x.alg === 'RS256')) {
    cases.push(
      { name: `cached_${s.alg}_ours`, fn: () => s.oursCached.verifySync(s.token) },
      { name: `cached_${s.alg}_fast_jwt`, fn: () => s.fastJwtCached(s.token) },
    );
  }
  // ... and as a server sees it: a new string per request, cut from the Authorization header.
  const header = `Bearer ${hs.token}`;
  cases.push(
    { name: 'cached_ours_from_header', fn: () => hs.oursCached.verifySync(header.slice(7)) },
    { name: 'cached_fast_jwt_from_header', fn: () => hs.fastJwtCached(header.slice(7)) },
  );

  log(
    `verify: ${cases.length} cases, warm-up ${settings.warmupMs} ms each, then ${settings.rounds} interleaved rounds of ~${settings.sampleMs} ms samples`,
  );
  const started = Date.now();
  const timings = await measureInterleaved(cases, {
    ...settings,
    onRound: (round) => {
      if (round % 100 === 99 || round === settings.rounds - 1) {
        log(
          `verify: round ${round + 1}/${settings.rounds} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
      }
    },
  });

  const byName = new Map<string, CaseTiming>(timings.map((t) => [t.name, t]));
  const us = (name: string): number => byName.get(name)!.median;
  const results: BenchResult[] = timings.map((t) => ({ name: t.name, value: t.median, unit: 'us/op' }));

  const ratios: Record<string, number> = {};
  const targets: Record<string, string> = {};
  for (const alg of ALGS) {
    ratios[`${alg}_vs_floor`] = us(`${alg}_ours`) / us(`${alg}_floor`);
    targets[`${alg}_vs_floor`] = alg === 'HS256' ? '<= 1.5' : '<= 1.1';
  }
  for (const alg of ALGS) {
    ratios[`${alg}_vs_fast_jwt`] = us(`${alg}_ours`) / us(`${alg}_fast_jwt`);
    targets[`${alg}_vs_fast_jwt`] = '<= 1.0';
  }
  for (const alg of ALGS) {
    ratios[`${alg}_vs_jose`] = us(`${alg}_ours`) / us(`${alg}_jose`);
    targets[`${alg}_vs_jose`] = '(tracked)';
  }
  ratios['cached_vs_fast_jwt_cached'] = us('cached_ours') / us('cached_fast_jwt');
  targets['cached_vs_fast_jwt_cached'] = '<= 0.7';

  const missed = Object.entries(ratios)
    .filter(([name, value]) => {
      const target = targets[name];
      return target?.startsWith('<= ') === true && value > Number(target.slice(3));
    })
    .map(([name, value]) => `${name} ${value.toFixed(2)} (target ${targets[name]})`);

  const lengths = setups.map((s) => `${s.alg} ${s.token.length}`).join(', ');
  const spread = timings
    .map((t) => ({ name: t.name, rel: (t.p75 - t.p25) / t.median }))
    .sort((a, b) => b.rel - a.rel)[0]!;
  const notes = [
    `machine: ${machine()}; ${settings.rounds} interleaved rounds of ~${settings.sampleMs} ms per case, medians in µs per verify`,
    `token (chars): ${lengths}; claims iss, sub, aud, exp, iat (fractional, ms), jti, sid, client_id, scope; header alg, typ at+jwt, kid (RFC 7638 thumbprint)`,
    `ours runs the real Replica over ${REVOKED_TOKENS} revoked jtis and ${REVOKED_SESSIONS} revoked sessions; the token under test is not revoked, a revoked one was refused before timing`,
    'fast-jwt and jsonwebtoken accept the fractional iat; every library verifies the same token',
    'jsonwebtoken 9 does not support EdDSA (Unknown key type "ed25519"): EdDSA_jsonwebtoken is skipped',
    'peers check key, algorithms, iss, aud (+ exp/nbf by default), not typ; fast-jwt cached uses cache: true with its default hashed cache key',
    `cached EdDSA: ours / fast-jwt = ${(us('cached_EdDSA_ours') / us('cached_EdDSA_fast_jwt')).toFixed(2)}; from a header slice (new string per request): ours / fast-jwt = ${(us('cached_ours_from_header') / us('cached_fast_jwt_from_header')).toFixed(2)}`,
    `noisiest case: ${spread.name}, interquartile range ${(spread.rel * 100).toFixed(0)}% of its median`,
    missed.length === 0 ? 'every target met' : `MISSED: ${missed.join('; ')}`,
  ];
  return { suite: 'verify', results, ratios, targets, notes };
};
