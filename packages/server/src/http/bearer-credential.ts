import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * True when the request's `Authorization: Bearer …` is `expected`, compared in constant time (both
 * sides hashed first, so neither the length nor a prefix of the credential leaks).
 *
 * @example
 * ```ts
 * if (!hasBearerCredential(request, config.metricsToken)) throw new ServiceError('ERR_METRICS_AUTH_REQUIRED', '…');
 * ```
 */
export function hasBearerCredential(request: FastifyRequest, expected: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = createHash('sha256').update(header.slice(7)).digest();
  return timingSafeEqual(given, createHash('sha256').update(expected).digest());
}
