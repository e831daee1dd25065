import type { RuleKind } from '../errors.js';
import type { StatusListReference } from '../status-list/reference.js';
import type { RevocationPolicy } from './validate.js';

/**
 * What the revocation rules need to know about a verified token, computed once per token (and kept by
 * the verified cache). Times are epoch milliseconds.
 */
export interface TokenFacts {
  /** The `jti` (or the configured id claim, e.g. Entra's `uti`); a SHA-256 of the token when it has none. */
  readonly tokenId: string;
  readonly iss: string;
  readonly sub: string;
  readonly sid: string | undefined;
  readonly kid: string;
  /** `iat` in milliseconds: exact for Revocable's fractional `iat`, the start of the second otherwise. */
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /**
   * The token's `status.status_list { idx, uri }` (draft-ietf-oauth-status-list), checked; absent when
   * it has none. A {@link StatusListCheck} decides on it.
   */
  readonly statusList?: StatusListReference | undefined;
}

/**
 * The revocation hook the verifier calls on every verify, cached or not, after the signature and the
 * claims have been checked.
 *
 * Contract:
 * - `check` is synchronous, does no I/O, and answers in O(1) from in-memory state.
 * - It returns the kind of a rule that revokes the token, or `undefined` when none does.
 * - When its state is too old to answer and its policy is fail-closed it throws a `RevocableError`
 *   with `ERR_REVOCATION_STALE`; it never throws anything else, except that a {@link StatusListCheck}
 *   refuses a token whose status reference no list can answer with `ERR_STATUS_LIST_INVALID`.
 * - `policy` is the {@link RevocationPolicy} its rules were kept under (a {@link Replica}'s is the
 *   log's). It is required: a verifier takes its lifetime bound and the most clock tolerance it may
 *   allow from it, once, when it is made, so no token outlives the rules that could revoke it.
 *
 * @example
 * ```ts
 * const revocation: RevocationCheck = {
 *   policy: DEFAULT_REVOCATION_POLICY, // tokens live at most 10 minutes
 *   check: (facts) => (denied.has(facts.tokenId) ? 'token' : undefined),
 * };
 * const verifier = new Verifier({ keys, issuer, audience, revocation });
 * ```
 */
export interface RevocationCheck {
  /**
   * The longest token lifetime and the clock margin the rules are kept for (milliseconds). Read once,
   * when a verifier is made: a verifier refuses a longer `maxTokenLifetimeSec` or a clock tolerance
   * beyond `clockSkewMs`.
   */
  readonly policy: RevocationPolicy;
  check(facts: TokenFacts): RuleKind | undefined;
  /**
   * Optional: called by the verifier's async `verify` when `check` threw `ERR_REVOCATION_STALE`, to
   * decide another way (e.g. introspection at the issuer). Resolves like `check`, or rejects with
   * `ERR_REVOCATION_STALE`.
   */
  resolveStale?(facts: TokenFacts): Promise<RuleKind | undefined>;
}
