import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import {
  AccessTokenIssuer,
  type Algorithm,
  type JWK,
  KeyRing,
  publicJwk,
  RevocableError,
  Verifier,
} from '@revocable/core';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';

const ISS = 'https://auth.example';
const AUD = 'api';
const ASYMMETRIC: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256'];
/** JWK members that carry private or secret material (RFC 7517 / RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The RFC 7638 SHA-256 thumbprint of a key's public JWK (the `oct` JWK for a secret), computed by jose. */
async function thumbprintOf(key: KeyObject): Promise<string> {
  const jwk = await exportJWK(key.type === 'private' ? createPublicKey(key) : key);
  return calculateJwkThumbprint(jwk, 'sha256');
}

function privateJwkOf(alg: Exclude<Algorithm, 'HS256'>): JWK {
  const { privateKey } =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ format: 'jwk' }) as JWK;
}

describe('key ids', () => {
  for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256'] as const) {
    it(`are the RFC 7638 thumbprint of each ${alg} key (active and next)`, async () => {
      const ring = await KeyRing.open({ alg });
      const active = ring.signingKey();
      expect(active.kid).toBe(await thumbprintOf(active.privateKey));
      for (const summary of ring.list()) {
        expect(summary.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(ring.get(summary.kid)).toBeDefined();
        expect(summary.kid).toBe(await thumbprintOf(ring.get(summary.kid)!.keyObject));
      }
    });
  }

  it('match the thumbprint jose computes from the published JWK itself', async () => {
    const ring = await KeyRing.open({ alg: 'ES256' });
    const { keys } = await ring.jwks();
    expect(keys.length).toBe(2);
    for (const jwk of keys) expect(jwk.kid).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
  });
});

describe('the published JWK Set', () => {
  for (const alg of ASYMMETRIC) {
    it(`holds only public ${alg} members, with kid, alg and use "sig"`, async () => {
      const ring = await KeyRing.open({ alg });
      const { keys } = await ring.jwks();
      expect(keys.map((k) => k.kid).sort()).toEqual(
        ring
          .list()
          .map((k) => k.kid)
          .sort(),
      );
      for (const jwk of keys) {
        for (const member of PRIVATE_MEMBERS) expect(jwk, `member ${member}`).not.toHaveProperty(member);
        expect(jwk).toMatchObject({ alg, use: 'sig' });
      }
    });
  }

  for (const alg of ASYMMETRIC) {
    it(`is built by publicJwk, which drops the private members of an ${alg} private key it is given`, async () => {
      const ring = await KeyRing.open({ alg });
      const jwk = await publicJwk(ring.signingKey().privateKey, alg, 'kid-1');
      for (const member of PRIVATE_MEMBERS) expect(jwk, `member ${member}`).not.toHaveProperty(member);
      expect(jwk).toMatchObject({ kid: 'kid-1', alg, use: 'sig' });
    });
  }

  it('is empty for a ring of HS256 secrets', async () => {
    const ring = await KeyRing.open({ alg: 'HS256' });
    expect(ring.list().length).toBe(2);
    expect((await ring.jwks()).keys).toEqual([]);
  });

  it('leaves out an imported HS256 secret and keeps the asymmetric keys', async () => {
    const ring = await KeyRing.open({ alg: 'EdDSA' });
    const secretKid = await ring.importJwk({ kty: 'oct', k: randomBytes(32).toString('base64url') }, 'next');
    const published = (await ring.jwks()).keys;
    expect(published.map((k) => k.kid)).not.toContain(secretKid);
    expect(published.length).toBe(2);
    expect(JSON.stringify(published)).not.toContain('"k"');
  });
});

describe('importing private JWKs', () => {
  for (const alg of ASYMMETRIC as readonly Exclude<Algorithm, 'HS256'>[]) {
    it(`imports an ${alg} private JWK whose tokens the ring then verifies`, async () => {
      const ring = await KeyRing.open({ alg: 'EdDSA' });
      const jwk = privateJwkOf(alg);
      const kid = await ring.importJwk(jwk, 'active');
      expect(kid).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
      expect(ring.signingKey()).toMatchObject({ kid, alg });
      expect((await ring.jwks()).keys.map((k) => k.kid)).toContain(kid);

      const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD });
      const verifier = new Verifier({ keys: ring, issuer: ISS, audience: AUD, revocation: 'none' });
      const { token } = issuer.issue({ sub: 'user-1' });
      const verified = verifier.verifySync(token);
      expect(verified.header).toEqual({ alg, kid, typ: 'at+jwt' });
      expect(verified.claims.sub).toBe('user-1');
    });
  }

  it('refuses a public JWK: a signing key needs its private part (ERR_KEY_INVALID)', async () => {
    const ring = await KeyRing.open();
    const { d: _d, ...publicOnly } = privateJwkOf('ES256');
    const err = await ring.importJwk(publicOnly).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RevocableError);
    expect((err as RevocableError).code).toBe('ERR_KEY_INVALID');
  });
});
