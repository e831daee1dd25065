/**
 * The attack catalogue of the verifier: one case per known way to slip a token past a JWT library.
 * Every forged token that needs a valid signature is signed here with the ring's own private key, so a
 * rejection proves the check under test, not merely the signature.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  type Algorithm,
  DEFAULT_REVOCATION_POLICY,
  type JWK,
  type KeyResolver,
  KeyRing,
  keyObjectFromJwk,
  RevocableError,
  Verifier,
} from '@revocable/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { signatureLengthOf } from '../src/keys/signing.js';
import { MAX_KID_LENGTH } from '../src/verify/header.js';
import { AUD, claims, type Fixture, fixtureFor, ISS, NOW, NOW_MS, without } from './support/fixtures.js';
import {
  b64url,
  ecdsaParts,
  ecdsaSignature,
  encodedLength,
  encodePart,
  forgeHmac,
  forgeSigned,
  forgeUnsigned,
  P256_ORDER,
  rawBytes,
  rawJson,
  segmentsOf,
  signatureOf,
  signInput,
  withDirtyTrailingBits,
  withPadding,
  withSignature,
} from './support/forge.js';
import { expectNoTokenText, expectRejected, rejectionOf } from './support/rejection.js';

const ALGS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];
const fx = {} as Record<Algorithm, Fixture>;

beforeAll(async () => {
  const built = await Promise.all(ALGS.map(fixtureFor));
  for (const f of built) fx[f.alg] = f;
});

/** The payload JSON text of the standard claims, for cases that need to write JSON by hand. */
function claimsJson(extra = ''): string {
  return `{"iss":"${ISS}","sub":"user-1","aud":"${AUD}","exp":${NOW + 600},"iat":${NOW},"jti":"jti-1"${extra}}`;
}

describe('the forging helpers (control)', () => {
  for (const alg of ALGS) {
    it(`make ${alg} tokens that the verifier accepts, so every rejection below is the check's doing`, () => {
      const f = fx[alg];
      expect(f.verifier.verifySync(forgeSigned(f.key, f.header(), claims())).claims.sub).toBe('user-1');
      expect(f.verifier.verifySync(f.issuer.issue({ sub: 'user-2' }).token).claims.sub).toBe('user-2');
    });
  }
});

describe('alg "none"', () => {
  for (const none of ['none', 'None', 'NONE', 'nOnE']) {
    it(`refuses alg "${none}" with an empty signature`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeUnsigned(f.header({ alg: none }), claims()), {
        code: 'ERR_ALG_NOT_ALLOWED',
      });
    });

    it(`refuses alg "${none}" even with a valid signature by the ring's key`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header({ alg: none }), claims()), {
        code: 'ERR_ALG_NOT_ALLOWED',
      });
    });
  }

  it('refuses to create a verifier whose algorithms include "none"', () => {
    const err = rejectionOf(
      () =>
        new Verifier({
          keys: fx.EdDSA.ring,
          issuer: ISS,
          audience: AUD,
          algorithms: ['none' as Algorithm],
          revocation: 'none',
        }),
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
  });
});

