/**
 * Differential tests against `jose.jwtVerify` under the same policy (algorithms, issuer, audience,
 * typ at+jwt, clock tolerance, required claims including jti, and jose's `currentDate` on our clock).
 *
 * The contract: we never accept a token that jose rejects, and we accept every valid token jose
 * accepts. We are deliberately stricter in places (duplicate members, non-canonical base64url, `iat` in
 * the future, key-carrying headers, `crit`/`b64`, a UTF-8 BOM, claim types jose does not check); the mutations that
 * touch those are marked `stricter`, and only for them may we reject what jose accepts.
 */
import { createPublicKey } from 'node:crypto';
import {
  AccessTokenIssuer,
  ALGORITHMS,
  type Algorithm,
  type KeyResolver,
  KeyRing,
  type SigningKey,
  Verifier,
} from '@revocable/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { joseOn, oursOn, POLICY, type Verdict } from './support/differential.js';
import { AUD, claims, clock, ISS, NOW, type TokenHeader } from './support/fixtures.js';
import {
  b64url,
  encodePart,
  forgeHmac,
  forgeSigned,
  rawBytes,
  rawJson,
  segmentsOf,
  signInput,
  withSignature,
} from './support/forge.js';

const TOL = POLICY.clockToleranceSec;

/** One key under test: the four algorithms, and an RSA modulus that is not a whole number of bytes. */
interface Subject {
  readonly name: string;
  readonly alg: Algorithm;
  readonly ring: KeyRing;
  readonly key: SigningKey;
  readonly issuer: AccessTokenIssuer;
}

const SUBJECTS: readonly (readonly [name: string, alg: Algorithm, rsaBits?: number])[] = [
  ['EdDSA', 'EdDSA'],
  ['ES256', 'ES256'],
  ['RS256', 'RS256'],
  ['HS256', 'HS256'],
  ['RS256 with a 2050-bit modulus', 'RS256', 2050],
];

const subjects = new Map<string, Subject>();
let keys: KeyResolver;
let ours: Verifier;

beforeAll(async () => {
  for (const [name, alg, rsaBits] of SUBJECTS) {
    const ring = await KeyRing.open({ alg, clock, ...(rsaBits !== undefined && { rsaBits }) });
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, clock });
    subjects.set(name, { name, alg, ring, key: ring.signingKey(), issuer });
  }
  const rings = [...subjects.values()].map((s) => s.ring);
  keys = { get: (kid) => rings.map((ring) => ring.get(kid)).find((key) => key !== undefined) };
  ours = new Verifier({
    keys,
    issuer: POLICY.issuer,
    audience: POLICY.audience,
    algorithms: POLICY.algorithms,
    types: [POLICY.typ],
    requiredClaims: POLICY.requiredClaims,
    clockToleranceSec: TOL,
    clock,
    cache: false,
    revocation: 'none',
    // jose bounds no lifetime (`exp - iat`): neither does ours here, so the two judge the same rules.
    maxTokenLifetimeSec: Number.MAX_VALUE,
  });
});

/** A token to judge, and whether we may be stricter than jose on it. */
interface Case {
  readonly name: string;
  readonly token: string;
  readonly stricter?: boolean;
}

interface Judged extends Case {
  readonly ours: Verdict;
  readonly jose: Verdict;
}

async function judge(cases: readonly Case[]): Promise<Judged[]> {
  const judged: Judged[] = [];
  for (const c of cases)
    judged.push({ ...c, ours: oursOn(ours, c.token), jose: await joseOn(keys, c.token) });
  return judged;
}

/** Cases that break the contract: we accept what jose rejects, or (unless `stricter`) the reverse. */
function disagreements(judged: readonly Judged[]): string[] {
  return judged
    .filter((j) =>
      j.ours === 'accepted' ? j.jose !== 'accepted' : j.jose === 'accepted' && j.stricter !== true,
    )
    .map((j) => `${j.name}: ours ${j.ours}, jose ${j.jose}`);
}

function subject(name: string): Subject {
  const s = subjects.get(name);
  if (s === undefined) throw new Error(`no subject ${name}`);
  return s;
}

function headerOf(s: Subject, extra: Record<string, unknown> = {}): TokenHeader {
  return { alg: s.alg, typ: 'at+jwt', kid: s.key.kid, ...extra };
}

