import type { ServerErrorCode } from './server-codes.js';

/**
 * Stable codes of the errors the client throws. Closed union: `switch (err.code)` narrows.
 *
 * - `ERR_SIGNED_OUT`: there is no session (never signed in, logged out, or the session was ended).
 * - `ERR_LOGIN_FAILED`: the service refused a login or registration; `serverCode` says why.
 * - `ERR_REFRESH_FAILED`: a refresh failed for a reason that does not end the session (network,
 *   5xx, a CSRF or origin misconfiguration); the session may still be alive.
 * - `ERR_REQUEST_FAILED`: a logout or other call answered with an unexpected status.
 *
 * @example
 * ```ts
 * function explain(code: ClientErrorCode): string {
 *   switch (code) {
 *     case 'ERR_SIGNED_OUT': return 'Please sign in.';
 *     case 'ERR_LOGIN_FAILED': return 'Wrong username or password.';
 *     case 'ERR_REFRESH_FAILED': return 'The service is unreachable; try again.';
 *     case 'ERR_REQUEST_FAILED': return 'Something went wrong.';
 *   }
 * }
 * ```
 */
export type ClientErrorCode =
  | 'ERR_SIGNED_OUT'
  | 'ERR_LOGIN_FAILED'
  | 'ERR_REFRESH_FAILED'
  | 'ERR_REQUEST_FAILED';

/**
 * The one error class of `@revocable/client`. It never holds a token.
 *
 * @example
 * ```ts
 * try {
 *   await client.login(username, password);
 * } catch (err) {
 *   if (err instanceof RevocableClientError && err.serverCode === 'ERR_LOGIN_FAILED') showWrongPassword();
 * }
 * ```
 */
export class RevocableClientError extends Error {
  override readonly name = 'RevocableClientError';
  readonly code: ClientErrorCode;
  /** The HTTP status, when the service answered. */
  readonly status: number | undefined;
  /** The service's own code (`error` of its JSON body), e.g. `ERR_REFRESH_TOKEN_INVALID`. */
  readonly serverCode: ServerErrorCode | undefined;

  constructor(
    code: ClientErrorCode,
    message: string,
    details: { status?: number; serverCode?: ServerErrorCode; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.serverCode = details.serverCode;
  }
}

/**
 * True when `err` is a {@link RevocableClientError}, optionally with a given code.
 *
 * @example
 * ```ts
 * if (isClientError(err, 'ERR_SIGNED_OUT')) router.navigate(['/login']);
 * ```
 */
export function isClientError(err: unknown, code?: ClientErrorCode): err is RevocableClientError {
  return err instanceof RevocableClientError && (code === undefined || err.code === code);
}
