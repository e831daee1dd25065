import { AccessTokenIssuer, type Algorithm, KeyRing, type RevocableError, Verifier } from '@revocable/core';
import { describe, expect, it } from 'vitest';

const ISS = 'https://auth.example';

describe('issue then verify', () => {
  for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256'] as Algorithm[]) {
    it(`accepts a fresh ${alg} token and returns its claims`, async () => {
      const ring = await KeyRing.open({ alg });
      const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: 'api' });
      const verifier = new Verifier({ keys: ring, issuer: ISS, audience: 'api', revocation: 'none' });
      const { token, claims } = issuer.issue({ sub: 'user-1', sid: 's1', scope: 'read' });
      const verified = verifier.verifySync(token);
      expect(verified.claims).toEqual(claims);
      expect(verified.header).toEqual({ alg, kid: ring.signingKey().kid, typ: 'at+jwt' });
      expect(verified.facts.issuedAtMs).toBe(Math.round(claims.iat * 1000));
      // second time comes from the cache and must be the same result
      expect(verifier.verifySync(token)).toBe(verified);
    });
  }

  it('keeps verifying tokens of a retired key until it is removed', async () => {
    let now = Date.UTC(2026, 0, 1);
    const ring = await KeyRing.open({
      clock: () => now,
      policy: { maxTokenLifetimeMs: 600_000, clockSkewMs: 0 },
    });
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: 'api', clock: () => now });
    const verifier = new Verifier({
      keys: ring,
      issuer: ISS,
      audience: 'api',
      clock: () => now,
      revocation: 'none',
    });
    const before = issuer.issue({ sub: 'u' }).token;
    const oldKid = ring.signingKey().kid;
    const published = (await ring.jwks()).keys.map((k) => k.kid);
    await ring.rotate();
    expect(published).toContain(ring.signingKey().kid); // the new active key was published before it signed
    expect(verifier.verifySync(before).claims.sub).toBe('u');
    now += 599_000;
    expect(verifier.verifySync(before).header.kid).toBe(oldKid);
    now += 2_000;
    await ring.pruneRetired();
    expect(() => verifier.verifySync(issuer.issue({ sub: 'u' }).token)).not.toThrow();
    try {
      verifier.verifySync(before);
      expect.unreachable();
    } catch (err) {
      expect((err as RevocableError).code).toBe('ERR_KEY_UNKNOWN');
    }
  });
});
