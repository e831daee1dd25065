import { RevocableError } from '../errors.js';
import type { AccessTokenClaims } from '../verify/claims.js';

/**
 * The scopes a token grants: the RFC 9068 / RFC 8693 `scope` claim (space-separated), or Entra ID's
 * `scp` claim (space-separated) when there is no `scope`.
 *
 * @example
 * ```ts
 * grantedScopes({ scope: 'orders:read orders:write' }); // Set { 'orders:read', 'orders:write' }
 * ```
 */
export function grantedScopes(
  claims: Pick<AccessTokenClaims, 'scope'> & { readonly scp?: unknown },
): Set<string> {
  const value = claims.scope ?? claims.scp;
  return typeof value === 'string' ? new Set(value.split(' ').filter(Boolean)) : new Set();
}

/**
 * Throws `ERR_INSUFFICIENT_SCOPE` (403) unless the token grants every required scope (see
 * {@link grantedScopes}).
 *
 * @example
 * ```ts
 * requireScopes(verified.claims, ['orders:read']);
 * ```
 */
export function requireScopes(
  claims: Pick<AccessTokenClaims, 'scope'> & { readonly scp?: unknown },
  required: readonly string[],
): void {
  if (required.length === 0) return;
  const granted = grantedScopes(claims);
  if (!required.every((s) => granted.has(s))) {
    throw new RevocableError('ERR_INSUFFICIENT_SCOPE', 'The token lacks a required scope.', {
      scope: required,
    });
  }
}
