import { bearerToken } from '@revocable/core';
import { createAuthenticator } from '@revocable/core/fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { bearerOptions } from './bearer-guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the logout guard when the token's own earlier logout revoked it (a retried logout). */
    logoutAlreadyDone?: boolean;
  }
}

/**
 * The bearer guard of `/auth/logout` and `/auth/logout-all`, retry-safe: the core's authenticator
 * first; a token it refuses only because its own completed logout revoked it (see
 * `SessionService.alreadyLoggedOut`) passes with `request.logoutAlreadyDone` set, so the route answers
 * success without writing anything again. Any other refusal is the core's RFC 6750 answer.
 *
 * @example
 * ```ts
 * app.post('/auth/logout', { preHandler: logoutGuard(runtime) }, handler);
 * ```
 */
export function logoutGuard(runtime: Runtime) {
  const authenticate = createAuthenticator(bearerOptions(runtime));
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const verdict = await authenticate(request.headers.authorization);
    if (verdict.ok) {
      request.auth = verdict.auth;
      return undefined;
    }
    if (verdict.cause.code === 'ERR_TOKEN_REVOKED') {
      const retried = await retriedLogout(runtime, request, verdict.cause.rule);
      if (retried) return undefined;
    }
    return reply.code(verdict.status).headers(verdict.headers).send(verdict.body);
  };
}

async function retriedLogout(
  runtime: Runtime,
  request: FastifyRequest,
  rule: Parameters<Runtime['sessions']['alreadyLoggedOut']>[1],
): Promise<boolean> {
  let verified: Awaited<ReturnType<Runtime['verifierIgnoringRevocation']['verify']>>;
  try {
    verified = await runtime.verifierIgnoringRevocation.verify(bearerToken(request.headers.authorization));
  } catch {
    return false;
  }
  if (!(await runtime.sessions.alreadyLoggedOut(verified.claims, rule))) return false;
  request.auth = verified;
  request.logoutAlreadyDone = true;
  return true;
}
