import { RevocableError } from '../errors.js';
import type { Algorithm } from '../keys/algorithms.js';
import { verifyWith } from '../keys/signing.js';
import type { KeyResolver } from '../keys/verification-key.js';
import { parseCompact, type SizeLimits } from '../token/compact.js';
import { checkHeader, type VerifiedHeader } from '../verify/header.js';

/**
 * The event member a logout token's `events` claim must carry (Back-Channel Logout 1.0 §2.4).
 *
 * @example
 * ```ts
 * const events = { [BACKCHANNEL_LOGOUT_EVENT]: {} }; // what an OP puts in a logout token
 * ```
 */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** The claims of a validated logout token; other members pass through. */
export interface LogoutTokenClaims {
  readonly iss: string;
  readonly aud: string | string[];
  readonly iat: number;
  readonly exp?: number;
  readonly jti: string;
  /** At least one of `sub` and `sid` is present. */
  readonly sub?: string;
  readonly sid?: string;
  readonly events: Readonly<Record<string, unknown>>;
  readonly [claim: string]: unknown;
}

/** How a logout token is judged. */
export interface LogoutTokenPolicy {
  readonly issuer: string;
  /** The RP's `client_id`(s): `aud` must contain one. */
  readonly audiences: ReadonlySet<string>;
  readonly algorithms: ReadonlySet<Algorithm>;
  /** Normalized `typ` values; `null` accepts a missing `typ`. */
  readonly types: ReadonlySet<string | null>;
  /** Oldest accepted `iat`, seconds before now. */
  readonly maxAgeSec: number;
  /** Refuse a logout token without `exp` (REQUIRED since Back-Channel Logout 1.0 final). Default `true`. */
  readonly requireExp?: boolean;
  readonly clockToleranceSec: number;
  readonly limits: SizeLimits;
}

const MAX_ID_LENGTH = 512;

function invalid(claim: string, message: string): RevocableError {
  return new RevocableError('ERR_CLAIM_INVALID', message, { claim });
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalId(payload: Record<string, unknown>, claim: 'sub' | 'sid'): string | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw invalid(
      claim,
      `The "${claim}" claim is not a non-empty string of at most ${MAX_ID_LENGTH} characters.`,
    );
  }
  return value;
}

async function keyFor(keys: KeyResolver, kid: string) {
  const known = keys.get(kid);
  if (known !== undefined || keys.refresh === undefined) return known;
  return (await keys.refresh(kid)) ? keys.get(kid) : undefined;
}

function checkLogoutClaims(
  payload: Record<string, unknown>,
  policy: LogoutTokenPolicy,
  nowSec: number,
): void {
  const { iss, aud, iat, exp, nbf, jti, events } = payload;
  const tolerance = policy.clockToleranceSec;
  if (iss !== policy.issuer) throw invalid('iss', 'The "iss" claim is not the expected issuer.');
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string')) {
    throw invalid('aud', 'The "aud" claim is missing or not a string or an array of strings.');
  }
  if (!audiences.some((a) => policy.audiences.has(a))) {
    throw invalid('aud', 'The "aud" claim does not name this client.');
  }
  if (!isNumericDate(iat)) throw invalid('iat', 'The "iat" claim is missing or not a number.');
  if (iat > nowSec + tolerance) {
    throw new RevocableError('ERR_TOKEN_NOT_YET_VALID', 'The logout token was issued in the future.', {
      claim: 'iat',
    });
  }
  if (nowSec - iat > policy.maxAgeSec + tolerance) {
    throw new RevocableError('ERR_TOKEN_EXPIRED', `The logout token is older than ${policy.maxAgeSec} s.`, {
      claim: 'iat',
    });
  }
  if (exp === undefined && policy.requireExp !== false) {
    throw invalid('exp', 'The "exp" claim is required in a logout token.');
  }
  if (exp !== undefined) {
    if (!isNumericDate(exp)) throw invalid('exp', 'The "exp" claim is not a number.');
    if (nowSec - tolerance >= exp) {
      throw new RevocableError('ERR_TOKEN_EXPIRED', 'The logout token has expired.', { claim: 'exp' });
    }
  }
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > nowSec + tolerance)) {
    throw new RevocableError('ERR_TOKEN_NOT_YET_VALID', 'The logout token is not valid yet.', {
      claim: 'nbf',
    });
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_ID_LENGTH) {
    throw invalid('jti', 'The "jti" claim is required: a non-empty string.');
  }
  if (!isObject(events) || !isObject(events[BACKCHANNEL_LOGOUT_EVENT])) {
    throw invalid('events', `The "events" claim must hold "${BACKCHANNEL_LOGOUT_EVENT}" as a JSON object.`);
  }
  const sub = optionalId(payload, 'sub');
  const sid = optionalId(payload, 'sid');
  if (sub === undefined && sid === undefined) {
    throw invalid('sub', 'A logout token must carry "sub", "sid" or both.');
  }
  if (payload['nonce'] !== undefined) {
    throw invalid('nonce', 'A logout token must not carry "nonce" (it would be an ID token).');
  }
}

/**
 * Validates an OIDC Back-Channel Logout 1.0 logout token (§2.6) completely, in RFC 8725 order: size
 * limits and strict parsing; the header (`alg` allowed and pinned to the key, `typ` per policy — by
 * default exactly `logout+jwt`, no `crit`, no key-carrying members); the key by `kid` from the
 * issuer's keys (one refresh, within its cool-down, on an unknown `kid`); the signature; then `iss`,
 * `aud` (the RP's client_id), `iat` (not in the future, not older than `maxAgeSec`), `exp` (present
 * unless `requireExp` is off, and not passed), `nbf` when present, `jti` present, `events` holding the back-channel logout member as a JSON object, `sub`
 * and/or `sid`, and no `nonce`. Replay protection is the caller's (see {@link BackchannelLogoutReceiver}).
 * Throws `RevocableError`.
 *
 * @example
 * ```ts
 * const { claims } = await verifyLogoutToken(token, keys, policy, Date.now());
 * ```
 */
export async function verifyLogoutToken(
  token: string,
  keys: KeyResolver,
  policy: LogoutTokenPolicy,
  nowMs: number,
): Promise<{ readonly header: VerifiedHeader; readonly claims: LogoutTokenClaims }> {
  const parsed = parseCompact(token, policy.limits);
  const header = checkHeader(parsed.header, { algorithms: policy.algorithms, types: policy.types });
  const key = await keyFor(keys, header.kid);
  if (key === undefined)
    throw new RevocableError('ERR_KEY_UNKNOWN', 'The logout token is signed with an unknown key.');
  if (key.removed || nowMs >= key.verifyUntil) {
    throw new RevocableError('ERR_KEY_UNKNOWN', 'The logout token is signed with a key no longer in use.');
  }
  if (key.alg !== header.alg) {
    throw new RevocableError(
      'ERR_ALG_NOT_ALLOWED',
      "The logout token's algorithm does not match its key's algorithm.",
    );
  }
  if (!verifyWith(key.alg, key.keyObject, key.signatureLength, parsed.signingInput, parsed.signature)) {
    throw new RevocableError('ERR_SIGNATURE_INVALID', 'The logout token signature is invalid.');
  }
  checkLogoutClaims(parsed.payload, policy, nowMs / 1000);
  return { header, claims: parsed.payload as LogoutTokenClaims };
}
