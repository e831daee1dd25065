/**
 * Property-based fuzzing of the verifier with fast-check: mutated tokens are never accepted, and
 * nothing but a `RevocableError` ever comes out, whatever the input.
 *
 * Bounded for CI: each property runs FUZZ_RUNS times (default 300), a few seconds in all. A long campaign:
 *
 *   FUZZ_RUNS=200000 npx vitest run packages/core/test/fuzz.test.ts
 *
 * A failure prints its seed and path; replay it with FUZZ_SEED=<seed> FUZZ_PATH=<path> and the same command
 * narrowed to the failing property (`-t '<its name>'`): a path belongs to one property.
 */
import { type Algorithm, type KeyResolver, RevocableError, Verifier } from '@revocable/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCanonicalBase64url } from '../src/token/base64url.js';
import { countTopLevelMembers } from '../src/token/json-members.js';
import { AUD, claims, clock, type Fixture, fixtureFor, ISS, NOW } from './support/fixtures.js';
import { b64url, encodePart, forgeSigned, rawJson, segmentsOf, signInput } from './support/forge.js';
import { expectNoTokenText, rejectionOf } from './support/rejection.js';

const RUNS = Math.max(1, Number(process.env['FUZZ_RUNS'] ?? 300));
const SEED = process.env['FUZZ_SEED'];
const PATH = process.env['FUZZ_PATH'];
const PARAMETERS: fc.Parameters<unknown> = {
  numRuns: RUNS,
  ...(SEED !== undefined && { seed: Number(SEED) }),
  ...(PATH !== undefined && { path: PATH }),
};
/** Per-test time limit that grows with the campaign (RSA signing is ~1 ms a run). */
const TIMEOUT = Math.max(30_000, RUNS * 10);

const ALGS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const fx = {} as Record<Algorithm, Fixture>;
/** Valid tokens of every key; a mutation that lands on one of them is not a mutation. */
const valid = new Set<string>();
let pool: string[] = [];
let verifier: Verifier;

beforeAll(async () => {
  for (const f of await Promise.all(ALGS.map(fixtureFor))) fx[f.alg] = f;
  const rings = ALGS.map((alg) => fx[alg].ring);
  const keys: KeyResolver = { get: (kid) => rings.map((r) => r.get(kid)).find((k) => k !== undefined) };
  // No lifetime bound here (the lifetime suite covers it): the property judges the other rules.
  verifier = new Verifier({
    keys,
    issuer: ISS,
    audience: AUD,
    clock,
    clockToleranceSec: 0,
    revocation: 'none',
    maxTokenLifetimeSec: Number.MAX_VALUE,
  });
  for (const alg of ALGS) {
    const f = fx[alg];
    valid.add(f.issuer.issue({ sub: 'user-1', sid: 'sess-1', scope: 'read write' }).token);
    valid.add(f.issuer.issue({ sub: 'user-2', audience: ['billing', AUD] }).token);
    valid.add(forgeSigned(f.key, f.header(), claims()));
  }
  pool = [...valid];
  for (const token of pool) verifier.verifySync(token); // all valid: a broken pool fails here, not later
});

/** Fails unless verifying `input` throws a `RevocableError` that does not print the token. */
function expectRejected(input: unknown): RevocableError {
  const err = rejectionOf(() => verifier.verifySync(input as string));
  expectNoTokenText(err, input);
  return err;
}