describe('algorithm confusion: HS256 with a public key as the HMAC secret', () => {
  type Secret = (publicKey: KeyObject) => Buffer | string;
  const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
  const rsaSecrets: [string, Secret][] = [
    ['an SPKI PEM', pem],
    ['a PKCS#1 PEM', (k) => k.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['an SPKI DER', (k) => k.export({ type: 'spki', format: 'der' })],
    ['a PKCS#1 DER', (k) => k.export({ type: 'pkcs1', format: 'der' })],
    ['a PEM with CRLF line ends and extra blank lines', (k) => `${pem(k).replace(/\n/g, '\r\n')}\r\n\r\n`],
    ['a PEM without its final newline', (k) => pem(k).trimEnd()],
    ['a PEM wrapped in spaces and tabs', (k) => ` \t\n${pem(k)}\n\t `],
    ['its JWK as JSON text', (k) => JSON.stringify(k.export({ format: 'jwk' }))],
  ];
  const ecSecrets: [string, Secret][] = [
    ['an SPKI PEM', pem],
    ['an SPKI DER', (k) => k.export({ type: 'spki', format: 'der' })],
    ['a PEM with CRLF line ends and extra blank lines', (k) => `${pem(k).replace(/\n/g, '\r\n')}\r\n\r\n`],
    ['a PEM wrapped in spaces and tabs', (k) => ` \t\n${pem(k)}\n\t `],
    [
      'its raw uncompressed point',
      (k) => {
        const { x, y } = k.export({ format: 'jwk' });
        return Buffer.concat([Buffer.of(4), Buffer.from(x!, 'base64url'), Buffer.from(y!, 'base64url')]);
      },
    ],
    ['its JWK as JSON text', (k) => JSON.stringify(k.export({ format: 'jwk' }))],
  ];
  const cases: [Algorithm, string, [string, Secret][]][] = [
    ['RS256', 'RSA', rsaSecrets],
    ['ES256', 'EC', ecSecrets],
    ['EdDSA', 'Ed25519', [['an SPKI PEM', pem]]],
  ];
  for (const [alg, kind, secrets] of cases) {
    for (const [encoding, secretOf] of secrets) {
      it(`refuses HS256 keyed with our ${kind} public key as ${encoding}, the key being pinned to ${alg}`, () => {
        const f = fx[alg];
        const secret = secretOf(createPublicKey(f.key.privateKey));
        const token = forgeHmac(secret, f.header({ alg: 'HS256' }), claims());
        expectRejected(f.verifier, token, { code: 'ERR_ALG_NOT_ALLOWED' });
      });
    }
  }

  it('refuses HS256 before any key lookup when the verifier allows RS256 only', () => {
    const f = fx.RS256;
    const token = forgeHmac(
      createPublicKey(f.key.privateKey).export({ type: 'spki', format: 'pem' }),
      f.header({ alg: 'HS256' }),
      claims(),
    );
    expectRejected(f.verifierWith({ algorithms: ['RS256'] }), token, { code: 'ERR_ALG_NOT_ALLOWED' });
  });

  it('refuses an ES256 header on an EdDSA key even when the EdDSA signature is valid', () => {
    const f = fx.EdDSA;
    expectRejected(f.verifier, forgeSigned(f.key, f.header({ alg: 'ES256' }), claims()), {
      code: 'ERR_ALG_NOT_ALLOWED',
    });
  });

  it('refuses an RS256 header on the HS256 secret', () => {
    const f = fx.HS256;
    expectRejected(f.verifier, forgeSigned(f.key, f.header({ alg: 'RS256' }), claims()), {
      code: 'ERR_ALG_NOT_ALLOWED',
    });
  });
});

describe('unsupported alg values', () => {
  const names = ['HS384', 'RS512', 'PS256', 'ES384', 'ES256K', 'Ed25519', 'hs256', 'eddsa', 'EdDSA ', ''];
  for (const alg of names) {
    it(`refuses alg ${JSON.stringify(alg)} signed by the ring's key`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header({ alg }), claims()), {
        code: 'ERR_ALG_NOT_ALLOWED',
      });
    });
  }
  const odd: [string, unknown][] = [
    ['null', null],
    ['a number', 1],
    ['an array holding the right name', ['EdDSA']],
    ['an object', { name: 'EdDSA' }],
  ];
  for (const [what, alg] of odd) {
    it(`refuses an alg that is ${what}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header({ alg }), claims()), {
        code: 'ERR_ALG_NOT_ALLOWED',
      });
    });
  }

  it('refuses a header without alg', () => {
    const f = fx.EdDSA;
    expectRejected(f.verifier, forgeSigned(f.key, without(f.header(), 'alg'), claims()), {
      code: 'ERR_ALG_NOT_ALLOWED',
    });
  });
});

describe('damaged signatures', () => {
  const damages: [string, (sig: Buffer, other: Buffer) => Buffer][] = [
    ['empty', () => Buffer.alloc(0)],
    ['truncated by one byte', (sig) => sig.subarray(0, -1)],
    ['extended by one zero byte', (sig) => Buffer.concat([sig, Buffer.of(0)])],
    ['extended by a copy of itself', (sig) => Buffer.concat([sig, sig])],
    ['all zero bytes of the right length', (sig) => Buffer.alloc(sig.length)],
    ["another token's valid signature", (_sig, other) => other],
  ];
  for (const alg of ALGS) {
    for (const [what, damage] of damages) {
      it(`refuses an ${alg} token whose signature is ${what}`, () => {
        const f = fx[alg];
        const token = forgeSigned(f.key, f.header(), claims());
        const other = signatureOf(forgeSigned(f.key, f.header(), claims({ jti: 'jti-2' })));
        expectRejected(f.verifier, withSignature(token, damage(signatureOf(token), other)), {
          code: 'ERR_SIGNATURE_INVALID',
        });
      });
    }
  }
});

describe('ECDSA signature values (CVE-2022-21449 "psychic signatures")', () => {
  const n = P256_ORDER;
  const max = (1n << 256n) - 1n;
  const cases: [string, (r: bigint, s: bigint) => [bigint, bigint]][] = [
    ['r = s = 0', () => [0n, 0n]],
    ['r = 0', (_r, s) => [0n, s]],
    ['s = 0', (r) => [r, 0n]],
    ['r = s = n', () => [n, n]],
    ['r = n', (_r, s) => [n, s]],
    ['s = n', (r) => [r, n]],
    ['r = n + 1, which is 1 mod n', (_r, s) => [n + 1n, s]],
    ['r = s = 2^256 - 1', () => [max, max]],
  ];
  for (const [what, values] of cases) {
    it(`refuses an ES256 signature with ${what} in IEEE P1363 encoding`, () => {
      const f = fx.ES256;
      const token = forgeSigned(f.key, f.header(), claims());
      const { r, s } = ecdsaParts(signatureOf(token));
      const [r2, s2] = values(r, s);
      expectRejected(f.verifier, withSignature(token, ecdsaSignature(r2, s2)), {
        code: 'ERR_SIGNATURE_INVALID',
      });
    });
  }

  it('refuses a valid ES256 signature in DER instead of IEEE P1363 encoding', () => {
    const f = fx.ES256;
    const input = `${encodePart(f.header())}.${encodePart(claims())}`;
    const der = sign('sha256', Buffer.from(input, 'latin1'), f.key.privateKey);
    expectRejected(f.verifier, `${input}.${b64url(der)}`, { code: 'ERR_SIGNATURE_INVALID' });
  });
});

describe('ECDSA malleability and token-text identities', () => {
  it('accepts the twin (r, n - s) of a valid ES256 signature: nothing may key on the signature bytes', () => {
    const f = fx.ES256;
    const token = forgeSigned(f.key, f.header(), claims());
    const { r, s } = ecdsaParts(signatureOf(token));
    const twin = withSignature(token, ecdsaSignature(r, P256_ORDER - s));
    expect(twin).not.toBe(token);
    expect(f.verifierWith({ cache: false }).verifySync(twin).claims.jti).toBe('jti-1');
  });

  it('stops a revoked jti-less token by its token rule', () => {
    const f = fx.ES256;
    const revoked = new Set<string>();
    const verifier = f.verifierWith({
      requiredClaims: [],
      cache: false,
      revocation: {
        policy: DEFAULT_REVOCATION_POLICY,
        check: (facts) => (revoked.has(facts.tokenId) ? 'token' : undefined),
      },
    });
    const token = forgeSigned(f.key, f.header(), without(claims(), 'jti'));
    revoked.add(verifier.verifySync(token).facts.tokenId);
    expectRejected(verifier, token, { code: 'ERR_TOKEN_REVOKED', rule: 'token' });
  });

  it('stops the malleated twin (r, n - s) of a revoked jti-less ES256 token by the same token rule', () => {
    const f = fx.ES256;
    const revoked = new Set<string>();
    const verifier = f.verifierWith({
      requiredClaims: [],
      cache: false,
      revocation: {
        policy: DEFAULT_REVOCATION_POLICY,
        check: (facts) => (revoked.has(facts.tokenId) ? 'token' : undefined),
      },
    });
    const token = forgeSigned(f.key, f.header(), without(claims(), 'jti'));
    revoked.add(verifier.verifySync(token).facts.tokenId);
    const { r, s } = ecdsaParts(signatureOf(token));
    expectRejected(verifier, withSignature(token, ecdsaSignature(r, P256_ORDER - s)), {
      code: 'ERR_TOKEN_REVOKED',
      rule: 'token',
    });
  });
});

describe('headers that carry their own key', () => {
  it("refuses an embedded jwk of the attacker's key, with the attacker's valid signature", () => {
    const f = fx.ES256;
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const token = forgeSigned({ alg: 'ES256', privateKey: attacker.privateKey }, f.header({ jwk }), claims());
    expectRejected(f.verifier, token, { code: 'ERR_HEADER_INVALID' });
  });

  const members: [string, (f: Fixture) => unknown][] = [
    ['jwk holding our own public key', (f) => createPublicKey(f.key.privateKey).export({ format: 'jwk' })],
    ['jwk: null', () => null],
    ['jku', () => 'https://evil.example/jwks.json'],
    ['jku as an empty string', () => ''],
    ['x5u', () => 'https://evil.example/cert.pem'],
    ['x5c', () => [randomBytes(64).toString('base64')]],
  ];
  for (const [what, memberValue] of members) {
    it(`refuses a header with ${what}, even with a valid signature by our key`, () => {
      const f = fx.ES256;
      const name = what.slice(0, 3);
      const token = forgeSigned(f.key, f.header({ [name]: memberValue(f) }), claims());
      expectRejected(f.verifier, token, { code: 'ERR_HEADER_INVALID' });
    });
  }
});

describe('kid', () => {
  const unknown: [string, string][] = [
    ['path traversal', '../../etc/passwd'],
    ['SQL injection', "' OR 1=1 --"],
    ['a prototype member name (__proto__)', '__proto__'],
    ['a prototype member name (constructor)', 'constructor'],
    ['our kid with a NUL byte appended', '\u0000'],
    ['the longest accepted length', 'k'.repeat(MAX_KID_LENGTH)],
  ];
  for (const [what, kid] of unknown) {
    it(`refuses a kid that is ${what} as an unknown key`, () => {
      const f = fx.EdDSA;
      const value = kid === '\u0000' ? `${f.key.kid}\u0000` : kid;
      expectRejected(f.verifier, forgeSigned(f.key, f.header({ kid: value }), claims()), {
        code: 'ERR_KEY_UNKNOWN',
      });
    });
  }

  const invalid: [string, unknown][] = [
    ['one character over the longest accepted length', 'k'.repeat(MAX_KID_LENGTH + 1)],
    ['an empty string', ''],
    ['a number', 1],
    ['an object', { kid: 'x' }],
    ['null', null],
    ['an array holding our kid', 'ARRAY'],
  ];
  for (const [what, kid] of invalid) {
    it(`refuses a kid that is ${what} as an invalid header`, () => {
      const f = fx.EdDSA;
      const value = kid === 'ARRAY' ? [f.key.kid] : kid;
      expectRejected(f.verifier, forgeSigned(f.key, f.header({ kid: value }), claims()), {
        code: 'ERR_HEADER_INVALID',
      });
    });
  }

  it('refuses a header without kid as an invalid header', () => {
    const f = fx.EdDSA;
    expectRejected(f.verifier, forgeSigned(f.key, without(f.header(), 'kid'), claims()), {
      code: 'ERR_HEADER_INVALID',
    });
  });

  it('refuses a 10,000-character kid as an invalid header when the size limits let the header through', () => {
    const f = fx.EdDSA;
    const token = forgeSigned(f.key, f.header({ kid: 'k'.repeat(10_000) }), claims());
    const roomy = f.verifierWith({ limits: { maxTokenLength: 65_536, maxHeaderLength: 65_536 } });
    expectRejected(roomy, token, { code: 'ERR_HEADER_INVALID' });
  });

  it('refuses a 10,000-character kid as too large under the default size limits', () => {
    const f = fx.EdDSA;
    expectRejected(f.verifier, forgeSigned(f.key, f.header({ kid: 'k'.repeat(10_000) }), claims()), {
      code: 'ERR_TOKEN_TOO_LARGE',
    });
  });

  it('refuses a 1,000-character kid as too large: the header passes 1024 characters', () => {
    const f = fx.EdDSA;
    const token = forgeSigned(f.key, f.header({ kid: 'k'.repeat(1_000) }), claims());
    expect(token.length).toBeLessThan(8192);
    expectRejected(f.verifier, token, { code: 'ERR_TOKEN_TOO_LARGE' });
  });
});

describe('crit and b64', () => {
  const crits: [string, Record<string, unknown>][] = [
    ['an unknown extension', { crit: ['x-ext'], 'x-ext': true }],
    ['a registered member name', { crit: ['exp'], exp: NOW + 600 }],
    ['an empty array', { crit: [] }],
    ['"b64" with b64 true', { crit: ['b64'], b64: true }],
    ['"b64" with b64 false', { crit: ['b64'], b64: false }],
    ['a string instead of an array', { crit: 'b64' }],
  ];
  for (const [what, extra] of crits) {
    it(`refuses crit with ${what}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header(extra), claims()), {
        code: 'ERR_CRIT_UNSUPPORTED',
      });
    });
  }

  for (const b64 of [false, 'false', 0, null]) {
    it(`refuses b64: ${JSON.stringify(b64)} without crit`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header({ b64 }), claims()), {
        code: 'ERR_HEADER_INVALID',
      });
    });
  }

  it('refuses an unencoded payload written raw into the token', () => {
    const f = fx.EdDSA;
    const token = signInput(f.key, `${encodePart(f.header({ b64: false }))}.${claimsJson()}`);
    expectRejected(f.verifier, token, { code: 'ERR_TOKEN_MALFORMED' });
  });
});

