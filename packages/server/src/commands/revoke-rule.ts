import { timeFromWire } from '../http/wire.js';
import { printable } from './args.js';
import { usageError } from './command-error.js';
import { USAGE } from './usage.js';

/** What `revocable revoke` can end. */
export const REVOKE_KINDS = ['user', 'session', 'token', 'key', 'issuer'] as const;
export type RevokeKind = (typeof REVOKE_KINDS)[number];

/**
 * The kind named on the command line, or `ERR_USAGE`.
 *
 * @example
 * ```ts
 * revokeKindOf('user'); // 'user'
 * ```
 */
export function revokeKindOf(word: string): RevokeKind {
  if ((REVOKE_KINDS as readonly string[]).includes(word)) return word as RevokeKind;
  throw usageError(`Cannot revoke ${printable(word)}: name one of ${REVOKE_KINDS.join(', ')}.`, USAGE.revoke);
}

/** A token's identity as `revoke token` needs it: read from the token itself, or given. */
export interface TokenTarget {
  readonly jti: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** The token's `iss` when the token itself was given. */
  readonly iss?: string;
}

/**
 * `revoke token <jwt|jti>`: a compact JWT gives its own `jti`, `exp` and `iss` (read, not verified:
 * the rule only names them); a bare `jti` needs `--expires-at`, the token's expiry. Never echoes the
 * token.
 *
 * @example
 * ```ts
 * tokenTarget('0b6c…', '2025-01-31T12:00:00Z'); // { jti: '0b6c…', expiresAt: 1738324800000 }
 * ```
 */
export function tokenTarget(given: string, expiresAt: string | undefined): TokenTarget {
  const parts = given.split('.');
  if (parts.length !== 3) {
    if (expiresAt === undefined)
      throw usageError(
        "A token id needs --expires-at, the token's expiry (RFC 3339); or give the token itself.",
        USAGE.revoke,
      );
    return { jti: given, expiresAt: timeFromWire(expiresAt, '--expires-at') };
  }
  if (expiresAt !== undefined)
    throw usageError('--expires-at is read from the token itself: leave it out.', USAGE.revoke);
  let claims: { jti?: unknown; exp?: unknown; iss?: unknown };
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    throw usageError('The token is not a JWT whose claims can be read.', USAGE.revoke);
  }
  if (typeof claims.jti !== 'string' || claims.jti === '')
    throw usageError(
      'The token has no jti, so no token rule can name it: revoke its session or its user instead.',
      USAGE.revoke,
    );
  if (typeof claims.exp !== 'number' || !Number.isSafeInteger(claims.exp))
    throw usageError('The token has no exp: give its jti and --expires-at instead.', USAGE.revoke);
  return {
    jti: claims.jti,
    expiresAt: claims.exp * 1000,
    ...(typeof claims.iss === 'string' && { iss: claims.iss }),
  };
}
