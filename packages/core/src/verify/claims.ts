import { RevocableError } from '../errors.js';

/** The claims of an RFC 9068 access token as Revocable reads them; other members pass through. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly nbf?: number;
  readonly jti?: string;
  readonly sid?: string;
  readonly client_id?: string;
  readonly scope?: string;
  readonly [claim: string]: unknown;
}

/** How claims are judged after the signature has been checked. */
export interface ClaimPolicy {
  readonly issuers: ReadonlySet<string>;
  /** Accepted audiences; a token matches when any of its audiences is here. */
  readonly audiences: ReadonlySet<string>;
  /** Claims that must be present besides `iss`, `sub`, `aud`, `exp` and `iat`, which always are. */
  readonly required: readonly string[];
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
  readonly clockToleranceSec: number;
  /** Longest accepted `exp - iat`, in seconds (from the revocation policy: there is always one). */
  readonly maxTokenLifetimeSec: number;
}

function invalid(claim: string, message: string): RevocableError {
  return new RevocableError('ERR_CLAIM_INVALID', message, { claim });
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

const STRING_CLAIMS = ['jti', 'sid', 'client_id', 'scope'] as const;

/**
 * Checks `exp`, `nbf` and `iat` against `nowSec`. `exp == now` is expired (RFC 7519 §4.1.4: "on or
 * after"). Run on every verify, cached or not.
 */
export function checkTimeClaims(claims: AccessTokenClaims, nowSec: number, toleranceSec: number): void {
  if (nowSec - toleranceSec >= claims.exp) {
    throw new RevocableError('ERR_TOKEN_EXPIRED', 'The token has expired.', { claim: 'exp' });
  }
  if (claims.nbf !== undefined && claims.nbf > nowSec + toleranceSec) {
    throw new RevocableError('ERR_TOKEN_NOT_YET_VALID', 'The token is not valid yet.', { claim: 'nbf' });
  }
  if (claims.iat > nowSec + toleranceSec) {
    throw new RevocableError('ERR_TOKEN_NOT_YET_VALID', 'The token was issued in the future.', {
      claim: 'iat',
    });
  }
}

/**
 * Checks the claims of a token whose signature is valid, in order: types of `exp`/`nbf`/`iat`, the
 * lifetime `exp - iat`, the times, then `iss`, `sub`, `aud`, the types of the other registered claims and the required set.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  policy: ClaimPolicy,
  nowSec: number,
): AccessTokenClaims {
  const { iss, sub, aud, exp, iat, nbf } = payload;
  if (!isNumericDate(exp)) throw invalid('exp', 'The "exp" claim is missing or not a number.');
  if (!isNumericDate(iat)) throw invalid('iat', 'The "iat" claim is missing or not a number.');
  if (nbf !== undefined && !isNumericDate(nbf)) throw invalid('nbf', 'The "nbf" claim is not a number.');
  const maxLifetime = policy.maxTokenLifetimeSec;
  if (exp - iat > maxLifetime) {
    throw invalid(
      'exp',
      `The token lives longer than the ${maxLifetime} s allowed (the revocation policy's lifetime, or maxTokenLifetimeSec).`,
    );
  }
  const claims = payload as AccessTokenClaims;
  checkTimeClaims(claims, nowSec, policy.clockToleranceSec);
  if (typeof iss !== 'string' || !policy.issuers.has(iss))
    throw invalid('iss', 'The "iss" claim is not an accepted issuer.');
  if (typeof sub !== 'string' || sub.length === 0)
    throw invalid('sub', 'The "sub" claim is missing or not a string.');
  if (typeof aud === 'string') {
    if (!policy.audiences.has(aud)) throw invalid('aud', 'The "aud" claim is not an accepted audience.');
  } else if (Array.isArray(aud) && aud.length > 0) {
    let matched = false;
    for (const entry of aud) {
      if (typeof entry !== 'string')
        throw invalid('aud', 'The "aud" claim holds a value that is not a string.');
      if (policy.audiences.has(entry)) matched = true;
    }
    if (!matched) throw invalid('aud', 'The "aud" claim is not an accepted audience.');
  } else {
    throw invalid('aud', 'The "aud" claim is missing or not a string or an array of strings.');
  }
  for (const claim of STRING_CLAIMS) {
    const value = payload[claim];
    if (value !== undefined && typeof value !== 'string')
      throw invalid(claim, `The "${claim}" claim is not a string.`);
  }
  // Own members only: `constructor`, `toString`… are inherited by every object and prove nothing.
  for (const claim of policy.required) {
    if (!Object.hasOwn(payload, claim)) throw invalid(claim, `The "${claim}" claim is required.`);
  }
  return claims;
}
