import type { VerifiedToken } from '@revocable/core';
import type { FastifyRequest } from 'fastify';
import type { ClientContext } from '../auth/session-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token, set by the bearer guard on protected routes. */
    auth: VerifiedToken | null;
  }
}

/** The device and IP to record on a session: the User-Agent (cut to 256 chars) and the client IP. */
export function clientContext(request: FastifyRequest): ClientContext {
  const agent = request.headers['user-agent'];
  return { device: typeof agent === 'string' ? agent.slice(0, 256) : null, ip: request.ip ?? null };
}

/** The verified token of a protected route (the guard guarantees it). */
export function authOf(request: FastifyRequest): VerifiedToken {
  if (request.auth === null) throw new Error('authOf called on an unprotected route');
  return request.auth;
}
