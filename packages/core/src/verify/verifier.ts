import { createHash } from 'node:crypto';
import { RevocableError, type RuleKind } from '../errors.js';
import { ALGORITHMS, type Algorithm, isAlgorithm } from '../keys/algorithms.js';
import { verifyWith } from '../keys/signing.js';
import type { KeyResolver } from '../keys/verification-key.js';
import type { RevocationCheck, TokenFacts } from '../revocation/check.js';
import {
  DEFAULT_SIZE_LIMITS,
  decodeJsonObject,
  decodeSignature,
  type SizeLimits,
  splitCompact,
} from '../token/compact.js';
import { type AccessTokenClaims, type ClaimPolicy, checkClaims, checkTimeClaims } from './claims.js';
import { deepFreeze } from './deep-freeze.js';
import { checkHeader, type HeaderPolicy, normalizeTyp, type VerifiedHeader } from './header.js';
import { VerifiedCache } from './verified-cache.js';

/** Options of a {@link Verifier}. Checked when the verifier is created; a mistake throws `ERR_CONFIG_INVALID`. */
export interface VerifierOptions {
  /** Where keys come from: a {@link KeyRing}, a {@link RemoteJwks}, or any {@link KeyResolver}. */
  readonly keys: KeyResolver;
  /** Accepted `iss` value(s), compared exactly. */
  readonly issuer: string | readonly string[];
  /** Accepted `aud` value(s); a token needs one of them. */
  readonly audience: string | readonly string[];
  /** Accepted algorithms. Default: all of EdDSA, ES256, RS256, HS256 (each key is still pinned to one). */
  readonly algorithms?: readonly Algorithm[];
  /**
   * Accepted `typ` values (`application/` prefix optional, case-insensitive); `null` accepts a missing
   * `typ`. Default `['at+jwt']` (RFC 9068). Providers that send `JWT` need it set explicitly.
   */
  readonly types?: readonly (string | null)[];
  /** Claims required besides `iss`, `sub`, `aud`, `exp`, `iat`. Default `['jti']`. */
  readonly requiredClaims?: readonly string[];
  /** The claim that identifies one token for `token` rules. Default `jti` (Entra ID: `uti`). */
  readonly tokenIdClaim?: string;
  /**
   * Seconds of clock skew tolerated on `exp`, `nbf`, `iat`. Default 5, at most 300. Keep it within the
   * revocation log's `clockSkewMs` (default 60 s): token and key rules are kept that long past `exp`,
   * and a token accepted longer than that past its `exp` would outlive its revocation.
   */
  readonly clockToleranceSec?: number;
  /**
   * The longest access-token lifetime (`exp - iat`) accepted, in seconds; a longer-lived token is
   * refused with `ERR_CLAIM_INVALID` (claim `exp`). Checked once per verified token, not per cache hit.
   *
   * Set it to the revocation log's max token lifetime (`policy.maxTokenLifetimeMs / 1000`, default 600)
   * and raise both together: session, subject and issuer cutoffs are forgotten that long after they are
   * made, so a token living longer would come back to life once its cutoff is gone. `iat` is always
   * required, so a token without it is refused whatever this says. Default: no bound (kept for
   * compatibility; a verifier with a `revocation` hook should set it).
   */
  readonly maxTokenLifetimeSec?: number;
  /** The revocation hook, called on every verify. */
  readonly revocation?: RevocationCheck;
  /** Verified-signature cache size, or `false` for none. Default 10,000 entries. */
  readonly cache?: { readonly maxEntries: number } | false;
  /** Size limits applied before any parsing. */
  readonly limits?: Partial<SizeLimits>;
  /** Clock in epoch milliseconds; for tests. */
  readonly clock?: () => number;
}

/**
 * A token that passed every check. Deeply frozen (claims down to nested arrays and objects, header,
 * facts): it is shared between callers when it came from the cache, so none can change it for another.
 */
export interface VerifiedToken {
  readonly header: VerifiedHeader;
  readonly claims: AccessTokenClaims;
  readonly facts: TokenFacts;
}

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function nonEmptyStrings(value: string | readonly string[], what: string): Set<string> {
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((v) => typeof v !== 'string' || v.length === 0)
  ) {
    throw config(`${what} must be a non-empty string or a non-empty array of them.`);
  }
  return new Set(list);
}

