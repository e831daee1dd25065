import { RevocableError } from '../errors.js';
import type { SigningKey } from '../keys/key-ring.js';
import { signWith } from '../keys/signing.js';
import { encodeBase64url } from '../token/base64url.js';
import type { StatusBits, StatusList } from './status-list.js';

/**
 * The `typ` of a Status List Token in JWT format.
 *
 * @example
 * ```ts
 * decodeProtectedHeader(token).typ === STATUS_LIST_JWT_TYPE; // true for a list we signed
 * ```
 */
export const STATUS_LIST_JWT_TYPE = 'statuslist+jwt';
/**
 * The media type a Status List Token in JWT format is requested and served as.
 *
 * @example
 * ```ts
 * reply.header('content-type', STATUS_LIST_JWT_MEDIA_TYPE).send(token);
 * ```
 */
export const STATUS_LIST_JWT_MEDIA_TYPE = 'application/statuslist+jwt';

/** The claims of a Status List Token in JWT format (draft-ietf-oauth-status-list §5.1). */
export interface StatusListTokenClaims {
  /** The URI the list is published at; Referenced Tokens name it in `status.status_list.uri`. */
  readonly sub: string;
  readonly iat: number;
  readonly exp?: number;
  /** Seconds a consumer may cache the token before it should fetch a fresh one. */
  readonly ttl?: number;
  readonly iss?: string;
  readonly status_list: {
    readonly bits: StatusBits;
    readonly lst: string;
    readonly aggregation_uri?: string;
  };
  readonly [claim: string]: unknown;
}

/** What to put in a Status List Token. */
export interface StatusListTokenRequest {
  /** The URI the token will be published at (`sub`): an absolute URI. */
  readonly uri: string;
  readonly list: StatusList;
  /** `exp - iat`, whole seconds from 1 to 31 days. Default 3,600. */
  readonly lifetimeSec?: number;
  /** `ttl`, whole seconds from 1 to `lifetimeSec`. Default 60 (or the lifetime, when shorter). */
  readonly ttlSec?: number;
  /** `iss`, when the consumers expect one. Omitted by default (the draft does not require it). */
  readonly issuer?: string;
  /** `status_list.aggregation_uri`: where the list of this issuer's lists is published. */
  readonly aggregationUri?: string;
}

/** A signed Status List Token and what it says. */
export interface SignedStatusListToken {
  readonly token: string;
  readonly claims: StatusListTokenClaims;
}

const MAX_LIFETIME_SEC = 31 * 86_400;

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function wholeSeconds(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw config(`${name} must be whole seconds from 1 to ${max}.`);
  }
  return value;
}

function absoluteUri(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || !URL.canParse(value)) {
    throw config(`${name} must be an absolute URI.`);
  }
  return value;
}

/**
 * Signs a Status List Token (`typ: statuslist+jwt`) with the ring's active key, the key its access
 * tokens are signed with, so a verifier that trusts those trusts the list: `sub` is the list's URI,
 * `iat` now (whole seconds), `exp` and `ttl` as asked, and `status_list` `{ bits, lst }` with the
 * optional `aggregation_uri`. Throws `ERR_CONFIG_INVALID` for a bad request.
 *
 * @example
 * ```ts
 * const list = new StatusList(1 << 20, 1);
 * list.set(idx, TOKEN_STATUS.INVALID);
 * const { token } = signStatusListToken(ring, { uri: 'https://auth.example/statuslists/1', list, ttlSec: 30 });
 * // serve `token` at that URI as application/statuslist+jwt
 * ```
 */
export function signStatusListToken(
  keys: { signingKey(): SigningKey },
  request: StatusListTokenRequest,
  nowMs: number = Date.now(),
): SignedStatusListToken {
  if (typeof keys?.signingKey !== 'function') throw config('keys must be a KeyRing.');
  const uri = absoluteUri(request?.uri, 'uri');
  if (typeof request.list?.encode !== 'function') throw config('list must be a StatusList.');
  const lifetime = wholeSeconds(request.lifetimeSec ?? 3600, MAX_LIFETIME_SEC, 'lifetimeSec');
  const ttl = wholeSeconds(request.ttlSec ?? Math.min(60, lifetime), lifetime, 'ttlSec');
  if (request.issuer !== undefined && (typeof request.issuer !== 'string' || request.issuer.length === 0)) {
    throw config('issuer must be a non-empty string.');
  }
  const aggregation =
    request.aggregationUri === undefined ? undefined : absoluteUri(request.aggregationUri, 'aggregationUri');
  const iat = Math.floor(nowMs / 1000);
  const claims: StatusListTokenClaims = {
    sub: uri,
    iat,
    exp: iat + lifetime,
    ttl,
    ...(request.issuer !== undefined && { iss: request.issuer }),
    status_list: {
      bits: request.list.bits,
      lst: request.list.encode(),
      ...(aggregation !== undefined && { aggregation_uri: aggregation }),
    },
  };
  const key = keys.signingKey();
  const input = `${encodeBase64url(JSON.stringify({ alg: key.alg, typ: STATUS_LIST_JWT_TYPE, kid: key.kid }))}.${encodeBase64url(JSON.stringify(claims))}`;
  return { token: `${input}.${signWith(key.alg, key.privateKey, input).toString('base64url')}`, claims };
}
