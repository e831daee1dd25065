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
  /**
   * Per-issuer lifetimes, by exact `iss`: the longest access token that issuer sends. A rule about
   * one of these issuers is kept (and a verifier of its tokens bounded) by its own lifetime, so a
   * cutoff for a 90-minute Entra ID token lives 90 minutes while the service's 10-minute tokens keep
   * theirs. An issuer not listed takes `maxTokenLifetimeMs`.
   */
  readonly issuers?: Readonly<Record<string, IssuerLifetime>>;
}

/** One issuer's entry in {@link RevocationPolicy.issuers}. */
export interface IssuerLifetime {
  /** The longest access-token lifetime this issuer uses, in ms. */
  readonly maxTokenLifetimeMs: number;
}

/**
 * The longest token lifetime `policy` gives to tokens of `iss` (ms): its entry in `issuers`, or the
 * policy's default.
 *
 * @example
 * ```ts
 * const policy = { maxTokenLifetimeMs: 600_000, clockSkewMs: 60_000, issuers: { [entraIss]: { maxTokenLifetimeMs: 5_400_000 } } };
 * lifetimeOf(policy, entraIss); // 5400000
 * lifetimeOf(policy, 'https://auth.example'); // 600000
 * ```
 */
export function lifetimeOf(policy: RevocationPolicy, iss: string): number {
  const issuers = policy.issuers;
  return issuers !== undefined && Object.hasOwn(issuers, iss)
    ? issuers[iss]!.maxTokenLifetimeMs
    : policy.maxTokenLifetimeMs;
}

/**
 * The longest token lifetime of any issuer in `policy` (ms): how long the longest-kept cutoff lives.
 *
 * @example
 * ```ts
 * longestLifetimeOf({ maxTokenLifetimeMs: 600_000, clockSkewMs: 0, issuers: { a: { maxTokenLifetimeMs: 5_400_000 } } }); // 5400000
 * ```
 */
export function longestLifetimeOf(policy: RevocationPolicy): number {
  let longest = policy.maxTokenLifetimeMs;
  for (const entry of Object.values(policy.issuers ?? {})) {
    longest = Math.max(longest, entry.maxTokenLifetimeMs);
  }
  return longest;
}

/** Defaults: 10-minute access tokens (Revocable's own), one minute of skew. */
export const DEFAULT_REVOCATION_POLICY: RevocationPolicy = {
  maxTokenLifetimeMs: 600_000,
  clockSkewMs: 60_000,
};

const MAX_ID_LENGTH = 512;
const RULE_KINDS = new Set(['token', 'allow', 'key', 'session', 'subject', 'issuer']);
const MAX_ISS_LENGTH = 2048;

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_REVOCATION_INVALID', message);
}

function text(value: unknown, name: string, max = MAX_ID_LENGTH): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`${name} must be a non-empty string of at most ${max} characters.`);
  }
  return value;
}

