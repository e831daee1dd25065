import {
  type AuthFailure,
  type AuthVerdict,
  createAuthenticator,
  type RevocableAuth,
} from './authenticate.js';
import type { RequireAuthOptions } from './options.js';

export {
  type Authenticator,
  type AuthFailure,
  type AuthFailureBody,
  type AuthSuccess,
  type AuthVerdict,
  authFailure,
  createAuthenticator,
  type RevocableAuth,
} from './authenticate.js';
export type { RequireAuthOptions, TokenVerifier } from './options.js';
export { type LogoutRevoker, type LogoutScope, type RevokeOptions, revoke } from './revoke.js';

/** The part of a fetch `Request` the authenticator reads. */
export interface FetchRequestLike {
  readonly headers: { get(name: string): string | null };
}

/** From a `Request` to a verdict. */
export type RequestAuthenticator = (request: FetchRequestLike) => Promise<AuthVerdict>;

/**
 * Creates an authenticator for fetch-style handlers (Cloudflare Workers, Deno, Bun, Next.js route
 * handlers, anything with a `Request`): each call reads the `Authorization` header and answers a
 * verdict, `{ ok: true, auth }` or `{ ok: false, status, headers, body }`. Options are checked now and
 * throw `ERR_CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const authenticate = requestAuthenticator({ verifier });
 * const verdict = await authenticate(request);
 * if (!verdict.ok) return failureResponse(verdict);
 * return Response.json({ hello: verdict.auth.claims.sub });
 * ```
 */
export function requestAuthenticator(options: RequireAuthOptions): RequestAuthenticator {
  const authenticate = createAuthenticator(options);
  return async (request) => authenticate(request.headers.get('authorization'));
}

/**
 * The `Response` for a refusal: its status, its `WWW-Authenticate` and `Cache-Control` headers, and
 * the JSON body `{ error: 'ERR_…', message }`.
 *
 * @example
 * ```ts
 * if (!verdict.ok) return failureResponse(verdict);
 * ```
 */
export function failureResponse(failure: AuthFailure): Response {
  return new Response(JSON.stringify(failure.body), {
    status: failure.status,
    headers: { ...failure.headers, 'Content-Type': 'application/json; charset=utf-8' },
  });
}

/**
 * Wraps a fetch handler so it runs only for a valid, unrevoked bearer token holding the required
 * scopes, with the verified token as its second argument; refusals are answered with
 * {@link failureResponse}. Options are checked now and throw `ERR_CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * export default {
 *   fetch: withAuth({ verifier, scopes: ['orders:read'] }, (request, auth) => Response.json(auth.claims)),
 * };
 * ```
 */
export function withAuth<R extends FetchRequestLike, A extends unknown[]>(
  options: RequireAuthOptions,
  handler: (request: R, auth: RevocableAuth, ...rest: A) => Response | Promise<Response>,
): (request: R, ...rest: A) => Promise<Response> {
  const authenticate = requestAuthenticator(options);
  return async (request, ...rest) => {
    const verdict = await authenticate(request);
    return verdict.ok ? handler(request, verdict.auth, ...rest) : failureResponse(verdict);
  };
}
