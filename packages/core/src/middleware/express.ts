import { type AuthFailure, createAuthenticator, type RevocableAuth } from './authenticate.js';
import type { RequireAuthOptions } from './options.js';

export type { AuthFailure, AuthVerdict, RevocableAuth } from './authenticate.js';
export type { RequireAuthOptions, TokenVerifier } from './options.js';
export { type LogoutRevoker, type LogoutScope, type RevokeOptions, revoke } from './revoke.js';

declare global {
  // Express's own hook for request properties (as Passport uses it): `req.auth` is typed wherever
  // `@types/express` is, and the declaration is inert where it is not.
  namespace Express {
    interface Request {
      /** Set by Revocable's `requireAuth` on routes it protects. */
      auth?: RevocableAuth;
    }
  }
}

/** The part of an Express (or Connect, or `node:http`) request the middleware reads and writes. */
export interface ExpressRequestLike {
  readonly headers: { readonly authorization?: string | undefined };
  auth?: RevocableAuth;
}

/** The part of an Express (or `node:http`) response the middleware writes a refusal with. */
export interface ExpressResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** An Express/Connect middleware. */
export type ExpressMiddleware = (
  req: ExpressRequestLike,
  res: ExpressResponseLike,
  next: (error?: unknown) => void,
) => Promise<void>;

function send(res: ExpressResponseLike, failure: AuthFailure): void {
  res.statusCode = failure.status;
  for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(failure.body));
}

/**
 * Express middleware that admits a request only with a valid, unrevoked bearer token holding the
 * required scopes, and puts it on `req.auth` (`req.auth.claims.sub`, …). Refusals are answered here:
 * 401 with an RFC 6750 `WWW-Authenticate` challenge and `{ error: 'ERR_…', message }`, 403
 * `insufficient_scope`, 503 when the revocation state is stale. Options are checked now and throw
 * `ERR_CONFIG_INVALID`. Works with Connect and plain `node:http` handlers too.
 *
 * @example
 * ```ts
 * import { requireAuth, revoke } from '@revocable/core/express';
 *
 * app.get('/me', requireAuth({ verifier }), (req, res) => res.json(req.auth!.claims));
 * app.get('/orders', requireAuth({ verifier, scopes: ['orders:read'] }), listOrders);
 * app.post('/logout', requireAuth({ verifier }), async (req, res) => {
 *   await revoke(revoker, req.auth);
 *   res.sendStatus(204);
 * });
 * ```
 */
export function requireAuth(options: RequireAuthOptions): ExpressMiddleware {
  const authenticate = createAuthenticator(options);
  return async (req, res, next) => {
    try {
      const verdict = await authenticate(req.headers.authorization);
      if (!verdict.ok) return send(res, verdict);
      req.auth = verdict.auth;
    } catch (error) {
      return next(error);
    }
    next();
  };
}
