import { RevocableError } from '../errors.js';
import { ALGORITHMS, type Algorithm, isAlgorithm } from '../keys/algorithms.js';
import { verifyWith } from '../keys/signing.js';
import type { KeyResolver, VerificationKey } from '../keys/verification-key.js';
import { parseCompact } from '../token/compact.js';
import { checkHeader, type VerifiedHeader } from '../verify/header.js';
import { DEFAULT_STATUS_LIST_LIMITS } from './lst-codec.js';
import { STATUS_LIST_JWT_TYPE, type StatusListTokenClaims } from './sign-token.js';
import { StatusList } from './status-list.js';

/** How a Status List Token is judged. */
export interface StatusListTokenPolicy {
  /** The status issuer's keys: usually the ones its access tokens verify with. */
  readonly keys: KeyResolver;
  /** The URI the token was fetched from: its `sub` must be exactly this. */
  readonly uri: string;
  /** When set, the token must carry this `iss`. Default: `iss` is not required (the draft's rule). */
  readonly issuer?: string;
  /** Accepted algorithms. Default: all of EdDSA, ES256, RS256, HS256 (each key is still pinned to one). */
  readonly algorithms?: readonly Algorithm[];
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`, 0 to 300. Default 5. */
  readonly clockToleranceSec?: number;
  /** Longest accepted token, in characters. Default 4 MiB. */
  readonly maxTokenLength?: number;
  /** Most bytes the decompressed list may hold. Default 8 MiB. */
  readonly maxListBytes?: number;
}

/** A Status List Token that passed every check, and its list. */
export interface VerifiedStatusListToken {
  readonly header: VerifiedHeader;
  readonly claims: StatusListTokenClaims;
  readonly list: StatusList;
}

const DEFAULT_MAX_TOKEN_LENGTH = 4 * 1024 * 1024;

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function invalid(claim: string, message: string): RevocableError {
  return new RevocableError('ERR_CLAIM_INVALID', message, { claim });
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

async function keyFor(keys: KeyResolver, kid: string): Promise<VerificationKey | undefined> {
  const known = keys.get(kid);
  if (known !== undefined || keys.refresh === undefined) return known;
  return (await keys.refresh(kid)) ? keys.get(kid) : undefined;
}

function checkTimes(payload: Record<string, unknown>, nowSec: number, tolerance: number): void {
  const { iat, exp, nbf } = payload;
  if (!isNumericDate(iat)) throw invalid('iat', 'The status list token has no numeric "iat".');
  if (iat > nowSec + tolerance) {
    throw new RevocableError('ERR_TOKEN_NOT_YET_VALID', 'The status list token was issued in the future.', {
      claim: 'iat',
    });
  }
  if (exp !== undefined) {
    if (!isNumericDate(exp)) throw invalid('exp', 'The status list token\'s "exp" is not a number.');
    if (nowSec - tolerance >= exp) {
      throw new RevocableError('ERR_TOKEN_EXPIRED', 'The status list token has expired.', { claim: 'exp' });
    }
  }
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > nowSec + tolerance)) {
    throw new RevocableError('ERR_TOKEN_NOT_YET_VALID', 'The status list token is not valid yet.', {
      claim: 'nbf',
    });
  }
}

function checkStatusListClaims(payload: Record<string, unknown>, policy: StatusListTokenPolicy): void {
  if (payload['sub'] !== policy.uri) {
    throw invalid('sub', 'The status list token\'s "sub" is not the URI it was fetched from.');
  }
  if (policy.issuer !== undefined && payload['iss'] !== policy.issuer) {
    throw invalid('iss', 'The status list token\'s "iss" is not the expected issuer.');
  }
  const ttl = payload['ttl'];
  if (ttl !== undefined && !(isNumericDate(ttl) && ttl > 0)) {
    throw invalid('ttl', 'The status list token\'s "ttl" is not a positive number.');
  }
  const statusList = payload['status_list'];
  if (typeof statusList !== 'object' || statusList === null || Array.isArray(statusList)) {
    throw new RevocableError('ERR_STATUS_LIST_INVALID', 'The status list token has no "status_list" object.');
  }
  const aggregation = (statusList as Record<string, unknown>)['aggregation_uri'];
  if (aggregation !== undefined && (typeof aggregation !== 'string' || !URL.canParse(aggregation))) {
    throw new RevocableError(
      'ERR_STATUS_LIST_INVALID',
      'The status list "aggregation_uri" is not an absolute URI.',
    );
  }
}

/**
 * Validates a Status List Token in JWT format (draft-ietf-oauth-status-list §5.1, §8.3) completely, in
 * RFC 8725 order: size limit and strict parsing; the header (`typ` exactly `statuslist+jwt`, `alg`
 * allowed and pinned to the key, no `crit`, no key-carrying members); the key by `kid` (one refresh,
 * within its cool-down, on an unknown `kid`); the signature; then `sub` equal to the URI it was
 * fetched from, `iss` when a policy names one, `iat` present and not in the future, `exp` not passed,
 * `nbf`, `ttl` positive; and last the `status_list` claim, decoded within the size limit.
 *
 * Throws `RevocableError`: the JWT codes for the token (`ERR_SIGNATURE_INVALID`, `ERR_TYP_INVALID`,
 * `ERR_TOKEN_EXPIRED`, `ERR_CLAIM_INVALID` naming the claim, …), `ERR_STATUS_LIST_INVALID` for the
 * `status_list` claim, `ERR_JWKS_UNAVAILABLE` when remote keys cannot be fetched.
 *
 * @example
 * ```ts
 * const { list, claims } = await verifyStatusListToken(text, { keys: jwks, uri });
 * list.get(idx); // 0: valid
 * ```
 */
export async function verifyStatusListToken(
  token: string,
  policy: StatusListTokenPolicy,
  nowMs: number = Date.now(),
): Promise<VerifiedStatusListToken> {
  if (typeof policy?.keys?.get !== 'function') throw config('keys must be a KeyResolver.');
  const algorithms = policy.algorithms ?? ALGORITHMS;
  if (algorithms.length === 0 || !algorithms.every(isAlgorithm))
    throw config('algorithms holds an unsupported value.');
  const tolerance = policy.clockToleranceSec ?? 5;
  if (!(Number.isFinite(tolerance) && tolerance >= 0 && tolerance <= 300)) {
    throw config('clockToleranceSec must be between 0 and 300.');
  }
  const maxTokenLength = policy.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  const parsed = parseCompact(token, { maxTokenLength, maxHeaderLength: 1024 });
  const header = checkHeader(parsed.header, {
    algorithms: new Set(algorithms),
    types: new Set([STATUS_LIST_JWT_TYPE]),
  });
  const key = await keyFor(policy.keys, header.kid);
  if (key === undefined) {
    throw new RevocableError('ERR_KEY_UNKNOWN', 'The status list token is signed with an unknown key.');
  }
  if (key.removed || nowMs >= key.verifyUntil) {
    throw new RevocableError(
      'ERR_KEY_UNKNOWN',
      'The status list token is signed with a key no longer in use.',
    );
  }
  if (key.alg !== header.alg) {
    throw new RevocableError(
      'ERR_ALG_NOT_ALLOWED',
      "The status list token's algorithm does not match its key's.",
    );
  }
  if (!verifyWith(key.alg, key.keyObject, key.signatureLength, parsed.signingInput, parsed.signature)) {
    throw new RevocableError('ERR_SIGNATURE_INVALID', 'The status list token signature is invalid.');
  }
  const payload = parsed.payload;
  checkStatusListClaims(payload, policy);
  checkTimes(payload, nowMs / 1000, tolerance);
  const claim = payload['status_list'] as Record<string, unknown>;
  const list = StatusList.decode(claim['lst'], claim['bits'], {
    maxBytes: policy.maxListBytes ?? DEFAULT_STATUS_LIST_LIMITS.maxBytes,
  });
  return { header, claims: payload as unknown as StatusListTokenClaims, list };
}