/**
 * Verifies access tokens locally, on node:crypto, in the order RFC 8725 asks for: size limits, strict
 * parsing, header policy, key by `kid` (pinned algorithm), signature, claims, then the revocation hook.
 *
 * @example
 * ```ts
 * const verifier = new Verifier({
 *   keys: ring,
 *   issuer: 'https://auth.example',
 *   audience: 'api',
 *   revocation: replica,
 *   maxTokenLifetimeSec: 600, // = the revocation log's policy.maxTokenLifetimeMs / 1000
 * });
 * const { claims } = verifier.verifySync(token); // throws RevocableError
 * ```
 */
export class Verifier {
  readonly #keys: KeyResolver;
  readonly #headerPolicy: HeaderPolicy;
  readonly #headers = new Map<string, VerifiedHeader>();
  readonly #claims: ClaimPolicy;
  readonly #limits: SizeLimits;
  readonly #revocation: RevocationCheck | undefined;
  readonly #cache: VerifiedCache<VerifiedToken> | undefined;
  readonly #tokenIdClaim: string;
  readonly #clock: () => number;
  readonly #tolerance: number;

  constructor(options: VerifierOptions) {
    if (!options || typeof options.keys?.get !== 'function') throw config('keys must be a KeyResolver.');
    const algorithms = options.algorithms ?? ALGORITHMS;
    if (algorithms.length === 0 || !algorithms.every(isAlgorithm))
      throw config('algorithms holds an unsupported value.');
    const types = options.types ?? ['at+jwt'];
    if (types.length === 0 || types.some((t) => t !== null && (typeof t !== 'string' || t.length === 0))) {
      throw config('types must list media types (or null for "no typ").');
    }
    const maxTokenLifetimeSec = options.maxTokenLifetimeSec;
    if (
      maxTokenLifetimeSec !== undefined &&
      !(
        typeof maxTokenLifetimeSec === 'number' &&
        Number.isFinite(maxTokenLifetimeSec) &&
        maxTokenLifetimeSec > 0
      )
    ) {
      throw config('maxTokenLifetimeSec must be a positive number of seconds.');
    }
    const tolerance = options.clockToleranceSec ?? 5;
    if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
      throw config('clockToleranceSec must be between 0 and 300.');
    }
    const maxEntries = options.cache === false ? 0 : (options.cache?.maxEntries ?? 10_000);
    if (!Number.isInteger(maxEntries) || maxEntries < 0)
      throw config('cache.maxEntries must be a whole number.');
    this.#limits = { ...DEFAULT_SIZE_LIMITS, ...options.limits };
    if (!(this.#limits.maxTokenLength > 0 && this.#limits.maxHeaderLength > 0))
      throw config('limits must be positive.');

    this.#keys = options.keys;
    this.#headerPolicy = {
      algorithms: new Set(algorithms),
      types: new Set(types.map((t) => (t === null ? null : normalizeTyp(t)))),
    };
    this.#tokenIdClaim = options.tokenIdClaim ?? 'jti';
    this.#claims = {
      issuers: nonEmptyStrings(options.issuer, 'issuer'),
      audiences: nonEmptyStrings(options.audience, 'audience'),
      required: [...(options.requiredClaims ?? ['jti'])],
      clockToleranceSec: tolerance,
      maxTokenLifetimeSec,
    };
    this.#tolerance = tolerance;
    this.#revocation = options.revocation;
    this.#cache = maxEntries > 0 ? new VerifiedCache(maxEntries) : undefined;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Verifies a token with the keys already known, without any I/O. Throws `RevocableError`.
   *
   * @example
   * ```ts
   * const { claims } = verifier.verifySync(token);
   * ```
   */
  verifySync(token: string): VerifiedToken {
    const result = this.#verified(token);
    this.#checkRevocation(result.facts);
    return result;
  }