const tokenArb = fc.integer({ min: 0, max: 11 }).map((i) => pool[i % pool.length]!);
const charArb = fc.oneof(
  fc.constantFrom(...B64URL),
  fc.constantFrom('.', '=', '+', '/', ' ', '\n', '\t', '\0', '"', '{', '%', '\u00e9', '\u{1F98A}'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const editArb = fc.record({
  kind: fc.constantFrom('replace', 'insert', 'delete'),
  at: fc.nat(),
  char: charArb,
});

function applyEdit(token: string, edit: { kind: string; at: number; char: string }): string {
  const at = edit.at % (token.length + 1);
  if (edit.kind === 'insert') return token.slice(0, at) + edit.char + token.slice(at);
  if (edit.kind === 'delete') return token.slice(0, at) + token.slice(at + 1);
  return token.slice(0, at) + edit.char + token.slice(at + 1);
}

/** Any JSON value, biased towards the ones a verifier has opinions about. */
function valueArb(name: string): fc.Arbitrary<unknown> {
  const specific: Record<string, fc.Arbitrary<unknown>> = {
    alg: fc.constantFrom('EdDSA', 'ES256', 'RS256', 'HS256', 'none', 'None', 'HS512', 'eddsa', ''),
    typ: fc.constantFrom('at+jwt', 'AT+JWT', 'application/at+jwt', 'JWT', 'jwt', 'logout+jwt', 'at+jwt '),
    kid: fc.oneof(fc.constantFrom(...ALGS.map((a) => fx[a].key.kid)), fc.string({ maxLength: 300 })),
    crit: fc.constantFrom([], ['b64'], ['exp'], ['x']),
    b64: fc.constantFrom(true, false, 'false'),
    exp: fc.oneof(fc.integer({ min: NOW - 5, max: NOW + 5 }), fc.double({ min: NOW - 2, max: NOW + 2 })),
    iat: fc.oneof(fc.integer({ min: NOW - 5, max: NOW + 5 }), fc.double({ min: NOW - 2, max: NOW + 2 })),
    nbf: fc.oneof(fc.integer({ min: NOW - 5, max: NOW + 5 }), fc.double({ min: NOW - 2, max: NOW + 2 })),
    iss: fc.constantFrom(ISS, `${ISS}/`, ISS.toUpperCase(), ISS.replace('a', '\u0430'), [ISS]),
    aud: fc.oneof(
      fc.constantFrom(AUD, 'other', [AUD], [], ['x', AUD], [AUD, 1], [null], ` ${AUD}`),
      fc.array(fc.constantFrom(AUD, 'x', 1, null), { maxLength: 3 }),
    ),
    sub: fc.constantFrom('user-1', '', 'admin', 0),
    jti: fc.constantFrom('j', '', 7, null),
  };
  const json = fc.jsonValue({ maxDepth: 2 });
  return specific[name] === undefined
    ? json
    : fc.oneof({ weight: 3, arbitrary: specific[name] }, { weight: 1, arbitrary: json });
}

const HEADER_NAMES = ['alg', 'typ', 'kid', 'crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c', 'cty', 'x'];
const CLAIM_NAMES = ['exp', 'iat', 'nbf', 'iss', 'aud', 'sub', 'jti', 'sid', 'client_id', 'scope', 'x'];

/** A few member changes: a new value (any JSON), or `undefined` to remove the member. */
function changesArb(names: readonly string[]): fc.Arbitrary<[string, unknown][]> {
  const change = fc
    .constantFrom(...names)
    .chain((name) =>
      fc.tuple(fc.constant(name), fc.oneof({ weight: 4, arbitrary: valueArb(name) }, fc.constant(undefined))),
    );
  return fc.array(change, { minLength: 1, maxLength: 3 });
}

function applyChanges(base: Record<string, unknown>, changes: [string, unknown][]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  for (const [name, value] of changes) {
    if (value === undefined) delete copy[name];
    else copy[name] = value;
  }
  return JSON.parse(JSON.stringify(copy)) as Record<string, unknown>;
}

/**
 * The policy, written out independently of the verifier: would a token with this header and payload,
 * validly signed by `f`'s key, be accepted at NOW with tolerance 0?
 */
function policyAccepts(
  f: Fixture,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): boolean {
  const has = (o: Record<string, unknown>, name: string) => Object.hasOwn(o, name);
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const typ =
    typeof header['typ'] === 'string' ? header['typ'].toLowerCase().replace(/^application\//, '') : null;
  const headerOk =
    header['alg'] === f.key.alg &&
    header['kid'] === f.key.kid &&
    typ === 'at+jwt' &&
    !['crit', 'jwk', 'jku', 'x5u', 'x5c'].some((name) => has(header, name)) &&
    (!has(header, 'b64') || header['b64'] === true);
  const { exp, iat, nbf, iss, sub, aud } = payload;
  const audOk =
    aud === AUD ||
    (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') && aud.includes(AUD));
  const claimsOk =
    num(exp) &&
    exp > NOW &&
    num(iat) &&
    iat <= NOW &&
    (!has(payload, 'nbf') || (num(nbf) && nbf <= NOW)) &&
    iss === ISS &&
    typeof sub === 'string' &&
    sub.length > 0 &&
    audOk &&
    typeof payload['jti'] === 'string' &&
    ['sid', 'client_id', 'scope'].every((name) => !has(payload, name) || typeof payload[name] === 'string');
  return headerOk && claimsOk;
}

describe('fuzzing the verifier', () => {
  it(
    'never accepts a valid token with random character edits, and only ever throws RevocableError',
    () => {
      fc.assert(
        fc.property(tokenArb, fc.array(editArb, { minLength: 1, maxLength: 4 }), (token, edits) => {
          const mutated = edits.reduce(applyEdit, token);
          fc.pre(!valid.has(mutated));
          expectRejected(mutated);
        }),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'never accepts a valid token with bits flipped in the decoded bytes of a segment',
    () => {
      const flipArb = fc.record({
        segment: fc.constantFrom(0, 1, 2),
        at: fc.nat(),
        mask: fc.integer({ min: 1, max: 255 }),
      });
      fc.assert(
        fc.property(tokenArb, fc.array(flipArb, { minLength: 1, maxLength: 3 }), (token, flips) => {
          const parts = segmentsOf(token).map((s) => Buffer.from(s, 'base64url'));
          for (const { segment, at, mask } of flips) {
            const bytes = parts[segment]!;
            bytes[at % bytes.length]! ^= mask;
          }
          const mutated = parts.map((bytes) => b64url(bytes)).join('.');
          fc.pre(!valid.has(mutated));
          const err = expectRejected(mutated);
          expect(err.code).not.toBe('ERR_TOKEN_TOO_LARGE');
        }),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'never accepts segments replaced, borrowed, dropped, repeated or reordered',
    () => {
      const replacementArb = fc.oneof(
        fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 400 }),
        fc.string({ unit: 'binary', maxLength: 60 }),
        tokenArb.chain((other) => fc.constantFrom(...segmentsOf(other))),
        fc.constant(''),
      );
      const editArb = fc.oneof(
        fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), with: replacementArb }),
        fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('repeat' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), and: fc.nat() }),
      );
      fc.assert(
        fc.property(tokenArb, fc.array(editArb, { minLength: 1, maxLength: 3 }), (token, edits) => {
          const parts = token.split('.');
          for (const edit of edits) {
            const at = edit.at % Math.max(1, parts.length);
            if (edit.kind === 'replace') parts[at] = edit.with;
            else if (edit.kind === 'drop') parts.splice(at, 1);
            else if (edit.kind === 'repeat') parts.splice(at, 0, parts[at] ?? '');
            else {
              const other = edit.and % Math.max(1, parts.length);
              [parts[at], parts[other]] = [parts[other] ?? '', parts[at] ?? ''];
            }
          }
          const mutated = parts.join('.');
          fc.pre(!valid.has(mutated));
          expectRejected(mutated);
        }),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'never accepts header or claim changes that were not signed again',
    () => {
      fc.assert(
        fc.property(
          tokenArb,
          fc.boolean(),
          changesArb(HEADER_NAMES),
          changesArb(CLAIM_NAMES),
          (token, inHeader, headerChanges, claimChanges) => {
            const [h, p, s] = segmentsOf(token);
            const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
            const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
            const mutated = inHeader
              ? `${encodePart(applyChanges(header, headerChanges))}.${p}.${s}`
              : `${h}.${encodePart(applyChanges(payload, claimChanges))}.${s}`;
            fc.pre(!valid.has(mutated));
            expectRejected(mutated);
          },
        ),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'accepts header and claim changes signed again exactly when the policy allows them',
    () => {
      let accepted = 0;
      fc.assert(
        fc.property(
          fc.constantFrom(...ALGS),
          changesArb(HEADER_NAMES),
          changesArb(CLAIM_NAMES),
          fc.boolean(),
          fc.boolean(),
          (alg, headerChanges, claimChanges, changeHeader, changeClaims) => {
            const f = fx[alg];
            const header = changeHeader ? applyChanges(f.header(), headerChanges) : f.header();
            const payload = changeClaims ? applyChanges(claims(), claimChanges) : claims();
            const token = forgeSigned(f.key, header, payload);
            const expected = policyAccepts(f, header, payload);
            let verified: ReturnType<Verifier['verifySync']> | undefined;
            let code: string | undefined;
            try {
              verified = verifier.verifySync(token);
            } catch (err) {
              if (!(err instanceof RevocableError)) throw err;
              code = err.code;
              expectNoTokenText(err, token);
            }
            expect({ accepted: verified !== undefined, code }).toMatchObject({ accepted: expected });
            if (verified !== undefined) {
              accepted++;
              expect(verified.claims).toEqual(payload);
            }
            // A token signed by the key its kid names is never rejected for its signature. (A header
            // change may name another fixture's kid: then the signature is rightly refused.)
            if (header['kid'] === f.header()['kid']) expect(code).not.toBe('ERR_SIGNATURE_INVALID');
          },
        ),
        PARAMETERS,
      );
      // Some runs must be accepted, or the comparison says nothing about false rejections.
      if (RUNS >= 100 && PATH === undefined) expect(accepted).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'refuses any signed header or payload that is random JSON text, and only with RevocableError',
    () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...ALGS),
          fc.json({ maxDepth: 3 }),
          fc.boolean(),
          (alg, json, inHeader) => {
            const f = fx[alg];
            const token = inHeader
              ? forgeSigned(f.key, rawJson(json), claims())
              : forgeSigned(f.key, f.header(), rawJson(json));
            const err = expectRejected(token);
            expect(err.code).not.toBe('ERR_SIGNATURE_INVALID');
          },
        ),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'refuses arbitrary input of any type, and only with RevocableError',
    () => {
      const dotted = fc
        .array(fc.string({ unit: fc.constantFrom(...B64URL, '=', '+', '/'), maxLength: 120 }), {
          minLength: 1,
          maxLength: 6,
        })
        .map((parts) => parts.join('.'));
      fc.assert(
        fc.property(
          fc.oneof(dotted, fc.string({ unit: 'binary', maxLength: 200 }), fc.anything()),
          (input) => {
            expectRejected(input);
          },
        ),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );
});

describe('fuzzing strict parsing', () => {
  /** `key` with some characters written as \uXXXX escapes: the same member name to JSON.parse. */
  function escaped(key: string, mask: number): string {
    return [...key]
      .map((c, i) => ((mask >> i) & 1 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
      .join('');
  }
  const whitespaceArb = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), maxLength: 3 });

  it(
    'refuses any duplicate of an existing claim, however it is spelled or spaced',
    () => {
      const names = Object.keys(claims());
      fc.assert(
        fc.property(
          fc.constantFrom(...ALGS),
          fc.constantFrom(...names),
          fc.nat(),
          whitespaceArb,
          whitespaceArb,
          fc.jsonValue({ maxDepth: 2 }),
          fc.boolean(),
          (alg, name, mask, before, after, value, first) => {
            const f = fx[alg];
            const json = JSON.stringify(claims());
            const member = `"${escaped(name, mask)}"${before}:${after}${JSON.stringify(value)}`;
            const text = first ? `{${member},${json.slice(1)}` : `${json.slice(0, -1)},${member}}`;
            const err = expectRejected(forgeSigned(f.key, f.header(), rawJson(text)));
            expect(err.code).toBe('ERR_TOKEN_MALFORMED');
          },
        ),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'accepts a new claim whose name and value hold quotes, escapes, colons and brackets (no false duplicate)',
    () => {
      const tricky = fc.string({
        unit: fc.constantFrom('"', '\\', ':', ',', '{', '}', '[', ']', 'a', 's', 'u', 'b', ' ', '\u00e9'),
      });
      fc.assert(
        fc.property(fc.constantFrom(...ALGS), tricky, tricky, whitespaceArb, (alg, name, value, space) => {
          fc.pre(!Object.hasOwn(claims(), name));
          const f = fx[alg];
          const json = JSON.stringify(claims());
          const text = `${json.slice(0, -1)},${JSON.stringify(name)}${space}:${space}${JSON.stringify({ v: [value] })}}`;
          const verified = verifier.verifySync(forgeSigned(f.key, f.header(), rawJson(text)));
          expect(verified.claims[name]).toEqual({ v: [value] });
        }),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'counts exactly the top-level members of any JSON object, however it is indented',
    () => {
      fc.assert(
        fc.property(
          fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
          fc.constantFrom(0, 1, '\t', ' \n'),
          (object, indent) => {
            const text = JSON.stringify(object, null, indent);
            expect(countTopLevelMembers(text)).toBe(Object.keys(JSON.parse(text)).length);
          },
        ),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'calls base64url canonical exactly the strings that survive a decode and encode round trip',
    () => {
      const textArb = fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((bytes) => b64url(bytes)),
        fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 64 }),
        fc.string({ unit: fc.constantFrom(...B64URL, '=', '+', '/', ' ', '.'), maxLength: 64 }),
      );
      fc.assert(
        fc.property(textArb, (text) => {
          const roundTrip = Buffer.from(text, 'base64url').toString('base64url');
          expect(isCanonicalBase64url(text)).toBe(/^[\w-]*$/.test(text) && roundTrip === text);
        }),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );

  it(
    'refuses a validly signed token whose segments are written non-canonically',
    () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...ALGS),
          fc.constantFrom(0, 1, 2),
          fc.constantFrom('=', '==', ' ', '\n'),
          fc.nat(),
          (alg, segment, junk, at) => {
            const f = fx[alg];
            const [h, p, s] = segmentsOf(forgeSigned(f.key, f.header(), claims()));
            const dirty = (seg: string) => {
              const i = junk.startsWith('=') ? seg.length : at % (seg.length + 1);
              return seg.slice(0, i) + junk + seg.slice(i);
            };
            const token =
              segment === 0
                ? signInput(f.key, `${dirty(h)}.${p}`)
                : segment === 1
                  ? signInput(f.key, `${h}.${dirty(p)}`)
                  : `${h}.${p}.${dirty(s)}`;
            expect(expectRejected(token).code).toBe('ERR_TOKEN_MALFORMED');
          },
        ),
        PARAMETERS,
      );
    },
    TIMEOUT,
  );
});
