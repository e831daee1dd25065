import type { RevocationEvent, RevocationRequest, RevocationRule, UnscopedRule } from '../index.js';

/** The issuer every request of the conformance suite uses. */
export const ISS = 'https://auth.example';

/**
 * A `token` rule request that expires at `expiresAt`.
 *
 * @example
 * ```ts
 * await log.append([tokenRequest('jti-1', now + 60_000)]);
 * ```
 */
export function tokenRequest(tokenId: string, expiresAt: number): RevocationRequest {
  return { rule: { kind: 'token', iss: ISS, tokenId, expiresAt }, reason: 'logout', actor: 'user:u1' };
}

/**
 * One valid request of every rule kind, timed against `now`.
 *
 * @example
 * ```ts
 * const events = await log.append(everyKind(now));
 * ```
 */
export function everyKind(now: number): RevocationRequest[] {
  return [
    {
      rule: { kind: 'token', iss: ISS, tokenId: 'jti-1', expiresAt: now + 300_000 },
      reason: 'logout',
      actor: 'user:u1',
    },
    {
      rule: { kind: 'session', iss: ISS, sid: 'sid-1', cutoff: now },
      reason: 'backchannel_logout',
      actor: 'client:rp',
    },
    {
      rule: { kind: 'subject', iss: ISS, sub: 'u1', cutoff: now - 1_000 },
      reason: 'password_change',
      actor: 'user:u1',
    },
    {
      rule: { kind: 'key', iss: ISS, kid: 'k-2026', expiresAt: now + 600_000 },
      reason: 'key_compromise',
      actor: 'admin:ops',
    },
    { rule: { kind: 'issuer', iss: ISS, cutoff: now }, reason: 'admin', actor: 'admin:ops' },
    {
      rule: { kind: 'allow', iss: ISS, tokenId: 'jti-2', expiresAt: now + 120_000 },
      reason: 'issued',
      actor: 'system',
    },
  ];
}

/** A request that the log must refuse, and why. */
export interface InvalidCase {
  readonly why: string;
  readonly request: (now: number) => unknown;
}

const good = (rule: unknown): unknown => ({ rule, reason: 'logout', actor: 'user:u1' });

/** Requests that `append` must reject with `ERR_REVOCATION_INVALID`, one fault each. */
export const INVALID_REQUESTS: readonly InvalidCase[] = [
  { why: 'an unknown rule kind', request: (now) => good({ kind: 'everything', iss: ISS, cutoff: now }) },
  { why: 'a missing rule', request: () => ({ reason: 'logout', actor: 'user:u1' }) },
  { why: 'a rule that is not an object', request: () => good('token') },
  { why: 'an empty tokenId', request: (now) => good({ kind: 'token', tokenId: '', expiresAt: now }) },
  {
    why: 'a tokenId that is not a string',
    request: (now) => good({ kind: 'token', tokenId: 7, expiresAt: now }),
  },
  {
    why: 'a tokenId of 513 characters',
    request: (now) => good({ kind: 'token', tokenId: 'x'.repeat(513), expiresAt: now }),
  },
  {
    why: 'a fractional expiresAt',
    request: (now) => good({ kind: 'token', tokenId: 'j', expiresAt: now + 0.5 }),
  },
  { why: 'a negative expiresAt', request: () => good({ kind: 'key', kid: 'k', expiresAt: -1 }) },
  {
    why: 'expiresAt given in seconds as a string',
    request: () => good({ kind: 'key', kid: 'k', expiresAt: '1' }),
  },
  {
    why: 'an expiresAt a year ahead',
    request: (now) => good({ kind: 'token', tokenId: 'j', expiresAt: now + 365 * 86_400_000 }),
  },
  {
    why: 'a cutoff an hour in the future',
    request: (now) => good({ kind: 'subject', iss: ISS, sub: 'u1', cutoff: now + 3_600_000 }),
  },
  { why: 'a session rule without sid', request: (now) => good({ kind: 'session', iss: ISS, cutoff: now }) },
  {
    why: 'a token rule without iss',
    request: (now) => good({ kind: 'token', tokenId: 'j', expiresAt: now }),
  },
  { why: 'a key rule without iss', request: (now) => good({ kind: 'key', kid: 'k', expiresAt: now }) },
  {
    why: 'an allow rule with an empty iss',
    request: (now) => good({ kind: 'allow', iss: '', tokenId: 'j', expiresAt: now }),
  },
  {
    why: 'a token rule whose iss is not a string',
    request: (now) => good({ kind: 'token', iss: ['a'], tokenId: 'j', expiresAt: now }),
  },
  {
    why: 'a key rule with an iss of 2049 characters',
    request: (now) => good({ kind: 'key', iss: 'i'.repeat(2049), kid: 'k', expiresAt: now }),
  },
  {
    why: 'an iss of 2049 characters',
    request: (now) => good({ kind: 'issuer', iss: 'i'.repeat(2049), cutoff: now }),
  },
  {
    why: 'an unknown reason',
    request: (now) => ({
      rule: { kind: 'issuer', iss: ISS, cutoff: now },
      reason: 'because',
      actor: 'system',
    }),
  },
  {
    why: 'an empty actor',
    request: (now) => ({ rule: { kind: 'issuer', iss: ISS, cutoff: now }, reason: 'admin', actor: '' }),
  },
  {
    why: 'an actor of 257 characters',
    request: (now) => ({
      rule: { kind: 'issuer', iss: ISS, cutoff: now },
      reason: 'admin',
      actor: 'a'.repeat(257),
    }),
  },
  { why: 'a request that is null', request: () => null },
];

/** A stable text for a rule, whatever the order of its fields. */
export function ruleKey(rule: RevocationRule | UnscopedRule): string {
  const entries = Object.entries(rule).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/**
 * What applying `events` leaves in force at `now`: the set of their rules not yet forgettable.
 *
 * @example
 * ```ts
 * expect(liveRules(snapshot.events, now)).toEqual(liveRules(history, now));
 * ```
 */
export function liveRules(events: readonly RevocationEvent[], now: number): Set<string> {
  return new Set(events.filter((event) => event.forgetAfter > now).map((event) => ruleKey(event.rule)));
}

/** `from, from + 1, …, to`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
