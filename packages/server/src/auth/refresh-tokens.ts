import { createHash, randomBytes } from 'node:crypto';

/** A new opaque refresh token: 256 random bits, base64url (43 characters). */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/** The stored form of a refresh token: its SHA-256, base64url. The token itself is never stored. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** True when `value` looks like a refresh token we issued (cheap shape check before any lookup). */
export function isRefreshTokenShape(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** A new session id (`sid`): 128 random bits, base64url. */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}
