import { RevocableError, type RevocationRule } from '@revocable/core';
import { ServiceError } from '../errors.js';

/** What each kind a client may write holds, in the log's form (no `cutoff`: the service's clock sets it). */
const MEMBERS = {
  token: ['kind', 'iss', 'tokenId', 'expiresAt'],
  session: ['kind', 'iss', 'sid'],
  subject: ['kind', 'iss', 'sub'],
} as const;

/** Kinds the log knows that only the admin API writes. */
const ADMIN_ONLY_KINDS = new Set(['key', 'issuer', 'allow']);

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_REVOCATION_INVALID', message);
}

/** A name from the request, quoted and cut short, for a message. */
function quoted(value: string): string {
  return JSON.stringify(value.slice(0, 64));
}

/**
 * The rule an API's client may write through `POST /revocations`, checked and completed: a `token`,
 * `session` or `subject` rule in the log's form, for an issuer `mayRevoke` allows (default: this
 * service's own); a `session` or
 * `subject` rule gets the cutoff `now`. Throws, naming what is wrong:
 * - `ERR_RULE_FORBIDDEN` (403): a `key`, `issuer` or `allow` rule (the admin API's), or another issuer;
 * - `ERR_REVOCATION_INVALID` (400): anything else that is not such a rule, a `cutoff` included.
 *
 * @example
 * ```ts
 * const rule = clientRuleOf({ kind: 'session', iss: config.issuer, sid }, config.issuer, Date.now());
 * ```
 */
export function clientRuleOf(
  given: unknown,
  issuer: string,
  now: number,
  mayRevoke: (iss: string) => boolean = (iss) => iss === issuer,
): RevocationRule {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw invalid('rule must be an object: {"kind": "token" | "session" | "subject", …}.');
  }
  const rule = given as Record<string, unknown>;
  const kind = rule['kind'];
  if (typeof kind === 'string' && ADMIN_ONLY_KINDS.has(kind)) {
    throw new ServiceError(
      'ERR_RULE_FORBIDDEN',
      `A client may revoke a token, a session or a subject; a ${kind} rule is for the admin API (POST /admin/revocations).`,
    );
  }
  if (kind !== 'token' && kind !== 'session' && kind !== 'subject') {
    throw invalid(
      `${typeof kind === 'string' ? `Unknown rule kind ${quoted(kind)}` : 'rule.kind is missing'}: a client may write token, session or subject rules.`,
    );
  }
  if ('cutoff' in rule) {
    throw invalid(
      `A ${kind} rule's cutoff is the service's clock at the moment of the request: leave cutoff out.`,
    );
  }
  const expected: readonly string[] = MEMBERS[kind];
  const unknown = Object.keys(rule).filter((name) => !expected.includes(name));
  const missing = expected.filter((name) => !(name in rule));
  if (unknown.length > 0 || missing.length > 0) {
    throw invalid(
      `A ${kind} rule has exactly ${expected.join(', ')} (the feed's form: camelCase, times in epoch milliseconds)${
        unknown.length > 0 ? `; ${unknown.slice(0, 4).map(quoted).join(', ')} is not one of them` : ''
      }${missing.length > 0 ? `; ${missing.join(', ')} is missing` : ''}.`,
    );
  }
  for (const name of expected) {
    const value = rule[name];
    const ok =
      name === 'expiresAt'
        ? Number.isSafeInteger(value) && (value as number) >= 0
        : typeof value === 'string' && value.length > 0;
    if (!ok) {
      throw invalid(
        name === 'expiresAt'
          ? "expiresAt must be a time in whole epoch milliseconds (the token's exp × 1000)."
          : `${name} must be a non-empty string.`,
      );
    }
  }
  const iss = rule['iss'] as string;
  if (!mayRevoke(iss)) {
    throw new ServiceError(
      'ERR_RULE_FORBIDDEN',
      `This client may not revoke tokens of the issuer ${quoted(iss)}: it may revoke this service's own (${quoted(issuer)}) and those of trusted issuers it is granted "revoke" for.`,
    );
  }
  switch (kind) {
    case 'token':
      return rule as unknown as RevocationRule;
    case 'session':
      return { kind, iss, sid: rule['sid'] as string, cutoff: now };
    case 'subject':
      return { kind, iss, sub: rule['sub'] as string, cutoff: now };
  }
}
