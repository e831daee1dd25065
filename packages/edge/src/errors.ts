/**
 * Stable codes of the edge's own refusals (token refusals keep the core's `RevocableError` codes:
 * `ERR_TOKEN_REVOKED`, `ERR_REVOCATION_STALE`, …). The same strings as the service's codes where the
 * meaning is the same, so one client-side `switch` covers both.
 */
export type EdgeErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_NOT_FOUND'
  | 'ERR_CLIENT_AUTH_FAILED'
  | 'ERR_UPSTREAM_UNAVAILABLE'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_INTERNAL';

/** The HTTP status of each edge code. */
export const EDGE_STATUS: Readonly<Record<EdgeErrorCode, number>> = {
  ERR_BAD_REQUEST: 400,
  ERR_BODY_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_NOT_FOUND: 404,
  ERR_CLIENT_AUTH_FAILED: 401,
  ERR_UPSTREAM_UNAVAILABLE: 502,
  ERR_UPSTREAM_TIMEOUT: 504,
  ERR_INTERNAL: 500,
};

/**
 * A refusal of the edge's own, answered as `{ "error": code, "message": … }` with the code's status.
 * Messages never hold a token or a secret.
 *
 * @example
 * ```ts
 * throw new EdgeError('ERR_BAD_REQUEST', 'The path is not in canonical form.');
 * ```
 */
export class EdgeError extends Error {
  override readonly name = 'EdgeError';
  readonly status: number;

  constructor(
    readonly code: EdgeErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = EDGE_STATUS[code];
  }
}

/**
 * The edge's command line is wrong (an unknown flag, a missing value): the `revocable` CLI prints the
 * message with the usage line and exits 2.
 *
 * @example
 * ```ts
 * throw new EdgeUsageError('--upstream needs a URL.');
 * ```
 */
export class EdgeUsageError extends Error {
  override readonly name = 'EdgeUsageError';
  readonly code = 'ERR_USAGE';
}
