import { RevocableError } from '../errors.js';
import { REVOCATION_REASONS, type RevocationRequest, type RevocationRule } from './rules.js';

/** Bounds every log applies to what it accepts. */
export interface RevocationPolicy {
  /** The longest access-token lifetime any trusted issuer uses, in ms: how long a cutoff must be kept. */
  readonly maxTokenLifetimeMs: number;
  /**
   * The clock margin, in ms: how far ahead of the log's clock a cutoff may be, and how long every rule
   * is kept past the last moment it can match, for clocks that disagree. A `token`, `allow` or `key`
   * rule is forgotten at `expiresAt + clockSkewMs`, a cutoff at `cutoff + maxTokenLifetimeMs +
   * clockSkewMs`. Verifiers accept a token until `exp` plus their clock tolerance, so this must be at
   * least the largest `clockToleranceSec` of any verifier reading the log (default 5 s, at most 300 s).
   */
  readonly clockSkewMs: number;
}

/** Defaults: 10-minute access tokens (Revocable's own), one minute of skew. */
export const DEFAULT_REVOCATION_POLICY: RevocationPolicy = {
  maxTokenLifetimeMs: 600_000,
  clockSkewMs: 60_000,
};

const MAX_ID_LENGTH = 512;
const MAX_ISS_LENGTH = 2048;

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_REVOCATION_INVALID', message);
}

function text(value: unknown, name: string, max = MAX_ID_LENGTH): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`${name} must be a non-empty string of at most ${max} characters.`);
  }
}

function time(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${name} must be a time in whole epoch milliseconds.`);
  }
  return value;
}

/**
 * Checks one rule and returns the epoch ms after which it can be forgotten: `expiresAt + clockSkewMs`
 * for `token`, `allow` and `key` rules (a verifier still accepts a token a little past its `exp`),
 * `cutoff + maxTokenLifetimeMs + clockSkewMs` for cutoffs. Throws `ERR_REVOCATION_INVALID` for unknown
 * kinds, malformed values and times too far in the future.
 *
 * @example
 * ```ts
 * const forgetAfter = forgetAfterOf({ kind: 'token', tokenId: jti, expiresAt: exp * 1000 }, Date.now(), DEFAULT_REVOCATION_POLICY);
 * ```
 */
export function forgetAfterOf(rule: RevocationRule, now: number, policy: RevocationPolicy): number {
  if (typeof rule !== 'object' || rule === null) throw invalid('rule must be an object.');
  const latestExpiry = now + policy.maxTokenLifetimeMs + policy.clockSkewMs;
  const expiry = (value: unknown): number => {
    const at = time(value, 'expiresAt');
    if (at > latestExpiry)
      throw invalid('expiresAt is further ahead than the longest token lifetime allows.');
    return at + policy.clockSkewMs;
  };
  const cutoff = (value: unknown): number => {
    const at = time(value, 'cutoff');
    if (at > now + policy.clockSkewMs) throw invalid('cutoff is in the future.');
    return at + policy.maxTokenLifetimeMs + policy.clockSkewMs;
  };
  switch (rule.kind) {
    case 'token':
    case 'allow':
      text(rule.tokenId, 'tokenId');
      return expiry(rule.expiresAt);
    case 'key':
      text(rule.kid, 'kid');
      return expiry(rule.expiresAt);
    case 'session':
      text(rule.iss, 'iss', MAX_ISS_LENGTH);
      text(rule.sid, 'sid');
      return cutoff(rule.cutoff);
    case 'subject':
      text(rule.iss, 'iss', MAX_ISS_LENGTH);
      text(rule.sub, 'sub');
      return cutoff(rule.cutoff);
    case 'issuer':
      text(rule.iss, 'iss', MAX_ISS_LENGTH);
      return cutoff(rule.cutoff);
    default:
      throw invalid(`Unknown rule kind "${String((rule as { kind?: unknown }).kind).slice(0, 32)}".`);
  }
}

/**
 * Validates a batch of requests before anything is written: all good, or `ERR_REVOCATION_INVALID`.
 * Returns each request's `forgetAfter`.
 *
 * @example
 * ```ts
 * const forgetAfter = validateRequests(requests, Date.now(), DEFAULT_REVOCATION_POLICY);
 * ```
 */
export function validateRequests(
  requests: readonly RevocationRequest[],
  now: number,
  policy: RevocationPolicy,
): number[] {
  if (!Array.isArray(requests) || requests.length === 0) throw invalid('Nothing to append.');
  if (requests.length > 10_000) throw invalid('At most 10,000 revocations per append.');
  return requests.map((request) => {
    if (typeof request !== 'object' || request === null) throw invalid('Each revocation must be an object.');
    if (!REVOCATION_REASONS.has(request.reason)) throw invalid('reason is not a known revocation reason.');
    text(request.actor, 'actor', 256);
    return forgetAfterOf(request.rule, now, policy);
  });
}