/** Valid tokens of one key, in the shapes the policy allows. */
function validCases(s: Subject): Case[] {
  const sign = (name: string, header: Record<string, unknown>, payload: Record<string, unknown>) => ({
    name,
    token: forgeSigned(s.key, headerOf(s, header), claims(payload)),
  });
  return [
    {
      name: 'issued by AccessTokenIssuer',
      token: s.issuer.issue({ sub: 'u', sid: 's', scope: 'read' }).token,
    },
    {
      name: 'issued with an audience array',
      token: s.issuer.issue({ sub: 'u', audience: ['billing', AUD] }).token,
    },
    sign('forged with the standard claims', {}, {}),
    sign('expiring one second inside the tolerance', {}, { exp: NOW - TOL + 1 }),
    sign('not before the far edge of the tolerance', {}, { nbf: NOW + TOL }),
    sign('issued at the far edge of the tolerance', {}, { iat: NOW + TOL }),
    sign('with fractional iat and exp', {}, { iat: NOW - 0.25, exp: NOW + 60.5 }),
    sign('with typ application/at+jwt', { typ: 'application/at+jwt' }, {}),
    sign('with typ AT+JWT', { typ: 'AT+JWT' }, {}),
    sign('with an unknown header member', { x: 1 }, {}),
    sign('with cty JWT', { cty: 'JWT' }, {}),
    sign('with extra claims of every JSON type', {}, { n: 1.5, b: false, z: null, o: { a: [1] }, u: 'é🦊' }),
    sign('with an empty jti', {}, { jti: '' }),
    sign('with nbf and iat long ago', {}, { nbf: 0, iat: 0 }),
  ];
}

/** Header changes, each signed again with the subject's key. */
function headerChanges(s: Subject): [name: string, change: Record<string, unknown>, stricter?: boolean][] {
  const other = [...subjects.values()].find((o) => o.alg !== s.alg)!;
  return [
    ...ALGORITHMS.filter((alg) => alg !== s.alg).map((alg): [string, Record<string, unknown>] => [
      `alg ${alg}`,
      { alg },
    ]),
    ['alg none', { alg: 'none' }],
    ['alg HS512', { alg: 'HS512' }],
    ['alg in lower case', { alg: s.alg.toLowerCase() }],
    ['no alg', { alg: undefined }],
    ['typ JWT', { typ: 'JWT' }],
    ['typ application/jwt', { typ: 'application/jwt' }],
    ['typ logout+jwt', { typ: 'logout+jwt' }],
    ['no typ', { typ: undefined }],
    ['typ null', { typ: null }],
    ['typ with a trailing space', { typ: 'at+jwt ' }],
    ['an unknown kid', { kid: 'unknown' }],
    ["another key's kid", { kid: other.key.kid }],
    ['no kid', { kid: undefined }],
    ['a numeric kid', { kid: 7 }],
    ['an unknown crit', { crit: ['x-ext'], 'x-ext': 1 }],
    ['an empty crit', { crit: [] }],
    ['crit b64 with b64 true', { crit: ['b64'], b64: true }, true],
    ['crit b64 with b64 false', { crit: ['b64'], b64: false }],
    ['b64 false without crit', { b64: false }, true],
    ['an embedded jwk', { jwk: { kty: 'oct', k: b64url('attacker') } }, true],
    ['a jku', { jku: 'https://evil.example/jwks.json' }, true],
    ['an x5u', { x5u: 'https://evil.example/cert.pem' }, true],
    ['an x5c', { x5c: ['MIIB'] }, true],
    ['a 300-character kid', { kid: 'k'.repeat(300) }],
  ];
}

/** Payload changes, each signed again with the subject's key. */
function payloadChanges(): [name: string, change: Record<string, unknown>, stricter?: boolean][] {
  return [
    ['exp at now - tolerance', { exp: NOW - TOL }],
    ['exp long ago', { exp: 1 }],
    ['no exp', { exp: undefined }],
    ['exp as a string', { exp: String(NOW + 600) }],
    ['exp as null', { exp: null }],
    ['nbf one second past the tolerance', { nbf: NOW + TOL + 1 }],
    ['nbf as a string', { nbf: String(NOW) }],
    ['iat one second past the tolerance', { iat: NOW + TOL + 1 }, true],
    ['iat as a string', { iat: String(NOW) }],
    ['no iat', { iat: undefined }],
    ['another iss', { iss: 'https://evil.example' }],
    ['iss in an array', { iss: [ISS] }],
    ['no iss', { iss: undefined }],
    ["iss with a Cyrillic 'а'", { iss: ISS.replace('a', '\u0430') }],
    ['another aud', { aud: 'other' }],
    ['aud array with a match', { aud: ['x', AUD] }],
    ['aud array without a match', { aud: ['x', 'y'] }],
    ['an empty aud array', { aud: [] }],
    ['aud array with a non-string beside a match', { aud: [AUD, 1] }, true],
    ['aud in upper case', { aud: AUD.toUpperCase() }],
    ['aud with a trailing space', { aud: `${AUD} ` }],
    ['no aud', { aud: undefined }],
    ['no sub', { sub: undefined }],
    ['a numeric sub', { sub: 42 }, true],
    ['an empty sub', { sub: '' }, true],
    ['no jti', { jti: undefined }],
    ['a numeric jti', { jti: 7 }, true],
    ['a numeric scope', { scope: 1 }, true],
    ['a numeric sid', { sid: 1 }, true],
    ['a numeric client_id', { client_id: 1 }, true],
    ['an extra claim', { role: 'admin' }],
  ];
}

