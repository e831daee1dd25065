import { RevocableError } from '../errors.js';
import type { VerifiedToken } from '../verify/verifier.js';
import type { AuthVerdict } from './authenticate.js';

/**
 * What middleware needs of a verifier: the async `verify`, and optionally `verifySync`, tried first so
 * that a request needs no promise when every key is known and the revocation state is fresh. A
 * {@link Verifier} has both.
 */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
  verifySync?(token: string): VerifiedToken;
}

/**
 * Options of every Revocable middleware (Express, Fastify, Hono, fetch, Koa, NestJS). Checked once,
 * when the middleware is created: a mistake throws `ERR_CONFIG_INVALID` then, never per request.
 */
export interface RequireAuthOptions {
  /** Verifies the bearer token: signature, claims and revocation. Use the async-capable {@link Verifier}. */
  readonly verifier: TokenVerifier;
  /** Scopes the token's `scope` claim must all hold; otherwise 403 `insufficient_scope`. Default none. */
  readonly scopes?: readonly string[];
  /** The `realm` of the `WWW-Authenticate` challenge. Default `api`. */
  readonly realm?: string;
  /**
   * Called once per request with its verdict, for metrics or logs (the verdict never holds token
   * text). It must not throw; if it does, the verdict stands. Default: none (no cost on the hot path).
   */
  readonly onVerdict?: (verdict: AuthVerdict) => void;
}

/** {@link RequireAuthOptions} after they have been checked, with defaults filled in. */
export interface AuthSettings {
  readonly verifier: TokenVerifier;
  readonly scopes: readonly string[];
  readonly realm: string;
  readonly onVerdict?: (verdict: AuthVerdict) => void;
}

// RFC 6749 §3.3 scope-token, and a realm that needs no escaping inside a quoted-string.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const REALM = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * Checks middleware options and fills in defaults. Throws `ERR_CONFIG_INVALID` for a missing
 * verifier, scopes that are not a list of RFC 6749 scope tokens, or a realm that is not printable
 * ASCII without `"` and `\`.
 *
 * @example
 * ```ts
 * const settings = authSettings({ verifier, scopes: ['orders:read'] }); // throws at start-up if wrong
 * ```
 */
export function authSettings(options: RequireAuthOptions): AuthSettings {
  if (options === null || typeof options !== 'object') {
    throw invalid('Middleware options must be an object with a verifier.');
  }
  const { verifier, scopes = [], realm = 'api', onVerdict } = options;
  if (verifier === null || typeof verifier !== 'object' || typeof verifier.verify !== 'function') {
    throw invalid('Middleware options need a verifier (a Verifier, or anything with verify(token)).');
  }
  if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || !SCOPE_TOKEN.test(s))) {
    throw invalid('scopes must be an array of scope tokens (no spaces, quotes or backslashes).');
  }
  if (typeof realm !== 'string' || !REALM.test(realm)) {
    throw invalid('realm must be 1 to 128 printable ASCII characters without quotes or backslashes.');
  }
  if (onVerdict !== undefined && typeof onVerdict !== 'function') {
    throw invalid('onVerdict must be a function (verdict) => void.');
  }
  return Object.freeze({
    verifier,
    scopes: Object.freeze([...scopes]),
    realm,
    ...(onVerdict !== undefined && { onVerdict }),
  });
}
