import { bearerToken, isRevocableError } from '@revocable/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { bearerGuard } from './bearer-guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the logout guard when the token's own earlier logout revoked it (a retried logout). */
    logoutAlreadyDone?: boolean;
  }
}

/**
 * The bearer guard of `/auth/logout` and `/auth/logout-all`, retry-safe: a token refused only because
 * its own completed logout revoked it (see `SessionService.alreadyLoggedOut`) passes with
 * `request.logoutAlreadyDone` set, so the route answers success without writing anything again. Any
 * other failure (forged, expired, revoked by anything else) is the bearer guard's answer.
 *
 * @example
 * ```ts
 * app.post('/auth/logout', { preHandler: logoutGuard(runtime) }, handler);
 * ```
 */
export function logoutGuard(runtime: Runtime) {
  const guard = bearerGuard(runtime);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      await guard(request, reply);
    } catch (err) {
      if (!isRevocableError(err, 'ERR_TOKEN_REVOKED')) throw err;
      let verified: Awaited<ReturnType<Runtime['verifierIgnoringRevocation']['verify']>>;
      try {
        verified = await runtime.verifierIgnoringRevocation.verify(
          bearerToken(request.headers.authorization),
        );
      } catch {
        throw err;
      }
      if (!(await runtime.sessions.alreadyLoggedOut(verified.claims, err.rule))) throw err;
      request.auth = verified;
      request.logoutAlreadyDone = true;
    }
  };
}