/** Payloads only JSON text can say, signed with the subject's key. */
function rawPayloads(): [name: string, part: ReturnType<typeof rawJson>, stricter?: boolean][] {
  const json = JSON.stringify(claims());
  return [
    ['a duplicate sub', rawJson(`${json.slice(0, -1)},"sub":"admin"}`), true],
    ['a duplicate exp, an expired one first', rawJson(`{"exp":1,${json.slice(1)}`), true],
    [
      'exp 1e400 (Infinity)',
      rawJson(`${JSON.stringify({ ...claims(), exp: undefined }).slice(0, -1)},"exp":1e400}`),
      true,
    ],
    ['invalid UTF-8 in sub', rawBytes(Buffer.from(json.replace('user-1', 'user-1\xff'), 'latin1'))],
    ['an overlong UTF-8 quote', rawBytes(Buffer.from(json.replace('user-1', 'user-1\xc0\xa2'), 'latin1'))],
    // jose's TextDecoder drops a leading BOM; RFC 8259 §8.1 lets a parser refuse it, and we do.
    ['a byte order mark', rawJson(`\uFEFF${json}`), true],
    ['an array', rawJson(`[${json}]`)],
    ['null', rawJson('null')],
  ];
}

function reSignedCases(s: Subject): Case[] {
  const base = headerOf(s);
  return [
    ...headerChanges(s).map(([name, change, stricter]) => ({
      name: `header with ${name}, re-signed`,
      token: forgeSigned(s.key, { ...base, ...change }, claims()),
      stricter: stricter === true,
    })),
    ...payloadChanges().map(([name, change, stricter]) => ({
      name: `payload with ${name}, re-signed`,
      token: forgeSigned(s.key, base, claims(change)),
      stricter: stricter === true,
    })),
    ...rawPayloads().map(([name, part, stricter]) => ({
      name: `payload with ${name}, re-signed`,
      token: forgeSigned(s.key, base, part),
      stricter: stricter === true,
    })),
  ];
}

