import { randomBytes } from 'node:crypto';
import { RevocableError } from '../errors.js';
import type { KeyRing } from '../keys/key-ring.js';
import { signWith } from '../keys/signing.js';
import { checkRevocationPolicy } from '../revocation/policy.js';
import type { RevocationPolicy } from '../revocation/validate.js';
import { encodeBase64url } from '../token/base64url.js';
import type { AccessTokenClaims } from '../verify/claims.js';

/** Claims a caller may not set through `claims`: they are Revocable's to decide. */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'client_id',
  'scope',
  'auth_time',
  'acr',
  'amr',
  'cnf',
  'act',
]);

/** A valid `aud`: a non-empty string, or a non-empty array of them. */
function isAudience(value: unknown): value is string | readonly string[] {
  if (typeof value === 'string') return value.length > 0;
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((entry) => typeof entry === 'string' && entry.length > 0)
  );
}

/** Refuses a value the verifier would refuse in the token, so nothing unverifiable is ever signed. */
function checkRequest(request: AccessTokenRequest): void {
  const strings = [
    ['sid', request.sid],
    ['client_id', request.clientId],
    ['scope', request.scope],
  ] as const;
  for (const [claim, value] of strings) {
    if (value !== undefined && typeof value !== 'string') {
      throw new RevocableError('ERR_CLAIM_INVALID', `The "${claim}" claim must be a string.`, { claim });
    }
  }
  if (request.audience !== undefined && !isAudience(request.audience)) {
    throw new RevocableError(
      'ERR_CLAIM_INVALID',
      'The audience must be a non-empty string or a non-empty array of them.',
      { claim: 'aud' },
    );
  }
  const extra: unknown = request.claims;
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) {
    throw new RevocableError('ERR_CLAIM_INVALID', 'claims must be an object of extra claims.');
  }
}

/**
 * The JSON text of the claims. A value JSON cannot hold (a BigInt, a cycle, a throwing `toJSON`) is
 * refused with `ERR_CLAIM_INVALID` naming the top-level claim that holds it; the claims are only walked
 * one by one on that failure, so a good request is serialized once.
 */
function claimsJson(claims: AccessTokenClaims): string {
  try {
    return JSON.stringify(claims);
  } catch (cause) {
    for (const [name, value] of Object.entries(claims)) {
      try {
        JSON.stringify(value);
      } catch (inner) {
        throw new RevocableError(
          'ERR_CLAIM_INVALID',
          `The claim "${name}" cannot be written as JSON (a BigInt, a circular reference or a failing toJSON).`,
          { claim: name },
          { cause: inner },
        );
      }
    }
    throw new RevocableError('ERR_CLAIM_INVALID', 'The claims cannot be written as JSON.', undefined, {
      cause,
    });
  }
}

const DEFAULT_CLIENT_ID = 'revocable';

/** Options of an {@link AccessTokenIssuer}. */
export interface AccessTokenIssuerOptions {
  readonly keys: KeyRing;
  /** The `iss` of every token. */
  readonly issuer: string;
  /** Default `aud`. */
  readonly audience: string | readonly string[];
  /**
   * The `client_id` of a token whose request names none: RFC 9068 requires the claim in every access
   * token, so one is always written. Default `revocable` (the application issuing for itself).
   */
  readonly clientId?: string;
  /**
   * The revocation policy of the tokens: they live `maxTokenLifetimeMs` (whole seconds, 1 s to 24 h)
   * unless a request asks for less. At most the ring's (so a retired key verifies every token it signed
   * until it expires): a longer one throws `ERR_CONFIG_INVALID` naming both. Default: the ring's
   * `policy`, which is also the log's and the verifiers' in a service built on one policy.
   */
  readonly policy?: RevocationPolicy;
  /**
   * @deprecated Use `policy` (the tokens then live `policy.maxTokenLifetimeMs`), or `lifetimeSec` on a
   * request for shorter tokens; removed in the next release. Until then: the default lifetime, whole
   * seconds, at most the policy's.
   */
  readonly lifetimeSec?: number;
  /** Clock in epoch milliseconds; for tests. */
  readonly clock?: () => number;
}

