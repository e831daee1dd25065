import { createAuthenticator, type RevocableAuth } from './authenticate.js';
import { failureResponse } from './fetch.js';
import type { RequireAuthOptions } from './options.js';

export type { AuthFailure, AuthVerdict, RevocableAuth } from './authenticate.js';
export type { RequireAuthOptions, TokenVerifier } from './options.js';
export { type LogoutRevoker, type LogoutScope, type RevokeOptions, revoke } from './revoke.js';

/**
 * The context variables the middleware sets, for the app's `Env`:
 * `new Hono<{ Variables: RevocableVariables }>()` makes `c.get('auth')` typed.
 */
export interface RevocableVariables {
  auth: RevocableAuth;
}

/** The part of a Hono context the middleware reads and writes. */
export interface HonoContextLike {
  readonly req: { header(name: string): string | undefined };
  set(key: 'auth', value: RevocableAuth): void;
}

/** A Hono middleware. */
export type HonoMiddleware = (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | undefined>;

/**
 * Hono middleware that admits a request only with a valid, unrevoked bearer token holding the
 * required scopes, and sets it as `c.get('auth')`. Refusals are answered here: 401 with an RFC 6750
 * `WWW-Authenticate` challenge and `{ error: 'ERR_…', message }`, 403 `insufficient_scope`, 503 for a
 * stale revocation state. Options are checked now and throw `ERR_CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * import { requireAuth, revoke, type RevocableVariables } from '@revocable/core/hono';
 *
 * const app = new Hono<{ Variables: RevocableVariables }>();
 * app.get('/me', requireAuth({ verifier }), (c) => c.json(c.get('auth').claims));
 * app.post('/logout', requireAuth({ verifier }), async (c) => {
 *   await revoke(revoker, c.get('auth'));
 *   return c.body(null, 204);
 * });
 * ```
 */
export function requireAuth(options: RequireAuthOptions): HonoMiddleware {
  const authenticate = createAuthenticator(options);
  return async (c, next) => {
    const verdict = await authenticate(c.req.header('authorization'));
    if (!verdict.ok) return failureResponse(verdict);
    c.set('auth', verdict.auth);
    await next();
    return undefined;
  };
}
