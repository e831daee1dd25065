// Types only (erased from the JavaScript): the augmentation below needs the module in the program.
import type {} from 'fastify';
import { createAuthenticator, type RevocableAuth } from './authenticate.js';
import type { RequireAuthOptions } from './options.js';

export type { Authenticator, AuthFailure, AuthVerdict, RevocableAuth } from './authenticate.js';
export { createAuthenticator } from './authenticate.js';
export type { RequireAuthOptions, TokenVerifier } from './options.js';
export { type LogoutRevoker, type LogoutScope, type RevokeOptions, revoke } from './revoke.js';

// Importing this module types what the plugin adds: `request.auth` and `app.authenticate`.
declare module 'fastify' {
  interface FastifyRequest {
    /** The verified token, set by `app.authenticate` or {@link requireAuth}; `null` on unprotected routes. */
    auth: RevocableAuth | null;
  }
  interface FastifyInstance {
    /** The `preHandler` the {@link revocable} plugin built from its options. */
    authenticate: FastifyAuthHook;
  }
}

/** The part of a Fastify request the hook reads and writes. */
export interface FastifyRequestLike {
  readonly headers: { readonly authorization?: string | undefined };
  auth?: RevocableAuth | null;
}

/** The part of a Fastify reply the hook answers a refusal with. */
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** A Fastify `preHandler` (or `onRequest`) hook. */
export type FastifyAuthHook = (
  request: FastifyRequestLike,
  reply: FastifyReplyLike,
) => Promise<FastifyReplyLike | undefined>;

/** The part of a Fastify instance the plugin decorates. */
export interface FastifyInstanceLike {
  decorateRequest(property: 'auth', value: null): unknown;
  decorate(property: 'authenticate', value: FastifyAuthHook): unknown;
}

/** A Fastify plugin function with the metadata Fastify reads from it. */
export interface RevocablePlugin {
  (instance: FastifyInstanceLike, options: RequireAuthOptions): Promise<void>;
  readonly [key: symbol]: unknown;
}

/**
 * A Fastify `preHandler` hook for one route (or a whole encapsulated context with `addHook`): admits
 * a request only with a valid, unrevoked bearer token holding the required scopes, and puts it on
 * `request.auth`. Refusals are sent here: 401 with an RFC 6750 `WWW-Authenticate` challenge and
 * `{ error: 'ERR_…', message }`, 403 `insufficient_scope`, 503 for a stale revocation state. Options
 * are checked now and throw `ERR_CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * import { requireAuth } from '@revocable/core/fastify';
 *
 * app.get('/orders', { preHandler: requireAuth({ verifier, scopes: ['orders:read'] }) }, async (request) =>
 *   listOrders(request.auth!.claims.sub),
 * );
 * ```
 */
export function requireAuth(options: RequireAuthOptions): FastifyAuthHook {
  const authenticate = createAuthenticator(options);
  return async (request, reply) => {
    const decided = authenticate(request.headers.authorization);
    // Usually decided without I/O: no extra await then.
    const verdict = decided instanceof Promise ? await decided : decided;
    if (verdict.ok) {
      request.auth = verdict.auth;
      return undefined;
    }
    return reply.code(verdict.status).headers(verdict.headers).send(verdict.body);
  };
}

/**
 * The Fastify plugin: `app.register(revocable, { verifier })` decorates every request with `auth`
 * (`null` until a hook verifies it) and the instance with `authenticate`, a `preHandler` built from
 * the plugin's options. It skips encapsulation, so both decorations are visible to the whole app.
 * Options are checked when the plugin runs: a mistake fails `app.ready()` with `ERR_CONFIG_INVALID`.
 *
 * Importing `@revocable/core/fastify` also types `request.auth` (`RevocableAuth | null`) and
 * `app.authenticate` on Fastify's own `FastifyRequest` and `FastifyInstance`: no augmentation to write.
 *
 * @example
 * ```ts
 * import { revocable, revoke } from '@revocable/core/fastify';
 *
 * await app.register(revocable, { verifier, realm: 'api' });
 * app.get('/me', { preHandler: app.authenticate }, async (request) => request.auth!.claims);
 * app.post('/logout', { preHandler: app.authenticate }, async (request, reply) => {
 *   await revoke(revoker, request.auth);
 *   return reply.code(204).send();
 * });
 * ```
 */
export const revocable: RevocablePlugin = Object.assign(
  async (instance: FastifyInstanceLike, options: RequireAuthOptions): Promise<void> => {
    const hook = requireAuth(options);
    instance.decorateRequest('auth', null);
    instance.decorate('authenticate', hook);
  },
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@revocable/core/fastify',
    [Symbol.for('plugin-meta')]: { name: '@revocable/core/fastify', fastify: '>=4' },
  },
);
