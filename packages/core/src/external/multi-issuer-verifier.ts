import { RevocableError } from '../errors.js';
import { DEFAULT_SIZE_LIMITS, parseCompact, type SizeLimits } from '../token/compact.js';
import type { VerifiedToken, Verifier } from '../verify/verifier.js';

/** One issuer a {@link MultiIssuerVerifier} routes to: a {@link TrustedIssuer}, or any verifier with its `iss`. */
export interface IssuerRoute {
  readonly issuer: string;
  verify(token: string): Promise<VerifiedToken>;
  verifySync(token: string): VerifiedToken;
}

/** A {@link Verifier} for one issuer (for instance Revocable's own), named by its `iss`. */
export interface IssuerVerifierPair {
  readonly issuer: string;
  readonly verifier: Verifier;
}

function isRoute(entry: IssuerRoute | IssuerVerifierPair): entry is IssuerRoute {
  return typeof (entry as IssuerRoute).verify === 'function';
}

/**
 * Verifies tokens from several issuers: it reads the token's `iss` without trusting it, only to pick
 * the configured issuer, and that issuer's verifier then checks everything (its own keys, `iss`,
 * `aud`, `typ` policy, revocation, and the lifetime bound of its revocation policy: each issuer's
 * verifier was made with a `revocation` check or `'none'`, so no route skips revocation by omission). A token naming an issuer that is not configured is refused with
 * `ERR_CLAIM_INVALID` (claim `iss`), before any key is looked up; a token naming issuer A but signed by
 * issuer B's key fails A's key lookup or signature check.
 *
 * @example
 * ```ts
 * const verifier = new MultiIssuerVerifier([entra, keycloak, { issuer: 'https://auth.example', verifier: own }]);
 * const { claims } = await verifier.verify(token);
 * ```
 */
export class MultiIssuerVerifier {
  readonly #routes = new Map<string, IssuerRoute>();
  readonly #limits: SizeLimits;

  /**
   * @param issuers one entry per `iss`; the same `iss` twice throws `ERR_CONFIG_INVALID`.
   * @param options `limits` for the unverified read of `iss` (default: core's size limits); give the
   *   largest limits any of the issuers' verifiers uses.
   */
  constructor(
    issuers: readonly (IssuerRoute | IssuerVerifierPair)[],
    options: { readonly limits?: Partial<SizeLimits> } = {},
  ) {
    if (!Array.isArray(issuers) || issuers.length === 0) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'At least one issuer is required.');
    }
    for (const entry of issuers) {
      if (typeof entry?.issuer !== 'string' || entry.issuer.length === 0) {
        throw new RevocableError('ERR_CONFIG_INVALID', 'Each issuer needs a non-empty "issuer".');
      }
      if (this.#routes.has(entry.issuer)) {
        throw new RevocableError('ERR_CONFIG_INVALID', 'The same issuer is configured twice.');
      }
      const route: IssuerRoute = isRoute(entry)
        ? entry
        : {
            issuer: entry.issuer,
            verify: (token) => entry.verifier.verify(token),
            verifySync: (token) => entry.verifier.verifySync(token),
          };
      this.#routes.set(entry.issuer, route);
    }
    this.#limits = { ...DEFAULT_SIZE_LIMITS, ...options.limits };
  }

  /** The configured issuers. */
  get issuers(): string[] {
    return [...this.#routes.keys()];
  }

  /**
   * Picks the configured issuer named by the token's (unverified) `iss`. Throws `ERR_TOKEN_MALFORMED`
   * and friends for unparseable tokens, `ERR_CLAIM_INVALID` (claim `iss`) for an unknown issuer.
   *
   * @example
   * ```ts
   * const route = verifier.routeOf(token); // route.issuer === 'https://example.eu.auth0.com/'
   * ```
   */
  routeOf(token: string): IssuerRoute {
    const { iss } = parseCompact(token, this.#limits).payload;
    const route = typeof iss === 'string' ? this.#routes.get(iss) : undefined;
    if (route === undefined) {
      throw new RevocableError('ERR_CLAIM_INVALID', 'The "iss" claim is not a configured issuer.', {
        claim: 'iss',
      });
    }
    return route;
  }

  /**
   * Verifies a token with the verifier of the issuer it names (may fetch that issuer's keys).
   *
   * @example
   * ```ts
   * const { claims } = await verifier.verify(token);
   * ```
   */
  verify(token: string): Promise<VerifiedToken> {
    try {
      return this.routeOf(token).verify(token);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Verifies a token with the keys already held, without I/O.
   *
   * @example
   * ```ts
   * const { claims } = verifier.verifySync(token);
   * ```
   */
  verifySync(token: string): VerifiedToken {
    return this.routeOf(token).verifySync(token);
  }
}
