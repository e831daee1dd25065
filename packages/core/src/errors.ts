/**
 * Every stable error code Revocable can raise. The union is closed: a `switch (err.code)` over it
 * is exhaustive, and codes never change meaning between releases.
 */
export type RevocableErrorCode =
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_HEADER_INVALID'
  | 'ERR_ALG_NOT_ALLOWED'
  | 'ERR_TYP_INVALID'
  | 'ERR_CRIT_UNSUPPORTED'
  | 'ERR_KEY_UNKNOWN'
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_DECRYPT'
  | 'ERR_JWKS_UNAVAILABLE'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_CLAIM_INVALID'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_TOKEN_MISSING'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_REVOCATION_STALE'
  | 'ERR_REVOCATION_INVALID'
  | 'ERR_STATUS_LIST_INVALID'
  | 'ERR_LOG_UNAVAILABLE'
  | 'ERR_CONFIG_INVALID';

/** The kinds of revocation rule; see docs/revocation-model.md, "Revocation rules". */
export type RuleKind = 'token' | 'session' | 'subject' | 'key' | 'issuer' | 'allowlist';

/** Extra, non-secret facts attached to an error. Never holds token text. */
export interface RevocableErrorDetails {
  /** For `ERR_CLAIM_INVALID`: the claim that failed (`iss`, `aud`, `exp`, ...). */
  readonly claim?: string;
  /** For `ERR_TOKEN_REVOKED`: which rule matched. */
  readonly rule?: RuleKind;
  /** For `ERR_INSUFFICIENT_SCOPE`: the scopes that were required. */
  readonly scope?: readonly string[];
}

/**
 * The one error class Revocable throws for bad input, bad tokens and unavailable dependencies.
 *
 * Messages are written for people and never contain token text, secrets or key material.
 *
 * @example
 * ```ts
 * import { RevocableError } from '@revocable/core';
 * try {
 *   verifier.verifySync(token);
 * } catch (err) {
 *   if (err instanceof RevocableError && err.code === 'ERR_TOKEN_REVOKED') {
 *     console.log('revoked by a', err.rule, 'rule');
 *   }
 * }
 * ```
 */
export class RevocableError extends Error {
  override readonly name = 'RevocableError';
  readonly code: RevocableErrorCode;
  readonly claim: string | undefined;
  readonly rule: RuleKind | undefined;
  readonly scope: readonly string[] | undefined;

  constructor(
    code: RevocableErrorCode,
    message: string,
    details?: RevocableErrorDetails,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.claim = details?.claim;
    this.rule = details?.rule;
    this.scope = details?.scope;
  }
}

/**
 * Type guard for {@link RevocableError}, optionally narrowed to one code.
 *
 * @example
 * ```ts
 * if (isRevocableError(err, 'ERR_TOKEN_EXPIRED')) await refresh();
 * ```
 */
export function isRevocableError(err: unknown, code?: RevocableErrorCode): err is RevocableError {
  return err instanceof RevocableError && (code === undefined || err.code === code);
}
