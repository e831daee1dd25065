import { bearerToken, type VerifiedToken } from '@revocable/core';
import {
  type Authenticator,
  type AuthFailure,
  createAuthenticator,
  type TokenVerifier,
} from '@revocable/core/fetch';
import type { PathAccess, PathRules } from './path-rules.js';

/** What the edge decides for one request. */
export type GateVerdict =
  /** A public path: no token needed, no identity given. */
  | { readonly kind: 'public' }
  /** A valid, unrevoked token with the scopes the path needs. */
  | { readonly kind: 'allowed'; readonly auth: VerifiedToken; readonly token: string }
  /** Refused: the RFC 6750 answer (401, 403) or 503 when the revocation state is stale. */
  | { readonly kind: 'refused'; readonly failure: AuthFailure }
  /** The path is not canonical: refused with 400 before any rule is consulted. */
  | { readonly kind: 'bad-path' };

/** Options of an {@link EdgeGate}. */
export interface EdgeGateOptions {
  readonly verifier: TokenVerifier;
  readonly rules: PathRules;
  /** The `realm` of the `WWW-Authenticate` challenges. Default `api`. */
  readonly realm?: string;
}

/**
 * The one decision every mode of the edge makes: which access the path needs (per-path rules), then
 * the core's authenticator for it (bearer parsing, the verifier with its replica, the scope check,
 * RFC 6750 refusals). One authenticator per distinct access, made at start.
 *
 * @example
 * ```ts
 * const gate = new EdgeGate({ verifier: connection.verifier, rules: new PathRules() });
 * const verdict = await gate.decide('GET', '/orders', request.headers.authorization);
 * ```
 */
export class EdgeGate {
  readonly #rules: PathRules;
  readonly #authenticators = new Map<PathAccess, Authenticator>();

  constructor(options: EdgeGateOptions) {
    this.#rules = options.rules;
    for (const access of options.rules.accesses()) {
      if (access.kind !== 'token' || this.#authenticators.has(access)) continue;
      this.#authenticators.set(
        access,
        createAuthenticator({
          verifier: options.verifier,
          scopes: access.scopes,
          ...(options.realm !== undefined && { realm: options.realm }),
        }),
      );
    }
  }

  /** The verdict for `method` on `target` (path and query) with this `Authorization` header value. */
  decide(
    method: string,
    target: string,
    authorization: string | readonly string[] | undefined,
  ): GateVerdict | Promise<GateVerdict> {
    const access = this.#rules.accessFor(method, target);
    if (access === undefined) return { kind: 'bad-path' };
    if (access.kind === 'public') return { kind: 'public' };
    const verdict = this.#authenticators.get(access)!(authorization);
    const settle = (v: Awaited<typeof verdict>): GateVerdict =>
      v.ok
        ? { kind: 'allowed', auth: v.auth, token: bearerToken(authorization) }
        : { kind: 'refused', failure: v };
    return verdict instanceof Promise ? verdict.then(settle) : settle(verdict);
  }
}