/** The same changes with the original signature kept: all must fail the signature in both. */
function unsignedCases(s: Subject): Case[] {
  const base = headerOf(s);
  const original = forgeSigned(s.key, base, claims());
  const [, , sig] = segmentsOf(original);
  return [
    ...headerChanges(s).map(([name, change]) => ({
      name: `header with ${name}, not re-signed`,
      token: `${encodePart({ ...base, ...change })}.${segmentsOf(original)[1]}.${sig}`,
    })),
    ...payloadChanges().map(([name, change]) => ({
      name: `payload with ${name}, not re-signed`,
      token: `${segmentsOf(original)[0]}.${encodePart(claims(change))}.${sig}`,
    })),
  ];
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Every character of a valid token replaced by the next base64url character (a dot by "A"). Changing
 * the last character of a segment may only touch unused bits, which jose's decoder ignores and ours
 * refuses: those are `stricter`.
 */
function byteFlipCases(s: Subject): Case[] {
  const token = forgeSigned(s.key, headerOf(s), claims());
  const ends = new Set(token.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.').length - 1));
  return [...token].map((char, i) => {
    const next = char === '.' ? 'A' : B64URL[(B64URL.indexOf(char) + 1) % 64]!;
    return {
      name: `character ${i} replaced`,
      token: token.slice(0, i) + next + token.slice(i + 1),
      stricter: ends.has(i),
    };
  });
}

function swapCases(s: Subject): Case[] {
  const token = forgeSigned(s.key, headerOf(s), claims());
  const [h, p, sig] = segmentsOf(token);
  const [, p2, sig2] = segmentsOf(forgeSigned(s.key, headerOf(s), claims({ jti: 'jti-2', sub: 'admin' })));
  const others = [...subjects.values()].filter((o) => o.name !== s.name);
  return [
    { name: 'payload and header swapped', token: `${p}.${h}.${sig}` },
    { name: 'signature first', token: `${sig}.${p}.${h}` },
    { name: 'payload and signature swapped', token: `${h}.${sig}.${p}` },
    { name: "another token's payload with the original signature", token: `${h}.${p2}.${sig}` },
    { name: "another token's signature", token: `${h}.${p}.${sig2}` },
    { name: 'header repeated as payload', token: `${h}.${h}.${sig}` },
    { name: 'signature segment empty', token: `${h}.${p}.` },
    { name: 'payload segment empty', token: `${h}..${sig}` },
    { name: 'two segments', token: `${h}.${p}` },
    { name: 'four segments', token: `${h}.${p}.${sig}.${sig}` },
    ...others.map((o) => {
      const [oh, , osig] = segmentsOf(forgeSigned(o.key, headerOf(o), claims({ jti: 'jti-other' })));
      return { name: `header and signature of ${o.name}`, token: `${oh}.${p}.${osig}` };
    }),
    ...others.map((o) => ({
      name: `signature of ${o.name} over this header and payload`,
      token: withSignature(token, Buffer.from(segmentsOf(signInput(o.key, `${h}.${p}`))[2], 'base64url')),
    })),
  ];
}

function algSwapCases(s: Subject): Case[] {
  const token = forgeSigned(s.key, headerOf(s), claims());
  const [, p, sig] = segmentsOf(token);
  const cases: Case[] = ALGORITHMS.filter((alg) => alg !== s.alg).map((alg) => ({
    name: `alg ${alg} with the original signature`,
    token: `${encodePart(headerOf(s, { alg }))}.${p}.${sig}`,
  }));
  cases.push({
    name: 'alg none without a signature',
    token: `${encodePart(headerOf(s, { alg: 'none' }))}.${p}.`,
  });
  if (s.alg !== 'HS256') {
    const publicKey = createPublicKey(s.key.privateKey);
    for (const [what, secret] of [
      ['SPKI PEM', publicKey.export({ type: 'spki', format: 'pem' })],
      ['SPKI DER', publicKey.export({ type: 'spki', format: 'der' })],
    ] as const) {
      cases.push({
        name: `HS256 keyed with the public key as ${what}`,
        token: forgeHmac(secret, headerOf(s, { alg: 'HS256' }), claims()),
      });
    }
  }
  for (const o of subjects.values()) {
    if (o.alg === s.alg) continue;
    cases.push({
      name: `signed by ${o.name} under its alg with this kid`,
      token: forgeSigned(o.key, headerOf(s, { alg: o.alg }), claims()),
    });
  }
  return cases;
}

describe('differential: ours against jose.jwtVerify', () => {
  for (const [name] of SUBJECTS) {
    describe(name, () => {
      it('accepts every valid token, as jose does, with the same claims', async () => {
        const s = subject(name);
        const judged = await judge(validCases(s));
        expect(
          judged
            .filter((j) => j.ours !== 'accepted' || j.jose !== 'accepted')
            .map((j) => `${j.name}: ours ${j.ours}, jose ${j.jose}`),
        ).toEqual([]);
        for (const c of validCases(s).slice(2)) {
          expect(ours.verifySync(c.token).claims).toEqual(
            JSON.parse(Buffer.from(segmentsOf(c.token)[1], 'base64url').toString()),
          );
        }
      });

      it('agrees with jose on header and payload changes signed again, both ways unless marked stricter', async () => {
        const judged = await judge(reSignedCases(subject(name)));
        expect(disagreements(judged)).toEqual([]);
        // Both outcomes occur, so the comparison is not vacuous.
        expect(judged.filter((j) => j.jose === 'accepted').length).toBeGreaterThan(0);
        expect(judged.filter((j) => j.jose !== 'accepted').length).toBeGreaterThan(20);
      });

      it('rejects, as jose does, header and payload changes that keep the original signature', async () => {
        const judged = await judge(unsignedCases(subject(name)));
        expect(disagreements(judged)).toEqual([]);
        expect(judged.every((j) => j.ours !== 'accepted')).toBe(true);
      });

      it('never accepts a token with one character replaced that jose rejects', async () => {
        const judged = await judge(byteFlipCases(subject(name)));
        expect(disagreements(judged)).toEqual([]);
        expect(judged.length).toBeGreaterThan(200);
      });

      it('rejects, as jose does, swapped, borrowed and missing segments', async () => {
        const judged = await judge(swapCases(subject(name)));
        expect(disagreements(judged)).toEqual([]);
        expect(judged.every((j) => j.ours !== 'accepted')).toBe(true);
      });

      it('agrees with jose on algorithm swaps and algorithm confusion', async () => {
        const judged = await judge(algSwapCases(subject(name)));
        expect(disagreements(judged)).toEqual([]);
        expect(judged.every((j) => j.ours !== 'accepted')).toBe(true);
      });
    });
  }
});