function time(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${name} must be a time in whole epoch milliseconds.`);
  }
  return value;
}

/** A rule rebuilt from its checked fields only, and when it can be forgotten. */
interface CheckedRule {
  readonly rule: RevocationRule;
  readonly forgetAfter: number;
}

/**
 * Checks a rule and rebuilds it from the fields its kind defines (anything else the caller sent is
 * dropped, so a log never stores it), frozen.
 */
function checkRule(rule: RevocationRule, now: number, policy: RevocationPolicy): CheckedRule {
  if (typeof rule !== 'object' || rule === null) throw invalid('rule must be an object.');
  const kind: unknown = rule.kind;
  if (typeof kind !== 'string' || !RULE_KINDS.has(kind)) {
    throw invalid(
      typeof kind === 'string' ? `Unknown rule kind "${kind.slice(0, 32)}".` : 'rule.kind must be a string.',
    );
  }
  const iss = text((rule as { iss?: unknown }).iss, 'iss', MAX_ISS_LENGTH);
  // The issuer the rule is about decides how long its tokens can live, so how long the rule is kept.
  const lifetime = lifetimeOf(policy, iss);
  const latestExpiry = now + lifetime + policy.clockSkewMs;
  const expiry = (value: unknown): number => {
    const at = time(value, 'expiresAt');
    if (at > latestExpiry)
      throw invalid("expiresAt is further ahead than the issuer's longest token lifetime allows.");
    return at;
  };
  const cutoff = (value: unknown): number => {
    const at = time(value, 'cutoff');
    if (at > now + policy.clockSkewMs) throw invalid('cutoff is in the future.');
    return at;
  };
  const expiring = (checked: RevocationRule & { readonly expiresAt: number }): CheckedRule => ({
    rule: Object.freeze(checked),
    forgetAfter: checked.expiresAt + policy.clockSkewMs,
  });
  const cut = (checked: RevocationRule & { readonly cutoff: number }): CheckedRule => ({
    rule: Object.freeze(checked),
    forgetAfter: checked.cutoff + lifetime + policy.clockSkewMs,
  });
  switch (kind) {
    case 'token':
    case 'allow':
      return expiring({
        kind,
        iss,
        tokenId: text((rule as { tokenId?: unknown }).tokenId, 'tokenId'),
        expiresAt: expiry((rule as { expiresAt?: unknown }).expiresAt),
      });
    case 'key':
      return expiring({
        kind,
        iss,
        kid: text((rule as { kid?: unknown }).kid, 'kid'),
        expiresAt: expiry((rule as { expiresAt?: unknown }).expiresAt),
      });
    case 'session':
      return cut({
        kind,
        iss,
        sid: text((rule as { sid?: unknown }).sid, 'sid'),
        cutoff: cutoff((rule as { cutoff?: unknown }).cutoff),
      });
    case 'subject':
      return cut({
        kind,
        iss,
        sub: text((rule as { sub?: unknown }).sub, 'sub'),
        cutoff: cutoff((rule as { cutoff?: unknown }).cutoff),
      });
    case 'issuer':
      return cut({ kind, iss, cutoff: cutoff((rule as { cutoff?: unknown }).cutoff) });
    default:
      throw invalid(`Unknown rule kind "${kind.slice(0, 32)}".`);
  }
}

/**
 * Checks one rule and returns the epoch ms after which it can be forgotten: `expiresAt + clockSkewMs`
 * for `token`, `allow` and `key` rules (a verifier still accepts a token a little past its `exp`),
 * `cutoff + lifetime + clockSkewMs` for cutoffs, where lifetime is the rule's issuer's (see
 * {@link lifetimeOf}). Throws `ERR_REVOCATION_INVALID` for unknown
 * kinds, malformed values and times too far in the future.
 *
 * @example
 * ```ts
 * const forgetAfter = forgetAfterOf({ kind: 'token', iss, tokenId: jti, expiresAt: exp * 1000 }, Date.now(), DEFAULT_REVOCATION_POLICY);
 * ```
 */
export function forgetAfterOf(rule: RevocationRule, now: number, policy: RevocationPolicy): number {
  return checkRule(rule, now, policy).forgetAfter;
}

/**
 * A request as a log stores it: rebuilt from its checked fields only, with when it can be forgotten.
 *
 * @example
 * ```ts
 * const [row]: ValidatedRequest[] = validateRequests(requests, Date.now(), policy);
 * await insert({ rule: JSON.stringify(row.rule), reason: row.reason, actor: row.actor, forget_after: row.forgetAfter });
 * ```
 */
export interface ValidatedRequest extends RevocationRequest {
  readonly forgetAfter: number;
}

/**
 * Validates a batch of requests before anything is written: all good, or `ERR_REVOCATION_INVALID`.
 * Returns each request rebuilt from the fields its kind defines (extra fields, on the request or its
 * rule, are dropped: a log stores these, never what it was given), with its `forgetAfter`.
 *
 * @example
 * ```ts
 * const rows = validateRequests(requests, Date.now(), DEFAULT_REVOCATION_POLICY);
 * // rows[0]: { rule, reason, actor, forgetAfter }
 * ```
 */
export function validateRequests(
  requests: readonly RevocationRequest[],
  now: number,
  policy: RevocationPolicy,
): ValidatedRequest[] {
  if (!Array.isArray(requests) || requests.length === 0) throw invalid('Nothing to append.');
  if (requests.length > 10_000) throw invalid('At most 10,000 revocations per append.');
  return requests.map((request): ValidatedRequest => {
    if (typeof request !== 'object' || request === null) throw invalid('Each revocation must be an object.');
    if (!REVOCATION_REASONS.has(request.reason)) throw invalid('reason is not a known revocation reason.');
    const actor = text(request.actor, 'actor', 256);
    const { rule, forgetAfter } = checkRule(request.rule, now, policy);
    return { rule, reason: request.reason, actor, forgetAfter };
  });
}

/**
 * Checks `readAfter`'s arguments: whole numbers, `limit` 0 or more. Throws `ERR_REVOCATION_INVALID`.
 *
 * @example
 * ```ts
 * checkReadAfter(seq, limit); // then read
 * ```
 */
export function checkReadAfter(seq: unknown, limit: unknown): void {
  if (!Number.isSafeInteger(seq)) throw invalid('seq must be a whole number.');
  if (!(Number.isSafeInteger(limit) && (limit as number) >= 0))
    throw invalid('limit must be a whole number, 0 or more.');
}

/**
 * Checks `purge`'s time: undefined (the log's clock) or whole epoch milliseconds, 0 or more. Throws
 * `ERR_REVOCATION_INVALID`.
 *
 * @example
 * ```ts
 * checkPurgeTime(now);
 * ```
 */
export function checkPurgeTime(now: unknown): void {
  if (now !== undefined && !(Number.isSafeInteger(now) && (now as number) >= 0)) {
    throw invalid('now must be whole epoch milliseconds.');
  }
}