describe('typ', () => {
  const wrong: [string, unknown][] = [
    ['"JWT" (an ID token)', 'JWT'],
    ['"application/jwt"', 'application/jwt'],
    ['"logout+jwt" (a back-channel logout token)', 'logout+jwt'],
    ['"secevent+jwt"', 'secevent+jwt'],
    ['"at+jwt " with a trailing space', 'at+jwt '],
    ['"at+jwt; charset=utf-8"', 'at+jwt; charset=utf-8'],
    ['"application/application/at+jwt"', 'application/application/at+jwt'],
    ['null', null],
    ['an array', ['at+jwt']],
  ];
  for (const [what, typ] of wrong) {
    it(`refuses typ ${what}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header({ typ }), claims()), {
        code: 'ERR_TYP_INVALID',
      });
    });
  }

  it('refuses a header without typ', () => {
    const f = fx.EdDSA;
    expectRejected(f.verifier, forgeSigned(f.key, without(f.header(), 'typ'), claims()), {
      code: 'ERR_TYP_INVALID',
    });
  });

  it('accepts "application/AT+JWT" (RFC 7515 §4.1.9 compares media types case-insensitively)', () => {
    const f = fx.EdDSA;
    const token = forgeSigned(f.key, f.header({ typ: 'application/AT+JWT' }), claims());
    expect(f.verifier.verifySync(token).header.typ).toBe('application/AT+JWT');
  });
});

describe('token shape', () => {
  it('refuses a JWE with a direct key (5 segments)', () => {
    const header = encodePart({ alg: 'dir', enc: 'A256GCM', kid: fx.EdDSA.key.kid });
    const token = [
      header,
      '',
      b64url(randomBytes(12)),
      b64url(randomBytes(80)),
      b64url(randomBytes(16)),
    ].join('.');
    expectRejected(fx.EdDSA.verifier, token, { code: 'ERR_TOKEN_MALFORMED' });
  });

  it('refuses a JWE with an encrypted key (5 segments)', () => {
    const header = encodePart({ alg: 'RSA-OAEP-256', enc: 'A256GCM', typ: 'at+jwt', kid: fx.RS256.key.kid });
    const parts = [header, b64url(randomBytes(256)), b64url(randomBytes(12)), b64url(randomBytes(80))];
    expectRejected(fx.RS256.verifier, [...parts, b64url(randomBytes(16))].join('.'), {
      code: 'ERR_TOKEN_MALFORMED',
    });
  });

  const shapes: [string, (h: string, p: string, s: string) => string][] = [
    ['2 segments (no signature segment)', (h, p) => `${h}.${p}`],
    ['4 segments', (h, p, s) => `${h}.${p}.${s}.${s}`],
    ['4 segments, the last empty', (h, p, s) => `${h}.${p}.${s}.`],
    ['1 segment', (h) => h],
    ['only dots', () => '..'],
    ['an empty header segment', (_h, p, s) => `.${p}.${s}`],
    ['an empty payload segment', (h, _p, s) => `${h}..${s}`],
    ['a leading dot', (h, p, s) => `.${h}.${p}.${s}`],
  ];
  for (const [what, shape] of shapes) {
    it(`refuses a token of ${what}`, () => {
      const f = fx.EdDSA;
      const [h, p, s] = segmentsOf(forgeSigned(f.key, f.header(), claims()));
      expectRejected(f.verifier, shape(h, p, s), { code: 'ERR_TOKEN_MALFORMED' });
    });
  }

  for (const [what, value] of [
    ['an empty string', ''],
    ['undefined', undefined],
    ['a number', 42],
    ['a Buffer of a valid token', 'BUFFER'],
    ['an object', { token: 'x' }],
  ] as [string, unknown][]) {
    it(`refuses ${what} in place of the token`, () => {
      const f = fx.EdDSA;
      const input = value === 'BUFFER' ? Buffer.from(forgeSigned(f.key, f.header(), claims())) : value;
      const err = rejectionOf(() => f.verifier.verifySync(input as string));
      expect(err.code).toBe('ERR_TOKEN_MALFORMED');
    });
  }
});

describe('base64url encoding', () => {
  const usable = (seg: string) => seg.includes('-') && seg.includes('_') && seg.length % 4 >= 2;
  let found: { h: string; p: string; s: string } | undefined;

  /**
   * EdDSA segments that each contain "-" and "_" and have unused trailing bits, so every edit below has
   * something to work on; the token is valid as is. EdDSA is deterministic, so it is found once.
   */
  function encodingCase(): { h: string; p: string; s: string } {
    if (found) return found;
    const f = fx.EdDSA;
    // In base64url of ASCII text only the low six bits of every third byte can give "-" (from "~") or
    // "_" (from "?"): a run of three of each puts one of them there.
    const variant = (i: number) => `${'x'.repeat(i % 4)}~~~???${i}`;
    let h: string | undefined;
    for (let i = 0; i < 1000 && h === undefined; i++) {
      const candidate = encodePart(f.header({ n: variant(i) }));
      if (usable(candidate)) h = candidate;
    }
    for (let i = 0; h !== undefined && i < 1000; i++) {
      const p = encodePart(claims({ note: variant(i) }));
      if (!usable(p)) continue;
      const s = segmentsOf(signInput(f.key, `${h}.${p}`))[2];
      if (usable(s)) {
        found = { h, p, s };
        return found;
      }
    }
    throw new Error('no variant gives usable segments');
  }

  it('accepts the token the encoding cases start from (control)', () => {
    const { h, p, s } = encodingCase();
    expect(fx.EdDSA.verifier.verifySync(`${h}.${p}.${s}`).claims.sub).toBe('user-1');
  });

  const edits: [string, (seg: string) => string][] = [
    ['padding "="', withPadding],
    ['"+" in place of "-"', (seg) => seg.replace('-', '+')],
    ['"/" in place of "_"', (seg) => seg.replace('_', '/')],
    ['a space inside', (seg) => `${seg.slice(0, 8)} ${seg.slice(8)}`],
    ['a line feed inside', (seg) => `${seg.slice(0, 8)}\n${seg.slice(8)}`],
    ['non-canonical trailing bits', withDirtyTrailingBits],
    ['a dangling sixth bit (length 1 mod 4)', (seg) => `${seg}${seg.length % 4 === 2 ? 'AAA' : 'AA'}`],
  ];
  for (const segment of ['header', 'payload', 'signature'] as const) {
    for (const [what, edit] of edits) {
      it(`refuses ${what} in the ${segment}, even when the signature covers the exact text`, () => {
        const f = fx.EdDSA;
        const { h, p, s } = encodingCase();
        const token =
          segment === 'header'
            ? signInput(f.key, `${edit(h)}.${p}`)
            : segment === 'payload'
              ? signInput(f.key, `${h}.${edit(p)}`)
              : `${h}.${p}.${edit(s)}`;
        expect(token).not.toBe(`${h}.${p}.${s}`);
        expectRejected(f.verifier, token, { code: 'ERR_TOKEN_MALFORMED' });
      });
    }
  }
});

describe('characters above U+00FF whose low byte is a base64url character', () => {
  // Node's base64 decoder and a 'latin1' Buffer both keep only the low byte of a wide character, so
  // U+0165 reads as "e": without a check, one token would have many texts that all verify, and a
  // jti-less token's id (a hash of its text) would change with each.
  const twin = (c: string) => String.fromCharCode(0x100 + c.charCodeAt(0));
  for (const alg of ALGS) {
    for (const [index, segment] of (['header', 'payload', 'signature'] as const).entries()) {
      it(`refuses a ${alg} token with one such character in the ${segment}`, () => {
        const f = fx[alg];
        const token = f.issuer.issue({ sub: 'user-1' }).token;
        const parts = token.split('.');
        const part = parts[index]!;
        parts[index] = `${part.slice(0, 5)}${twin(part[5]!)}${part.slice(6)}`;
        const forged = parts.join('.');
        expect(Buffer.from(forged, 'latin1').toString('latin1')).toBe(token);
        expectRejected(f.verifierWith({ cache: false }), forged, { code: 'ERR_TOKEN_MALFORMED' });
        expectRejected(f.verifier, forged, { code: 'ERR_TOKEN_MALFORMED' });
      });
    }
  }
});

describe('header and payload JSON', () => {
  const payloads: [string, unknown][] = [
    ['an array', [claims()]],
    ['a string', 'user-1'],
    ['a number', 42],
    ['null', null],
    ['true', true],
  ];
  for (const [what, payload] of payloads) {
    it(`refuses a signed payload that is ${what}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header(), payload), { code: 'ERR_TOKEN_MALFORMED' });
    });
  }

  for (const [what, header] of [
    ['an array', ['EdDSA']],
    ['null', null],
    ['a string', 'EdDSA'],
  ] as [string, unknown][]) {
    it(`refuses a header that is ${what}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, header, claims()), { code: 'ERR_TOKEN_MALFORMED' });
    });
  }

  const texts: [string, 'header' | 'payload', (f: Fixture) => ReturnType<typeof rawJson>][] = [
    [
      'JavaScript instead of JSON in the header',
      'header',
      (f) => rawJson(`{alg:'EdDSA',typ:'at+jwt',kid:'${f.key.kid}'}`),
    ],
    ['trailing bytes after the payload object', 'payload', () => rawJson(`${claimsJson()}x`)],
    [
      'a UTF-8 byte order mark before the header',
      'header',
      (f) => rawJson(`\uFEFF${JSON.stringify(f.header())}`),
    ],
    ['a UTF-8 byte order mark before the payload', 'payload', () => rawJson(`\uFEFF${claimsJson()}`)],
    [
      'invalid UTF-8 (0xFF) inside a header value',
      'header',
      (f) =>
        rawBytes(Buffer.from(`{"alg":"EdDSA","typ":"at+jwt","kid":"${f.key.kid}","x":"\xff"}`, 'latin1')),
    ],
    [
      'invalid UTF-8 (0xFF) inside the sub claim',
      'payload',
      () => rawBytes(Buffer.from(claimsJson().replace('user-1', 'user-1\xff'), 'latin1')),
    ],
    [
      'an overlong UTF-8 quote (0xC0 0xA2)',
      'payload',
      () => rawBytes(Buffer.from(claimsJson(',"x":"\xc0\xa2"'), 'latin1')),
    ],
    [
      'a UTF-8 encoded surrogate (0xED 0xA0 0x80)',
      'payload',
      () => rawBytes(Buffer.from(claimsJson(',"x":"\xed\xa0\x80"'), 'latin1')),
    ],
  ];
  for (const [what, where, part] of texts) {
    it(`refuses ${what}`, () => {
      const f = fx.EdDSA;
      const token =
        where === 'header' ? forgeSigned(f.key, part(f), claims()) : forgeSigned(f.key, f.header(), part(f));
      expectRejected(f.verifier, token, { code: 'ERR_TOKEN_MALFORMED' });
    });
  }

  it('accepts a string that is valid UTF-8 outside the BMP (control for the UTF-8 cases)', () => {
    const f = fx.EdDSA;
    const token = forgeSigned(f.key, f.header(), claims({ name: 'Zoë 🦊' }));
    expect(f.verifier.verifySync(token).claims['name']).toBe('Zoë 🦊');
  });
});

describe('duplicate member names', () => {
  const cases: [string, 'header' | 'payload', (f: Fixture) => string][] = [
    [
      'alg in the header, "none" first',
      'header',
      (f) => `{"alg":"none","alg":"EdDSA","typ":"at+jwt","kid":"${f.key.kid}"}`,
    ],
    [
      'kid in the header',
      'header',
      (f) => `{"alg":"EdDSA","typ":"at+jwt","kid":"other","kid":"${f.key.kid}"}`,
    ],
    ['sub in the payload', 'payload', () => claimsJson(',"sub":"admin"')],
    [
      'exp in the payload, an expired one first',
      'payload',
      () => `{"exp":${NOW - 60},${claimsJson().slice(1)}`,
    ],
    ['sub in the payload, spelled with a \\u escape', 'payload', () => claimsJson(',"s\\u0075b":"admin"')],
    [
      'sub in the payload, with whitespace before the colon',
      'payload',
      () => claimsJson(',"sub" \n\t: "admin"'),
    ],
  ];
  for (const [what, where, json] of cases) {
    it(`refuses a duplicate ${what}`, () => {
      const f = fx.EdDSA;
      const token =
        where === 'header'
          ? forgeSigned(f.key, rawJson(json(f)), claims())
          : forgeSigned(f.key, f.header(), rawJson(json(f)));
      expectRejected(f.verifier, token, { code: 'ERR_TOKEN_MALFORMED' });
    });
  }

  it('accepts a claim whose value spells a member inside a string (no false duplicate)', () => {
    const f = fx.EdDSA;
    const token = forgeSigned(
      f.key,
      f.header(),
      rawJson(claimsJson(',"note":"\\",\\"sub\\":{\\"[","more":[{"sub":1}]')),
    );
    expect(f.verifier.verifySync(token).claims['note']).toBe('","sub":{"[');
  });
});

describe('time claims (clock fixed, tolerance 0)', () => {
  const rejected: [
    string,
    Record<string, unknown>,
    'ERR_TOKEN_EXPIRED' | 'ERR_TOKEN_NOT_YET_VALID',
    string,
  ][] = [
    ['exp == now is expired', { exp: NOW }, 'ERR_TOKEN_EXPIRED', 'exp'],
    ['exp one second ago is expired', { exp: NOW - 1 }, 'ERR_TOKEN_EXPIRED', 'exp'],
    ['exp one millisecond ago is expired', { exp: NOW - 0.001 }, 'ERR_TOKEN_EXPIRED', 'exp'],
    ['nbf one second ahead is not yet valid', { nbf: NOW + 1 }, 'ERR_TOKEN_NOT_YET_VALID', 'nbf'],
    ['iat one second ahead is not yet valid', { iat: NOW + 1 }, 'ERR_TOKEN_NOT_YET_VALID', 'iat'],
  ];
  for (const [what, extra, code, claim] of rejected) {
    it(`refuses a token whose ${what}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header(), claims(extra)), { code, claim });
    });
  }

  it('accepts exp one second ahead, nbf == now and iat == now (boundary controls)', () => {
    const f = fx.EdDSA;
    const token = forgeSigned(f.key, f.header(), claims({ exp: NOW + 1, nbf: NOW, iat: NOW }));
    expect(f.verifier.verifySync(token).claims.exp).toBe(NOW + 1);
  });

  it('refuses exp == now - tolerance and accepts exp one second later, with tolerance 5', () => {
    const f = fx.EdDSA;
    const tolerant = f.verifierWith({ clockToleranceSec: 5 });
    expectRejected(tolerant, forgeSigned(f.key, f.header(), claims({ exp: NOW - 5 })), {
      code: 'ERR_TOKEN_EXPIRED',
      claim: 'exp',
    });
    expect(tolerant.verifySync(forgeSigned(f.key, f.header(), claims({ exp: NOW - 4 }))).claims.exp).toBe(
      NOW - 4,
    );
  });

  it('refuses a cached token once it expires: the cache never skips time checks', () => {
    const f = fx.EdDSA;
    let now = NOW_MS;
    const verifier = f.verifierWith({ clock: () => now });
    const token = forgeSigned(f.key, f.header(), claims({ exp: NOW + 10 }));
    expect(verifier.verifySync(token).claims.exp).toBe(NOW + 10);
    now += 10_000;
    expectRejected(verifier, token, { code: 'ERR_TOKEN_EXPIRED', claim: 'exp' });
  });

  const badTypes: [string, string, string][] = [
    ['exp as a string', 'exp', `"${NOW + 600}"`],
    ['exp as null', 'exp', 'null'],
    ['exp as true', 'exp', 'true'],
    ['exp as 1e400 (Infinity once parsed)', 'exp', '1e400'],
    ['iat as a string', 'iat', `"${NOW}"`],
    ['iat as null', 'iat', 'null'],
    ['nbf as a string', 'nbf', `"${NOW}"`],
    ['nbf as null', 'nbf', 'null'],
  ];
  for (const [what, claim, json] of badTypes) {
    it(`refuses ${what}`, () => {
      const f = fx.EdDSA;
      const payload = JSON.stringify(without(claims(), claim)).slice(0, -1) + `,"${claim}":${json}}`;
      expectRejected(f.verifier, forgeSigned(f.key, f.header(), rawJson(payload)), {
        code: 'ERR_CLAIM_INVALID',
        claim,
      });
    });
  }

  for (const claim of ['exp', 'iat']) {
    it(`refuses a token without ${claim}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header(), without(claims(), claim)), {
        code: 'ERR_CLAIM_INVALID',
        claim,
      });
    });
  }
});

describe('issuer, audience, subject and token id', () => {
  const cyrillicA = '\u0430';
  const bad: [string, string, unknown][] = [
    ['another issuer', 'iss', 'https://evil.example'],
    ["an issuer with a Cyrillic 'а' for the Latin 'a'", 'iss', ISS.replace('a', cyrillicA)],
    ['an issuer in fullwidth letters', 'iss', ISS.replace('auth', '\uff41\uff55\uff54\uff48')],
    ['an issuer with a trailing space', 'iss', `${ISS} `],
    ['an issuer with a trailing slash', 'iss', `${ISS}/`],
    ['an issuer in another letter case', 'iss', ISS.replace('auth', 'Auth')],
    ['an issuer inside an array', 'iss', [ISS]],
    ['a null issuer', 'iss', null],
    ['another audience', 'aud', 'other-api'],
    ['an audience array without a match', 'aud', ['other-api', 'billing']],
    ['an empty audience array', 'aud', []],
    ['an audience array with a non-string member beside a match', 'aud', [AUD, 1]],
    ['an audience array of a nested array', 'aud', [[AUD]]],
    ['an audience array holding null', 'aud', [null]],
    ["an audience with a Cyrillic 'а' for the Latin 'a'", 'aud', AUD.replace('a', cyrillicA)],
    ['an audience in fullwidth letters', 'aud', '\uff41\uff50\uff49'],
    ['an audience with a trailing space', 'aud', `${AUD} `],
    ['an audience in another letter case', 'aud', AUD.toUpperCase()],
    ["an audience array whose only near-match has a Cyrillic 'а'", 'aud', [AUD.replace('a', cyrillicA)]],
    ['an audience that is an object', 'aud', { 0: AUD }],
    ['an empty subject', 'sub', ''],
    ['a numeric subject', 'sub', 42],
    ['a numeric jti', 'jti', 7],
    ['a null jti', 'jti', null],
    ['a numeric sid', 'sid', 7],
    ['a scope array', 'scope', ['read']],
  ];
  for (const [what, claim, value] of bad) {
    it(`refuses ${what}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header(), claims({ [claim]: value })), {
        code: 'ERR_CLAIM_INVALID',
        claim,
      });
    });
  }

  for (const claim of ['iss', 'sub', 'aud', 'jti']) {
    it(`refuses a token without ${claim}`, () => {
      const f = fx.EdDSA;
      expectRejected(f.verifier, forgeSigned(f.key, f.header(), without(claims(), claim)), {
        code: 'ERR_CLAIM_INVALID',
        claim,
      });
    });
  }

  it('accepts an audience array that holds the audience among others (control)', () => {
    const f = fx.EdDSA;
    const token = forgeSigned(f.key, f.header(), claims({ aud: ['billing', AUD] }));
    expect(f.verifier.verifySync(token).claims.aud).toEqual(['billing', AUD]);
  });
});

