import { bearerToken, RevocableError, requireScopes } from '@revocable/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';

/**
 * A Fastify `preHandler` that verifies the Bearer access token (through the process's replica) and
 * puts it on `request.auth`; failures become RFC 6750 answers in the error handler.
 *
 * @example
 * ```ts
 * app.get('/api/me', { preHandler: bearerGuard(runtime) }, (request) => authOf(request).claims);
 * ```
 */
export function bearerGuard(runtime: Runtime, scopes: readonly string[] = []) {
  const { verifier, metrics } = runtime;
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    try {
      const verified = await verifier.verify(bearerToken(request.headers.authorization));
      requireScopes(verified.claims, scopes);
      request.auth = verified;
      metrics.verifications.inc({ result: 'ok', code: 'none' });
    } catch (err) {
      metrics.verifications.inc({
        result: 'error',
        code: err instanceof RevocableError ? err.code : 'ERR_INTERNAL',
      });
      if (err instanceof RevocableError) (err as RevocableError & { bearer?: true }).bearer = true;
      throw err;
    }
  };
}
