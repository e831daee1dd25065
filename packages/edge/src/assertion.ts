import { randomUUID } from 'node:crypto';
import { grantedScopes, RevocableError, type VerifiedToken } from '@revocable/core';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** Options of an {@link AssertionSigner}. */
export interface AssertionSignerOptions {
  /** The assertions' `iss`: the edge's own URL, as the upstream reaches its JWKS. */
  readonly issuer: string;
  /** The assertions' `aud`: what the upstream expects (Spring: `…resourceserver.jwt.audiences`). */
  readonly audience: string;
  /** Longest lifetime of one assertion, seconds (never past the token's own `exp`). Default 60. */
  readonly lifetimeSec?: number;
  /** Signed assertions kept for reuse, per token. Default 10,000. */
  readonly cacheEntries?: number;
  /** Clock in epoch milliseconds; for tests. */
  readonly clock?: () => number;
}

interface CachedAssertion {
  readonly jwt: string;
  readonly renewAt: number;
}

// Claims copied from the verified token into the assertion, when present: its own name, and the name
// in the assertion (the token's `jti` is not the assertion's).
const COPIED = [
  ['sid', 'sid'],
  ['client_id', 'client_id'],
  ['jti', 'token_jti'],
] as const;

/**
 * Signs short-lived RS256 JWTs (`typ: JWT`) that tell an upstream who a verified token belongs to,
 * with a key made at start and published by {@link AssertionSigner.jwks}. RS256 because it is what a
 * stock JWT library (Spring Security's `jwk-set-uri` decoder among them) accepts without settings.
 * An assertion is only ever asked for after the token passed the verifier, revocations included: a
 * revoked token never gets one, cached or not.
 *
 * @example
 * ```ts
 * const signer = await AssertionSigner.create({ issuer: 'http://127.0.0.1:8181', audience: 'orders' });
 * const jwt = await signer.assertionFor(verdict.auth, token);
 * ```
 */
export class AssertionSigner {
  readonly #options: Required<Omit<AssertionSignerOptions, 'clock'>> & { clock: () => number };
  readonly #key: CryptoKey;
  readonly #jwk: JWK;
  readonly #cache = new Map<string, CachedAssertion>();

  private constructor(options: AssertionSignerOptions, key: CryptoKey, jwk: JWK) {
    this.#options = {
      lifetimeSec: 60,
      cacheEntries: 10_000,
      clock: Date.now,
      ...options,
    };
    this.#key = key;
    this.#jwk = jwk;
  }

  /**
   * Makes the signing key (RSA 2048) and checks the options: `ERR_CONFIG_INVALID` for an empty
   * issuer or audience, or a lifetime outside 1..3600 s.
   *
   * @example
   * ```ts
   * const signer = await AssertionSigner.create({ issuer, audience: 'orders-api', lifetimeSec: 30 });
   * ```
   */
  static async create(options: AssertionSignerOptions): Promise<AssertionSigner> {
    const { issuer, audience, lifetimeSec = 60 } = options;
    if (typeof issuer !== 'string' || issuer.length === 0)
      throw new RevocableError('ERR_CONFIG_INVALID', 'The assertion issuer must be a URL.');
    if (typeof audience !== 'string' || audience.length === 0)
      throw new RevocableError('ERR_CONFIG_INVALID', 'The assertion audience must be a non-empty string.');
    if (!Number.isSafeInteger(lifetimeSec) || lifetimeSec < 1 || lifetimeSec > 3600)
      throw new RevocableError('ERR_CONFIG_INVALID', 'The assertion lifetime must be 1 to 3600 seconds.');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new AssertionSigner(options, privateKey, { ...jwk, kid, alg: 'RS256', use: 'sig' });
  }

  /** The public key set the upstream verifies assertions with (`GET /_revocable/jwks.json`). */
  jwks(): { keys: JWK[] } {
    return { keys: [this.#jwk] };
  }

  /**
   * The assertion for a token that passed verification: reused while more than half its life is
   * left, else signed anew. Its `exp` is never past the token's.
   */
  async assertionFor(auth: VerifiedToken, token: string): Promise<string> {
    const now = this.#options.clock();
    const cached = this.#cache.get(token);
    if (cached !== undefined && cached.renewAt > now) return cached.jwt;
    const iat = Math.floor(now / 1000);
    const exp = Math.min(iat + this.#options.lifetimeSec, auth.claims.exp);
    const jwt = await this.#sign(auth, iat, exp);
    if (this.#cache.size >= this.#options.cacheEntries) this.#cache.clear();
    this.#cache.set(token, { jwt, renewAt: (iat + (exp - iat) / 2) * 1000 });
    return jwt;
  }

  #sign(auth: VerifiedToken, iat: number, exp: number): Promise<string> {
    const { claims } = auth;
    const payload: Record<string, unknown> = {
      scope: [...grantedScopes(claims)].join(' '),
      token_iss: claims.iss,
    };
    for (const [from, to] of COPIED) if (claims[from] !== undefined) payload[to] = claims[from];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.#jwk.kid! })
      .setIssuer(this.#options.issuer)
      .setAudience(this.#options.audience)
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.#key);
  }
}