describe('size limits', () => {
  /** A signed EdDSA token exactly `length` characters long, through padding members. */
  function tokenOfLength(f: Fixture, length: number): string {
    const sigLength = encodedLength(64);
    for (let headerPad = 0; headerPad < 3; headerPad++) {
      const header = f.header({ p: 'x'.repeat(headerPad) });
      for (let pad = 0; pad < length; pad++) {
        const total =
          encodePart(header).length + encodePart(claims({ pad: 'x'.repeat(pad) })).length + sigLength + 2;
        if (total === length) return forgeSigned(f.key, header, claims({ pad: 'x'.repeat(pad) }));
        if (total > length) break;
      }
    }
    throw new Error(`no padding gives a token of ${length} characters`);
  }

  /** A signed EdDSA token whose header segment is exactly `length` characters long. */
  function tokenWithHeaderOfLength(f: Fixture, length: number): string {
    for (let pad = 0; pad < length; pad++) {
      const header = f.header({ p: 'x'.repeat(pad) });
      if (encodePart(header).length === length) return forgeSigned(f.key, header, claims());
    }
    throw new Error(`no padding gives a header of ${length} characters`);
  }

  it('refuses a validly signed token of 8193 characters as too large', () => {
    const token = tokenOfLength(fx.EdDSA, 8193);
    expect(token.length).toBe(8193);
    expectRejected(fx.EdDSA.verifier, token, { code: 'ERR_TOKEN_TOO_LARGE' });
  });

  it('accepts a validly signed token of exactly 8192 characters (boundary control)', () => {
    const token = tokenOfLength(fx.EdDSA, 8192);
    expect(token.length).toBe(8192);
    expect(fx.EdDSA.verifier.verifySync(token).claims.sub).toBe('user-1');
  });

  it('refuses a 1 MB token as too large', () => {
    const token = `${'A'.repeat(500_000)}.${'A'.repeat(500_000)}.AAAA`;
    expectRejected(fx.EdDSA.verifier, token, { code: 'ERR_TOKEN_TOO_LARGE' });
  });

  it('refuses a validly signed token whose header is 1026 characters as too large', () => {
    const token = tokenWithHeaderOfLength(fx.EdDSA, 1026);
    expect(token.indexOf('.')).toBe(1026);
    expectRejected(fx.EdDSA.verifier, token, { code: 'ERR_TOKEN_TOO_LARGE' });
  });

  it('accepts a validly signed token whose header is exactly 1024 characters (boundary control)', () => {
    const token = tokenWithHeaderOfLength(fx.EdDSA, 1024);
    expect(token.indexOf('.')).toBe(1024);
    expect(fx.EdDSA.verifier.verifySync(token).header.kid).toBe(fx.EdDSA.key.kid);
  });

  it('applies a configured limit below the default', () => {
    const f = fx.EdDSA;
    const token = f.issuer.issue({ sub: 'user-1' }).token;
    expectRejected(f.verifierWith({ limits: { maxTokenLength: token.length - 1 } }), token, {
      code: 'ERR_TOKEN_TOO_LARGE',
    });
  });
});