/** What to put in one access token. */
export interface AccessTokenRequest {
  readonly sub: string;
  readonly sid?: string;
  readonly clientId?: string;
  readonly scope?: string;
  readonly audience?: string | readonly string[];
  /** Lifetime in seconds, at most the issuer's. */
  readonly lifetimeSec?: number;
  /**
   * Extra claims; any registered claim name here is refused with `ERR_CLAIM_INVALID`, and so is a value
   * JSON cannot hold (BigInt, circular), naming the claim.
   */
  readonly claims?: Readonly<Record<string, unknown>>;
  /**
   * When the token counts as issued (epoch ms, the `iat`): at most the issuer's clock, and not more
   * than a minute before it. Default: now. A session service passes the moment a refresh was decided,
   * so a logout that ended the session after that moment also revokes the token signed for it.
   */
  readonly issuedAtMs?: number;
}

/** Oldest `issuedAtMs` accepted, relative to the issuer's clock. */
const MAX_BACKDATE_MS = 60_000;

/** A signed access token and what it says. */
export interface IssuedAccessToken {
  readonly token: string;
  readonly claims: AccessTokenClaims;
  /** Seconds until `exp`, for the OAuth `expires_in` field. */
  readonly expiresIn: number;
}

/**
 * Issues RFC 9068 JWT access tokens (`typ: at+jwt`) signed with the ring's active key.
 *
 * `iat` carries milliseconds (`1767225600.123`, a valid NumericDate per RFC 7519 §2) so revocation
 * cutoffs are exact within the same second; `exp` is a whole second.
 *
 * @example
 * ```ts
 * const ring = await KeyRing.open({ policy }); // the revocation log's policy
 * const issuer = new AccessTokenIssuer({ keys: ring, issuer: 'https://auth.example', audience: 'api' });
 * const { token, expiresIn } = issuer.issue({ sub: 'user-1', sid: 'sess-1', scope: 'read' }); // expiresIn: policy's
 * ```
 */
export class AccessTokenIssuer {
  readonly #options: AccessTokenIssuerOptions;
  readonly #policy: RevocationPolicy;
  readonly #lifetimeSec: number;
  readonly #clientId: string;
  readonly #clock: () => number;

