import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ServiceError } from '../errors.js';

/** True when the request carries the admin credential as a Bearer token (compared in constant time). */
export function isAdmin(request: FastifyRequest, adminToken: string | undefined): boolean {
  if (adminToken === undefined) return false;
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = createHash('sha256').update(header.slice(7)).digest();
  const expected = createHash('sha256').update(adminToken).digest();
  return timingSafeEqual(given, expected);
}

/** Throws `ERR_ADMIN_AUTH_REQUIRED` (401) unless the admin credential was sent. */
export function requireAdmin(request: FastifyRequest, adminToken: string | undefined): void {
  if (!isAdmin(request, adminToken)) {
    throw new ServiceError(
      'ERR_ADMIN_AUTH_REQUIRED',
      adminToken === undefined
        ? 'The admin API is disabled: restart the service with REVOCABLE_ADMIN_TOKEN set (at least 32 characters); on a loopback address `revocable serve` makes one itself and prints where it keeps it.'
        : 'The admin credential is missing or wrong.',
    );
  }
}