describe('weak and mislabelled keys', () => {
  async function keyError(jwk: JWK): Promise<RevocableError> {
    const ring = await KeyRing.open({ alg: 'HS256' });
    try {
      await ring.importJwk(jwk);
    } catch (err) {
      if (err instanceof RevocableError) return err;
      throw err;
    }
    throw new Error('the key was imported');
  }
  const rsa1024 = () => generateKeyPairSync('rsa', { modulusLength: 1024 });

  for (const bytes of [16, 31]) {
    it(`refuses an HMAC secret of ${bytes} bytes at import`, async () => {
      const k = b64url(randomBytes(bytes));
      const err = await keyError({ kty: 'oct', k });
      expect(err.code).toBe('ERR_KEY_INVALID');
      expectNoTokenText(err, k); // nor the secret
    });
  }

  it('imports an HMAC secret of 32 bytes (boundary control)', async () => {
    const ring = await KeyRing.open({ alg: 'HS256' });
    expect(await ring.importJwk({ kty: 'oct', k: b64url(randomBytes(32)) })).toMatch(/^[\w-]{43}$/);
  });

  it('refuses a 16-byte HMAC secret in keyObjectFromJwk too', async () => {
    await expect(keyObjectFromJwk({ kty: 'oct', k: b64url(randomBytes(16)) })).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
    });
  });

  it('refuses a 1024-bit RSA private key at import', async () => {
    const err = await keyError(rsa1024().privateKey.export({ format: 'jwk' }));
    expect(err.code).toBe('ERR_KEY_INVALID');
  });

  it('refuses a 1024-bit RSA public key at import', async () => {
    await expect(keyObjectFromJwk(rsa1024().publicKey.export({ format: 'jwk' }))).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
    });
  });

  it('refuses an RSA key labelled HS256 at import', async () => {
    const jwk = { ...fx.RS256.key.privateKey.export({ format: 'jwk' }), alg: 'HS256' };
    expect((await keyError(jwk)).code).toBe('ERR_KEY_INVALID');
  });

  it('refuses an HMAC secret labelled RS256 at import', async () => {
    expect((await keyError({ kty: 'oct', k: b64url(randomBytes(32)), alg: 'RS256' })).code).toBe(
      'ERR_KEY_INVALID',
    );
  });

  it('refuses an EC key on P-384 at import', async () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
    expect((await keyError(jwk)).code).toBe('ERR_KEY_INVALID');
  });

  /** A key source that hands over any RSA key, the way a custom resolver could. */
  function resolverOf(kid: string, publicKey: KeyObject): KeyResolver {
    const key = {
      kid,
      alg: 'RS256' as const,
      keyObject: publicKey,
      signatureLength: signatureLengthOf('RS256', publicKey),
      verifyUntil: Number.POSITIVE_INFINITY,
      removed: false,
    };
    return { get: (k) => (k === kid ? key : undefined) };
  }

  it('refuses a token signed by a 1024-bit RSA key even when the key source hands that key over', () => {
    const { privateKey, publicKey } = rsa1024();
    const verifier = new Verifier({
      keys: resolverOf('weak', publicKey),
      issuer: ISS,
      audience: AUD,
      clock: () => NOW_MS,
      revocation: 'none',
    });
    const token = forgeSigned(
      { alg: 'RS256', privateKey },
      { alg: 'RS256', typ: 'at+jwt', kid: 'weak' },
      claims(),
    );
    expectRejected(verifier, token, { code: 'ERR_SIGNATURE_INVALID' });
  });

  it('accepts a token signed by a 2048-bit RSA key from the same kind of key source (control)', () => {
    const publicKey = createPublicKey(fx.RS256.key.privateKey);
    const verifier = new Verifier({
      keys: resolverOf('strong', publicKey),
      issuer: ISS,
      audience: AUD,
      clock: () => NOW_MS,
      revocation: 'none',
    });
    const token = forgeSigned(fx.RS256.key, { alg: 'RS256', typ: 'at+jwt', kid: 'strong' }, claims());
    expect(verifier.verifySync(token).header.kid).toBe('strong');
  });

  it('refuses to open a ring that would generate RSA keys under 2048 bits', async () => {
    const err = await KeyRing.open({ alg: 'RS256', rsaBits: 1024 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RevocableError);
    expect(['ERR_CONFIG_INVALID', 'ERR_KEY_INVALID']).toContain((err as RevocableError).code);
  });
});
