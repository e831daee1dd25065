import { createAuthenticator, type RevocableAuth } from './authenticate.js';
import type { RequireAuthOptions } from './options.js';

export type { AuthFailure, AuthVerdict, RevocableAuth } from './authenticate.js';
export type { RequireAuthOptions, TokenVerifier } from './options.js';
export { type LogoutRevoker, type LogoutScope, type RevokeOptions, revoke } from './revoke.js';

/** The part of a Koa context the middleware reads and writes. */
export interface KoaContextLike {
  readonly headers: { readonly authorization?: string | undefined };
  state: { auth?: RevocableAuth };
  status: number;
  body: unknown;
  set(fields: Record<string, string>): void;
}

/** A Koa middleware. */
export type KoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>;

/**
 * Koa middleware that admits a request only with a valid, unrevoked bearer token holding the
 * required scopes, and puts it on `ctx.state.auth`. Refusals are answered here: 401 with an RFC 6750
 * `WWW-Authenticate` challenge and `{ error: 'ERR_…', message }`, 403 `insufficient_scope`, 503 for a
 * stale revocation state. Options are checked now and throw `ERR_CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * import { requireAuth, revoke } from '@revocable/core/koa';
 *
 * router.get('/me', requireAuth({ verifier }), (ctx) => {
 *   ctx.body = ctx.state.auth.claims;
 * });
 * router.post('/logout', requireAuth({ verifier }), async (ctx) => {
 *   await revoke(revoker, ctx.state.auth);
 *   ctx.status = 204;
 * });
 * ```
 */
export function requireAuth(options: RequireAuthOptions): KoaMiddleware {
  const authenticate = createAuthenticator(options);
  return async (ctx, next) => {
    const verdict = await authenticate(ctx.headers.authorization);
    if (!verdict.ok) {
      ctx.status = verdict.status;
      ctx.set(verdict.headers);
      ctx.body = verdict.body;
      return;
    }
    ctx.state.auth = verdict.auth;
    await next();
  };
}