  constructor(options: AccessTokenIssuerOptions) {
    if (!options || typeof options.keys?.signingKey !== 'function') {
      throw new RevocableError('ERR_CONFIG_INVALID', 'keys must be a KeyRing.');
    }
    const policy = issuerPolicyOf(options.policy, options.keys.policy);
    const lifetime = options.lifetimeSec ?? policy.maxTokenLifetimeMs / 1000;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > policy.maxTokenLifetimeMs / 1000) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        `lifetimeSec (${lifetime}) must be a whole number of seconds from 1 to the policy's maxTokenLifetimeMs (${policy.maxTokenLifetimeMs}) / 1000.`,
      );
    }
    if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'issuer must be a non-empty string.');
    }
    if (!isAudience(options.audience)) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        'audience must be a non-empty string or a non-empty array of them.',
      );
    }
    if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId === '')) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'clientId must be a non-empty string.');
    }
    this.#options = options;
    this.#clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.#policy = policy;
    this.#lifetimeSec = lifetime;
    this.#clock = options.clock ?? Date.now;
  }

  /** The longest lifetime a token from this issuer can have, in seconds. */
  get maxLifetimeSec(): number {
    return this.#lifetimeSec;
  }

  /**
   * The revocation policy its tokens are issued under (frozen): the ring's unless one was given.
   *
   * @example
   * ```ts
   * issuer.policy.maxTokenLifetimeMs === verifier.maxTokenLifetimeSec * 1000; // one policy
   * ```
   */
  get policy(): RevocationPolicy {
    return this.#policy;
  }

  /**
   * Signs one access token.
   *
   * @example
   * ```ts
   * const { token } = issuer.issue({ sub: 'user-1', claims: { tenant: 'acme' } });
   * ```
   */
  issue(request: AccessTokenRequest): IssuedAccessToken {
    if (typeof request?.sub !== 'string' || request.sub.length === 0) {
      throw new RevocableError('ERR_CLAIM_INVALID', 'sub must be a non-empty string.', { claim: 'sub' });
    }
    checkRequest(request);
    const lifetime = request.lifetimeSec ?? this.#lifetimeSec;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > this.#lifetimeSec) {
      throw new RevocableError(
        'ERR_CLAIM_INVALID',
        `The lifetime must be 1 to ${this.#lifetimeSec} seconds.`,
        {
          claim: 'exp',
        },
      );
    }
    for (const name of Object.keys(request.claims ?? {})) {
      if (REGISTERED_CLAIMS.has(name)) {
        throw new RevocableError(
          'ERR_CLAIM_INVALID',
          `The claim "${name}" is set by Revocable and cannot be given.`,
          {
            claim: name,
          },
        );
      }
    }
    const nowMs = issuedAt(request.issuedAtMs, this.#clock());
    const iat = nowMs / 1000;
    const audience = request.audience ?? this.#options.audience;
    const claims: AccessTokenClaims = {
      ...request.claims,
      iss: this.#options.issuer,
      sub: request.sub,
      aud: typeof audience === 'string' ? audience : [...audience],
      exp: Math.floor(iat) + lifetime,
      iat,
      jti: randomBytes(16).toString('base64url'),
      ...(request.sid !== undefined && { sid: request.sid }),
      client_id: request.clientId ?? this.#clientId,
      ...(request.scope !== undefined && { scope: request.scope }),
    };
    const key = this.#options.keys.signingKey();
    const input = `${encodeBase64url(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid }))}.${encodeBase64url(claimsJson(claims))}`;
    const token = `${input}.${signWith(key.alg, key.privateKey, input).toString('base64url')}`;
    return { token, claims, expiresIn: claims.exp - Math.floor(iat) };
  }
}

/**
 * The issuer's policy: the ring's by default; a given one is checked, in whole seconds from 1 s to
 * 24 h, and no longer than the ring's.
 */
function issuerPolicyOf(given: RevocationPolicy | undefined, ring: RevocationPolicy): RevocationPolicy {
  if (given === undefined) {
    if (ring.maxTokenLifetimeMs % 1000 !== 0 || ring.maxTokenLifetimeMs > 86_400_000) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        `The key ring's policy.maxTokenLifetimeMs (${ring.maxTokenLifetimeMs}) is not a whole number of seconds up to 86400: give the issuer a policy of its own.`,
      );
    }
    return ring;
  }
  const policy = checkRevocationPolicy(given);
  if (policy.maxTokenLifetimeMs % 1000 !== 0 || policy.maxTokenLifetimeMs > 86_400_000) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `policy.maxTokenLifetimeMs (${policy.maxTokenLifetimeMs}) must be whole seconds from 1 s to 86400 s: exp is a whole second.`,
    );
  }
  if (policy.maxTokenLifetimeMs > ring.maxTokenLifetimeMs) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `policy.maxTokenLifetimeMs (${policy.maxTokenLifetimeMs}) is longer than the key ring's (${ring.maxTokenLifetimeMs}): a retired key would stop verifying before its last token expires. Open the ring with the same policy.`,
    );
  }
  return policy;
}

function issuedAt(requested: number | undefined, now: number): number {
  if (requested === undefined) return now;
  if (!Number.isFinite(requested) || requested > now || requested < now - MAX_BACKDATE_MS) {
    throw new RevocableError(
      'ERR_CLAIM_INVALID',
      `issuedAtMs must be within the last ${MAX_BACKDATE_MS / 1000} seconds of the issuer's clock.`,
      { claim: 'iat' },
    );
  }
  return requested;
}
