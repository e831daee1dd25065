import { createHash } from 'node:crypto';
import { RevocableError, type RuleKind } from '../errors.js';
import { ALGORITHMS, type Algorithm, isAlgorithm } from '../keys/algorithms.js';
import { verifyWith } from '../keys/signing.js';
import type { KeyResolver } from '../keys/verification-key.js';
import type { RevocationCheck, TokenFacts } from '../revocation/check.js';
import { checkRevocationPolicy } from '../revocation/policy.js';
import { DEFAULT_REVOCATION_POLICY, lifetimeOf, type RevocationPolicy } from '../revocation/validate.js';
import { statusListReferenceOf } from '../status-list/reference.js';
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
   * Seconds of clock skew tolerated on `exp`, `nbf`, `iat`: at most the revocation policy's
   * `clockSkewMs` (rules are kept that long past the last moment they can match, so a token accepted
   * longer past its `exp` would outlive its revocation) and at most 300. A larger value throws
   * `ERR_CONFIG_INVALID` naming both. Default 5, or the policy's margin when that is smaller.
   */
  readonly clockToleranceSec?: number;
  /**
   * The longest access-token lifetime (`exp - iat`) accepted, in seconds; a longer-lived token is
   * refused with `ERR_CLAIM_INVALID` (claim `exp`). Checked once per verified token, not per cache hit.
   *
   * Default: the revocation policy's `maxTokenLifetimeMs / 1000`. Session, subject and issuer cutoffs
   * are forgotten that long after they are made, so a token living longer would come back to life: a
   * larger value throws `ERR_CONFIG_INVALID` naming both; a smaller one is a tighter bound. With
   * `revocation: 'none'` any positive value is taken, and the default is 600 s
   * ({@link DEFAULT_REVOCATION_POLICY}). `iat` is always required, so a token without it is refused.
   */
  readonly maxTokenLifetimeSec?: number;
  /**
   * Required. The revocation hook, called on every verify (usually a {@link Replica}); the verifier
   * takes its lifetime bound and largest clock tolerance from its `policy`. `'none'` verifies without
   * revocation, and says so: a verifier never skips revocation by omission.
   */
  readonly revocation: RevocationCheck | 'none';
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

/** What a verifier takes from its revocation options, checked. */
interface RevocationBounds {
  readonly revocation: RevocationCheck | undefined;
  readonly policy: RevocationPolicy | undefined;
  readonly maxTokenLifetimeSec: number;
  readonly tolerance: number;
}

/**
 * The revocation check, its policy, and the lifetime bound and clock tolerance that policy allows:
 * throws `ERR_CONFIG_INVALID` for a missing revocation, a bad policy, or a bound or tolerance beyond
 * it. Internal (also run by `trustIssuer` before any request).
 */
export function revocationBounds(
  options: Pick<VerifierOptions, 'issuer' | 'revocation' | 'maxTokenLifetimeSec' | 'clockToleranceSec'>,
): RevocationBounds {
  const { revocation, policy } = revocationOf(options.revocation);
  return { revocation, policy, ...boundsOf(options, policy) };
}

/** The revocation check and its checked policy; `'none'` is the only way to have neither. */
function revocationOf(value: RevocationCheck | 'none' | undefined): {
  revocation: RevocationCheck | undefined;
  policy: RevocationPolicy | undefined;
} {
  if (value === 'none') return { revocation: undefined, policy: undefined };
  if (value === undefined) {
    throw config(
      "revocation is missing: pass a Replica (or any RevocationCheck) to check revocations, or 'none' to verify without them.",
    );
  }
  if (typeof value !== 'object' || value === null || typeof value.check !== 'function') {
    throw config("revocation must be a RevocationCheck (e.g. a Replica) or 'none'.");
  }
  return { revocation: value, policy: checkRevocationPolicy(value.policy, 'revocation.policy') };
}

/**
 * The lifetime bound and clock tolerance: the policy's, or smaller explicit ones. Without a policy
 * (`'none'`), the explicit bound or the default policy's, and a tolerance of at most 300 s.
 */