  /**
   * Verifies a token; when its `kid` is unknown and the key source can refresh (a remote JWKS), asks it
   * once (subject to its cool-down) and tries again. When the revocation state is stale and the hook
   * can decide another way (`resolveStale`, the replica's `introspect` policy), it does.
   *
   * @example
   * ```ts
   * const { claims } = await verifier.verify(token);
   * ```
   */
  async verify(token: string): Promise<VerifiedToken> {
    let result: VerifiedToken;
    try {
      result = this.#verified(token);
    } catch (err) {
      if (!(err instanceof RevocableError) || err.code !== 'ERR_KEY_UNKNOWN' || !this.#keys.refresh)
        throw err;
      const { kid } = this.#header(splitCompact(token, this.#limits).header);
      if (!(await this.#keys.refresh(kid))) throw err;
      result = this.#verified(token);
    }
    try {
      this.#checkRevocation(result.facts);
    } catch (err) {
      const resolveStale = this.#revocation?.resolveStale;
      if (!(err instanceof RevocableError) || err.code !== 'ERR_REVOCATION_STALE' || !resolveStale) throw err;
      this.#throwIfRevoked(await resolveStale.call(this.#revocation, result.facts));
    }
    return result;
  }

  #verified(token: string): VerifiedToken {
    const nowSec = this.#clock() / 1000;
    const cache = this.#cache;
    if (cache !== undefined && typeof token === 'string') {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (!hit.key.removed && nowSec * 1000 < hit.key.verifyUntil) {
          try {
            checkTimeClaims(hit.result.claims, nowSec, this.#tolerance);
          } catch (err) {
            cache.delete(token);
            throw err;
          }
          return hit.result;
        }
        cache.delete(token);
      }
    }

    const segments = splitCompact(token, this.#limits);
    const payload = decodeJsonObject(segments.payload, 'payload');
    const header = this.#header(segments.header);
    const key = this.#keys.get(header.kid);
    if (key === undefined)
      throw new RevocableError('ERR_KEY_UNKNOWN', 'The token is signed with an unknown key.');
    if (key.alg !== header.alg) {
      throw new RevocableError(
        'ERR_ALG_NOT_ALLOWED',
        "The token's algorithm does not match its key's algorithm.",
      );
    }
    const signature = decodeSignature(segments.signature);
    if (!verifyWith(key.alg, key.keyObject, key.signatureLength, segments.signingInput, signature)) {
      throw new RevocableError('ERR_SIGNATURE_INVALID', 'The token signature is invalid.');
    }
    // Frozen to the last nested array once here, on a miss: a hit hands out the same frozen result.
    const claims = deepFreeze(checkClaims(payload, this.#claims, nowSec));
    const result: VerifiedToken = Object.freeze({
      header,
      claims,
      facts: Object.freeze(this.#factsOf(claims, header, segments.signingInput)),
    });
    cache?.set(token, { result, key });
    return result;
  }

  /** Drops every cached verification (e.g. after a key was removed by another process). */
  clearCache(): void {
    this.#cache?.clear();
  }

  /**
   * The checked header of a header segment. Tokens signed by one key share one header, so checked
   * headers of known keys are kept (at most 64, exact segment text as the key): a hit skips decoding
   * and checking. A kept header whose key later leaves the ring still fails the key lookup after it.
   */
  #header(segment: string): VerifiedHeader {
    const known = this.#headers.get(segment);
    if (known !== undefined) return known;
    const header = deepFreeze(checkHeader(decodeJsonObject(segment, 'header'), this.#headerPolicy));
    // Only headers naming a known key are kept: made-up kids cannot churn the cache.
    if (this.#keys.get(header.kid) !== undefined) {
      if (this.#headers.size >= 64) this.#headers.clear();
      this.#headers.set(segment, header);
    }
    return header;
  }

  #checkRevocation(facts: TokenFacts): void {
    if (this.#revocation !== undefined) this.#throwIfRevoked(this.#revocation.check(facts));
  }

  #throwIfRevoked(rule: RuleKind | undefined): void {
    if (rule !== undefined) {
      throw new RevocableError('ERR_TOKEN_REVOKED', `The token has been revoked by a ${rule} rule.`, {
        rule,
      });
    }
  }

  #factsOf(claims: AccessTokenClaims, header: VerifiedHeader, token: string): TokenFacts {
    const id = claims[this.#tokenIdClaim];
    return {
      tokenId:
        typeof id === 'string' && id.length > 0 ? id : createHash('sha256').update(token).digest('base64url'),
      iss: claims.iss,
      sub: claims.sub,
      sid: claims.sid,
      kid: header.kid,
      issuedAtMs: Math.round(claims.iat * 1000),
      expiresAtMs: Math.round(claims.exp * 1000),
    };
  }
}
