import { RevocableError } from '../errors.js';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Reads the token from an `Authorization: Bearer …` header value (RFC 6750 §2.1). Throws
 * `ERR_TOKEN_MISSING` when there is no header, and `ERR_TOKEN_MALFORMED` when it is not a Bearer
 * credential in the b64token syntax.
 *
 * @example
 * ```ts
 * const token = bearerToken(request.headers.authorization);
 * ```
 */
export function bearerToken(header: string | readonly string[] | undefined | null): string {
  if (header === undefined || header === null || header === '') {
    throw new RevocableError('ERR_TOKEN_MISSING', 'No bearer token was sent.');
  }
  if (typeof header !== 'string') {
    throw new RevocableError('ERR_TOKEN_MALFORMED', 'More than one Authorization header was sent.');
  }
  const match = BEARER.exec(header);
  if (!match)
    throw new RevocableError('ERR_TOKEN_MALFORMED', 'The Authorization header is not a Bearer credential.');
  return match[1]!;
}
