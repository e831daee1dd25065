import { HTTP_STATUS, RevocableError } from '@revocable/core';

/**
 * Stable codes of the service's own errors (token errors keep the core's `RevocableError` codes).
 * Closed union: a client can `switch` over `error` in any JSON error body.
 */
export type ServiceErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_INVALID_JSON'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_NOT_FOUND'
  | 'ERR_NOT_ACCEPTABLE'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_LOGIN_FAILED'
  | 'ERR_LOGIN_THROTTLED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_ACCOUNT_DISABLED'
  | 'ERR_USERNAME_TAKEN'
  | 'ERR_PASSWORD_WEAK'
  | 'ERR_REFRESH_TOKEN_INVALID'
  | 'ERR_REFRESH_TOKEN_REUSED'
  | 'ERR_CSRF'
  | 'ERR_CLIENT_AUTH_FAILED'
  | 'ERR_CLIENT_INVALID'
  | 'ERR_CLIENT_FORBIDDEN'
  | 'ERR_METRICS_AUTH_REQUIRED'
  | 'ERR_ADMIN_AUTH_REQUIRED'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_RULE_FORBIDDEN'
  | 'ERR_UNAVAILABLE'
  // Answered by `revocable edge` (@revocable/edge) in front of an API; listed so one switch covers both.
  | 'ERR_UPSTREAM_UNAVAILABLE'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_INTERNAL';

const STATUS: Readonly<Record<ServiceErrorCode, number>> = {
  ERR_BAD_REQUEST: 400,
  ERR_INVALID_JSON: 400,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_BODY_TOO_LARGE: 413,
  ERR_NOT_FOUND: 404,
  ERR_NOT_ACCEPTABLE: 406,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_LOGIN_FAILED: 401,
  ERR_LOGIN_THROTTLED: 429,
  ERR_RATE_LIMITED: 429,
  ERR_ACCOUNT_DISABLED: 403,
  ERR_USERNAME_TAKEN: 409,
  ERR_PASSWORD_WEAK: 400,
  ERR_REFRESH_TOKEN_INVALID: 401,
  ERR_REFRESH_TOKEN_REUSED: 401,
  ERR_CSRF: 403,
  ERR_CLIENT_AUTH_FAILED: 401,
  ERR_CLIENT_INVALID: 400,
  ERR_CLIENT_FORBIDDEN: 403,
  ERR_METRICS_AUTH_REQUIRED: 401,
  ERR_ADMIN_AUTH_REQUIRED: 401,
  ERR_SESSION_NOT_FOUND: 404,
  ERR_RULE_FORBIDDEN: 403,
  ERR_UNAVAILABLE: 503,
  ERR_UPSTREAM_UNAVAILABLE: 502,
  ERR_UPSTREAM_TIMEOUT: 504,
  ERR_INTERNAL: 500,
};

/**
 * Every code the service's own errors use (token errors add the core's `RevocableErrorCode`s).
 *
 * @example
 * ```ts
 * const known = new Set<string>(SERVICE_ERROR_CODES);
 * ```
 */
export const SERVICE_ERROR_CODES: readonly ServiceErrorCode[] = Object.freeze(
  Object.keys(STATUS) as ServiceErrorCode[],
);

/**
 * An error the service answers with `{ "error": code, "message": … }` and the code's HTTP status.
 * Messages never hold tokens, passwords or secrets.
 *
 * @example
 * ```ts
 * throw new ServiceError('ERR_LOGIN_FAILED', 'Wrong username or password.');
 * ```
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly code: ServiceErrorCode;
  readonly status: number;
  /** Seconds, for `Retry-After`. */
  readonly retryAfterSec: number | undefined;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options?: { retryAfterSec?: number; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = STATUS[code];
    this.retryAfterSec = options?.retryAfterSec;
  }
}

const STORAGE_UNAVAILABLE = {
  error: 'ERR_LOG_UNAVAILABLE',
  message: 'The database is unavailable or did not answer in time; try again shortly.',
} as const;

/** The JSON body and status of any error, without leaking internals. */
export function errorResponse(err: unknown): { status: number; body: { error: string; message: string } } {
  if (err instanceof ServiceError)
    return { status: err.status, body: { error: err.code, message: err.message } };
  if (err instanceof RevocableError) {
    // Storage down, hung or past a timeout: one stable answer, without the database's location.
    if (err.code === 'ERR_LOG_UNAVAILABLE') return { status: 503, body: STORAGE_UNAVAILABLE };
    const status = err.code === 'ERR_CONFIG_INVALID' ? 500 : HTTP_STATUS[err.code];
    return { status, body: { error: err.code, message: err.message } };
  }
  return { status: 500, body: { error: 'ERR_INTERNAL', message: 'Internal error.' } };
}
