import { RevocableError } from '../errors.js';
import type { SetErrorCode } from './event-types.js';

/**
 * Why a SET was refused: an RFC 8935 error code, with a description safe to send back to the
 * transmitter (it never holds the SET or a secret).
 *
 * @example
 * ```ts
 * throw new SetProblem('access_denied', 'This transmitter may not revoke tokens of that issuer.');
 * ```
 */
export class SetProblem extends Error {
  override readonly name = 'SetProblem';
  readonly err: SetErrorCode;

  constructor(err: SetErrorCode, description: string) {
    super(description);
    this.err = err;
  }
}

const INVALID_KEY = new Set(['ERR_KEY_UNKNOWN', 'ERR_KEY_INVALID', 'ERR_ALG_NOT_ALLOWED']);

/**
 * The RFC 8935 error code for a `RevocableError` raised while verifying a SET: `invalid_issuer` and
 * `invalid_audience` for those claims, `invalid_key` for an unknown, retired or mismatched key,
 * `authentication_failed` for a bad signature, `invalid_request` for everything else.
 *
 * @example
 * ```ts
 * const err = setErrorOf(new RevocableError('ERR_CLAIM_INVALID', '…', { claim: 'aud' })); // 'invalid_audience'
 * ```
 */
export function setErrorOf(error: RevocableError): SetErrorCode {
  if (error.code === 'ERR_CLAIM_INVALID' && error.claim === 'iss') return 'invalid_issuer';
  if (error.code === 'ERR_CLAIM_INVALID' && error.claim === 'aud') return 'invalid_audience';
  if (INVALID_KEY.has(error.code)) return 'invalid_key';
  if (error.code === 'ERR_SIGNATURE_INVALID') return 'authentication_failed';
  return 'invalid_request';
}

/** Errors that say "try again later", not "this SET is bad". */
const UNAVAILABLE = new Set(['ERR_JWKS_UNAVAILABLE', 'ERR_LOG_UNAVAILABLE', 'ERR_REVOCATION_STALE']);

/**
 * Whether an error means the receiver could not decide now (keys or storage unreachable): the
 * transmitter should deliver the SET again later.
 *
 * @example
 * ```ts
 * if (isTransient(err)) return { status: 503 };
 * ```
 */
export function isTransient(error: unknown): boolean {
  return error instanceof RevocableError && UNAVAILABLE.has(error.code);
}
