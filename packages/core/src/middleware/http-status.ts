import type { RevocableError, RevocableErrorCode } from '../errors.js';

/** The HTTP status each error code answers with. */
export const HTTP_STATUS: Readonly<Record<RevocableErrorCode, number>> = {
  ERR_TOKEN_MALFORMED: 401,
  ERR_TOKEN_TOO_LARGE: 401,
  ERR_HEADER_INVALID: 401,
  ERR_ALG_NOT_ALLOWED: 401,
  ERR_TYP_INVALID: 401,
  ERR_CRIT_UNSUPPORTED: 401,
  ERR_KEY_UNKNOWN: 401,
  ERR_KEY_INVALID: 400,
  ERR_KEY_DECRYPT: 500,
  ERR_JWKS_UNAVAILABLE: 503,
  ERR_SIGNATURE_INVALID: 401,
  ERR_TOKEN_EXPIRED: 401,
  ERR_TOKEN_NOT_YET_VALID: 401,
  ERR_CLAIM_INVALID: 401,
  ERR_TOKEN_REVOKED: 401,
  ERR_TOKEN_MISSING: 401,
  ERR_INSUFFICIENT_SCOPE: 403,
  ERR_REVOCATION_STALE: 503,
  ERR_REVOCATION_INVALID: 400,
  ERR_STATUS_LIST_INVALID: 401,
  ERR_LOG_UNAVAILABLE: 503,
  ERR_CONFIG_INVALID: 500,
};

function quoted(value: string): string {
  return value.replace(/[\\"]/g, '').replace(/[^\x20-\x7e]/g, '');
}

/**
 * The RFC 6750 §3 `WWW-Authenticate` challenge for an error on a protected resource: no `error`
 * attribute when no credential was sent, `invalid_token` for a bad token, `insufficient_scope` with
 * the needed `scope`. `error_description` carries the stable code and the (token-free) message.
 * Returns `undefined` for errors that are not about the credential (e.g. a stale replica: 503).
 *
 * @example
 * ```ts
 * const challenge = wwwAuthenticate(err, 'api');
 * if (challenge) reply.header('WWW-Authenticate', challenge);
 * ```
 */
export function wwwAuthenticate(error: RevocableError, realm?: string): string | undefined {
  const status = HTTP_STATUS[error.code];
  const parts = realm === undefined ? [] : [`realm="${quoted(realm)}"`];
  if (error.code === 'ERR_TOKEN_MISSING') return ['Bearer', parts.join(', ')].filter(Boolean).join(' ');
  if (status === 403) {
    parts.push('error="insufficient_scope"', `error_description="${error.code}"`);
    if (error.scope) parts.push(`scope="${quoted(error.scope.join(' '))}"`);
  } else if (status === 401) {
    parts.push('error="invalid_token"', `error_description="${error.code}: ${quoted(error.message)}"`);
  } else {
    return undefined;
  }
  return `Bearer ${parts.join(', ')}`;
}
