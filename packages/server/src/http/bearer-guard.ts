import { type AuthVerdict, type RequireAuthOptions, requireAuth } from '@revocable/core/fastify';
import type { Runtime } from '../runtime.js';

/** The `realm` of the service's RFC 6750 challenges. */
export const REALM = 'revocable';

/**
 * The options of the core's middleware for the service's protected routes: the process's verifier
 * (through its replica) and a metrics observer. The service has no authentication code of its own:
 * it verifies with the same middleware every API uses.
 *
 * @example
 * ```ts
 * const authenticator = createAuthenticator(bearerOptions(runtime));
 * ```
 */
export function bearerOptions(runtime: Runtime, scopes: readonly string[] = []): RequireAuthOptions {
  const { verifications } = runtime.metrics;
  return {
    verifier: runtime.verifier,
    scopes,
    realm: REALM,
    onVerdict: (verdict: AuthVerdict) =>
      verdict.ok
        ? verifications.inc({ result: 'ok', code: 'none' })
        : verifications.inc({ result: 'error', code: verdict.body.error }),
  };
}

/**
 * The core's Fastify `preHandler` for a protected route of the service: a valid, unrevoked bearer
 * token on `request.auth`, or the core's RFC 6750 answer (401/403/503 with `WWW-Authenticate`).
 *
 * @example
 * ```ts
 * app.get('/api/me', { preHandler: bearerGuard(runtime) }, (request) => authOf(request).claims);
 * ```
 */
export function bearerGuard(runtime: Runtime, scopes: readonly string[] = []) {
  return requireAuth(bearerOptions(runtime, scopes));
}
