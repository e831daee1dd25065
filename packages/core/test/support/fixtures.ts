import {
  AccessTokenIssuer,
  type Algorithm,
  KeyRing,
  type SigningKey,
  Verifier,
  type VerifierOptions,
} from '@revocable/core';

export const ISS = 'https://auth.example';
export const AUD = 'api';
/** A fixed instant on a whole second, so that our clock and jose's (whole seconds) agree exactly. */
export const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 0);
export const NOW = NOW_MS / 1000;
export const clock = (): number => NOW_MS;

/** A header as the issuer writes it. */
export interface TokenHeader {
  alg: string;
  typ: string;
  kid: string;
  [member: string]: unknown;
}

/**
 * One algorithm's ring, its active key, an issuer, and a strict verifier (tolerance 0, no revocation,
 * tokens of at most 600 s), all on `clock`.
 */
export interface Fixture {
  readonly alg: Algorithm;
  readonly ring: KeyRing;
  readonly key: SigningKey;
  readonly issuer: AccessTokenIssuer;
  readonly verifier: Verifier;
  /** A verifier on the same ring with some options changed. */
  verifierWith(options: Partial<VerifierOptions>): Verifier;
  /** The header the issuer writes, with `extra` members merged in. */
  header(extra?: Record<string, unknown>): TokenHeader;
}

/** Claims the verifier accepts at `NOW`, with `extra` merged in. */
export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISS, sub: 'user-1', aud: AUD, exp: NOW + 600, iat: NOW, jti: 'jti-1', ...extra };
}

/** `record` without the named members. */
export function without<T extends Record<string, unknown>>(
  record: T,
  ...names: string[]
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  for (const name of names) delete copy[name];
  return copy;
}

/** Builds a {@link Fixture} for `alg`. RSA key generation makes RS256 the slow one (~0.5 s). */
export async function fixtureFor(alg: Algorithm): Promise<Fixture> {
  const ring = await KeyRing.open({ alg, clock });
  const key = ring.signingKey();
  const base: VerifierOptions = {
    keys: ring,
    issuer: ISS,
    audience: AUD,
    clock,
    clockToleranceSec: 0,
    revocation: 'none',
  };
  return {
    alg,
    ring,
    key,
    issuer: new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, clock }),
    verifier: new Verifier(base),
    verifierWith: (options) => new Verifier({ ...base, ...options }),
    header: (extra = {}) => ({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...extra }),
  };
}