function boundsOf(
  options: Pick<VerifierOptions, 'issuer' | 'maxTokenLifetimeSec' | 'clockToleranceSec'>,
  policy: RevocationPolicy | undefined,
): { maxTokenLifetimeSec: number; tolerance: number } {
  const explicit = options.maxTokenLifetimeSec;
  if (
    explicit !== undefined &&
    !(typeof explicit === 'number' && Number.isFinite(explicit) && explicit > 0)
  ) {
    throw config('maxTokenLifetimeSec must be a positive number of seconds.');
  }
  // The policy's lifetime for this verifier's issuer(s): a per-issuer entry, or the default.
  const issuers = typeof options.issuer === 'string' ? [options.issuer] : [...(options.issuer ?? [])];
  const policyLifetimeMs =
    policy === undefined
      ? DEFAULT_REVOCATION_POLICY.maxTokenLifetimeMs
      : Math.max(...issuers.map((iss) => lifetimeOf(policy, iss)), 0) || policy.maxTokenLifetimeMs;
  const policyLifetimeSec = policyLifetimeMs / 1000;
  if (policy !== undefined && explicit !== undefined && explicit > policyLifetimeSec) {
    throw config(
      `maxTokenLifetimeSec (${explicit}) is longer than the revocation policy's lifetime for this issuer (${policyLifetimeMs} ms): its cutoffs would be forgotten while such a token is still accepted. Raise the log's and the replica's policy instead (maxTokenLifetimeMs, or issuers[iss].maxTokenLifetimeMs).`,
    );
  }
  const marginSec = policy === undefined ? 300 : Math.min(300, policy.clockSkewMs / 1000);
  const tolerance = options.clockToleranceSec ?? Math.min(5, marginSec);
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300) {
    throw config('clockToleranceSec must be between 0 and 300.');
  }
  if (policy !== undefined && tolerance > marginSec) {
    throw config(
      `clockToleranceSec (${tolerance}) is beyond the revocation policy's clockSkewMs (${policy.clockSkewMs}): a revoked token could be accepted after its rule is forgotten.`,
    );
  }
  return { maxTokenLifetimeSec: explicit ?? policyLifetimeSec, tolerance };
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
 *   revocation: replica, // lifetime bound and clock tolerance: from replica.policy
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
  readonly #maxTokenLifetimeSec: number;
  readonly #policy: RevocationPolicy | undefined;

  constructor(options: VerifierOptions) {
    if (!options || typeof options.keys?.get !== 'function') throw config('keys must be a KeyResolver.');
    const algorithms = options.algorithms ?? ALGORITHMS;
    if (algorithms.length === 0 || !algorithms.every(isAlgorithm))
      throw config('algorithms holds an unsupported value.');
    const types = options.types ?? ['at+jwt'];
    if (types.length === 0 || types.some((t) => t !== null && (typeof t !== 'string' || t.length === 0))) {
      throw config('types must list media types (or null for "no typ").');
    }
    const { revocation, policy, maxTokenLifetimeSec, tolerance } = revocationBounds(options);
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
    this.#maxTokenLifetimeSec = maxTokenLifetimeSec;
    this.#policy = policy;
    this.#revocation = revocation;
    this.#cache = maxEntries > 0 ? new VerifiedCache(maxEntries) : undefined;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * The longest lifetime (`exp - iat`, seconds) this verifier accepts: its revocation policy's, or the
   * smaller `maxTokenLifetimeSec` it was given.
   *
   * @example
   * ```ts
   * verifier.maxTokenLifetimeSec; // 600
   * ```
   */
  get maxTokenLifetimeSec(): number {
    return this.#maxTokenLifetimeSec;
  }

  /**
   * The clock tolerance on `exp`, `nbf` and `iat`, seconds: never beyond the policy's `clockSkewMs`.
   *
   * @example
   * ```ts
   * verifier.clockToleranceSec; // 5
   * ```
   */
  get clockToleranceSec(): number {
    return this.#tolerance;
  }

  /**
   * The revocation check's policy, read when the verifier was made; `undefined` with `revocation: 'none'`.
   *
   * @example
   * ```ts
   * verifier.policy === replica.policy; // true
   * ```
   */
  get policy(): RevocationPolicy | undefined {
    return this.#policy;
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
      // Read once per verified token (a cache hit reuses the facts): a token without `status` pays one lookup.
      statusList: claims['status'] === undefined ? undefined : statusListReferenceOf(claims),
    };
  }
}
