/**
 * Every code the service puts in the `error` member of a JSON error body: its own codes and the
 * core's token codes. Kept equal to the service's by a test in the service's package (a browser SDK
 * cannot depend on the service's Node code).
 *
 * @example
 * ```ts
 * const known = new Set<string>(SERVER_ERROR_CODES);
 * if (known.has(body.error)) console.log('a documented code');
 * ```
 */
export const SERVER_ERROR_CODES = [
  'ERR_ACCOUNT_DISABLED',
  'ERR_ADMIN_AUTH_REQUIRED',
  'ERR_ALG_NOT_ALLOWED',
  'ERR_BAD_REQUEST',
  'ERR_BODY_TOO_LARGE',
  'ERR_CLAIM_INVALID',
  'ERR_CLIENT_AUTH_FAILED',
  'ERR_CLIENT_INVALID',
  'ERR_CLIENT_FORBIDDEN',
  'ERR_CONFIG_INVALID',
  'ERR_CRIT_UNSUPPORTED',
  'ERR_CSRF',
  'ERR_HEADER_INVALID',
  'ERR_INSUFFICIENT_SCOPE',
  'ERR_INTERNAL',
  'ERR_INVALID_JSON',
  'ERR_JWKS_UNAVAILABLE',
  'ERR_KEY_DECRYPT',
  'ERR_KEY_INVALID',
  'ERR_KEY_UNKNOWN',
  'ERR_LOGIN_FAILED',
  'ERR_LOGIN_THROTTLED',
  'ERR_LOG_UNAVAILABLE',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_METRICS_AUTH_REQUIRED',
  'ERR_NOT_ACCEPTABLE',
  'ERR_NOT_FOUND',
  'ERR_PASSWORD_WEAK',
  'ERR_RATE_LIMITED',
  'ERR_REFRESH_TOKEN_INVALID',
  'ERR_REFRESH_TOKEN_REUSED',
  'ERR_REVOCATION_INVALID',
  'ERR_REVOCATION_STALE',
  'ERR_RULE_FORBIDDEN',
  'ERR_SESSION_NOT_FOUND',
  'ERR_SIGNATURE_INVALID',
  'ERR_STATUS_LIST_INVALID',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_MALFORMED',
  'ERR_TOKEN_MISSING',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_TOO_LARGE',
  'ERR_TYP_INVALID',
  'ERR_UNAVAILABLE',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_UPSTREAM_TIMEOUT',
  'ERR_UPSTREAM_UNAVAILABLE',
  'ERR_USERNAME_TAKEN',
] as const;

/**
 * A code the service answers with (`serverCode` of a {@link RevocableClientError}). Closed union:
 * `switch (err.serverCode)` narrows.
 *
 * @example
 * ```ts
 * function explain(code: ServerErrorCode | undefined): string {
 *   return code === 'ERR_LOGIN_THROTTLED' ? 'Too many attempts; wait a moment.' : 'Sign-in failed.';
 * }
 * ```
 */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(SERVER_ERROR_CODES);

/**
 * The code of a JSON error body when it is one the service documents; `undefined` otherwise (a
 * proxy's page, an older or newer service).
 *
 * @example
 * ```ts
 * const code = serverErrorCode(await response.json().catch(() => undefined));
 * ```
 */
export function serverErrorCode(body: unknown): ServerErrorCode | undefined {
  const code = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  return typeof code === 'string' && KNOWN.has(code) ? (code as ServerErrorCode) : undefined;
}
