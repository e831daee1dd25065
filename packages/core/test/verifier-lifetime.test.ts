import { RevocableError, Verifier } from '@revocable/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUD, claims, clock, type Fixture, fixtureFor, ISS, NOW, without } from './support/fixtures.js';
import { forgeSigned } from './support/forge.js';
import { expectRejected } from './support/rejection.js';

let f: Fixture;
beforeAll(async () => {
  f = await fixtureFor('EdDSA');
});

describe('maxTokenLifetimeSec', () => {
  const lifetime = (seconds: number, extra: Record<string, unknown> = {}) =>
    forgeSigned(f.key, f.header(), claims({ iat: NOW, exp: NOW + seconds, ...extra }));

  it('accepts a token living exactly the maximum', () => {
    const verifier = f.verifierWith({ maxTokenLifetimeSec: 600 });
    expect(verifier.verifySync(lifetime(600)).claims.exp).toBe(NOW + 600);
  });

  it('refuses a token living one second longer than the maximum, naming exp', () => {
    const verifier = f.verifierWith({ maxTokenLifetimeSec: 600 });
    const err = expectRejected(verifier, lifetime(601), { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
    expect(err.message).toContain('maxTokenLifetimeSec');
  });

  it('measures the lifetime from iat, not from now: an old long-lived token is refused too', () => {
    const verifier = f.verifierWith({ maxTokenLifetimeSec: 600 });
    const token = forgeSigned(f.key, f.header(), claims({ iat: NOW - 3000, exp: NOW + 300 }));
    expectRejected(verifier, token, { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
  });

  it('accepts the millisecond iat the issuer writes (exp - iat just under the maximum)', () => {
    const verifier = f.verifierWith({ maxTokenLifetimeSec: 600 });
    const token = forgeSigned(f.key, f.header(), claims({ iat: NOW - 0.123, exp: NOW - 0.123 + 600 }));
    expect(() => verifier.verifySync(token)).not.toThrow();
  });

  it('refuses a token without iat when it is set (its lifetime cannot be known), naming iat', () => {
    const verifier = f.verifierWith({ maxTokenLifetimeSec: 600 });
    const token = forgeSigned(f.key, f.header(), without(claims(), 'iat'));
    expectRejected(verifier, token, { code: 'ERR_CLAIM_INVALID', claim: 'iat' });
  });

  it("is 600 s when not set on a verifier without revocation ('none'), and any explicit value there", () => {
    expectRejected(f.verifierWith({}), lifetime(601), { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
    const long = f.verifierWith({ maxTokenLifetimeSec: 86_400 });
    expect(long.verifySync(lifetime(86_400)).claims.exp).toBe(NOW + 86_400);
  });

  it('refuses a too long-lived token on every verify, cached or not', () => {
    const verifier = f.verifierWith({ maxTokenLifetimeSec: 600 });
    const token = lifetime(601);
    expectRejected(verifier, token, { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
    expectRejected(verifier, token, { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
  });

  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '600']) {
    it(`is refused at construction when it is ${String(bad)} (ERR_CONFIG_INVALID)`, () => {
      let err: unknown;
      try {
        new Verifier({
          keys: f.ring,
          issuer: ISS,
          audience: AUD,
          clock,
          revocation: 'none',
          maxTokenLifetimeSec: bad as number,
        });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RevocableError);
      expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
      expect((err as RevocableError).message).toContain('maxTokenLifetimeSec');
    });
  }
});
