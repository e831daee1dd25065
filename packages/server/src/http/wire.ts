import {
  type KeySummary,
  type ReplicaStats,
  RevocableError,
  type RevocationEvent,
  type RevocationRule,
  type UnscopedRule,
} from '@revocable/core';
import type { SessionRecord, UserRecord } from '@revocable/core/internal';

// The HTTP API's one wire convention: snake_case member names, times as RFC 3339 UTC text with
// milliseconds (`toISOString`), durations as numbers with the unit in the name (`staleness_ms`).
// The records of the core (camelCase, epoch ms) meet the wire here, and only here.

/** An RFC 3339 time in UTC with milliseconds, `2025-01-31T12:00:00.000Z`. */
export type WireTime = string;

/**
 * Epoch milliseconds as the API writes a time.
 *
 * @example
 * ```ts
 * timeToWire(0); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function timeToWire(ms: number): WireTime {
  return new Date(ms).toISOString();
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function invalidRule(message: string): RevocableError {
  return new RevocableError('ERR_REVOCATION_INVALID', message);
}

/**
 * An RFC 3339 time (any offset; fractions past the millisecond are cut) as epoch milliseconds.
 * Throws `ERR_REVOCATION_INVALID` naming `name` for anything else: a number, a date without a time, a
 * day the month does not have.
 *
 * @example
 * ```ts
 * timeFromWire('2025-01-31T14:00:00+02:00', 'cutoff'); // Date.UTC(2025, 0, 31, 12)
 * ```
 */
export function timeFromWire(value: unknown, name: string): number {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  const refuse = () => invalidRule(`${name} must be an RFC 3339 time such as "2025-01-31T12:00:00.000Z".`);
  if (!match) throw refuse();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as number[];
  const local = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const parsed = new Date(local);
  // Date.UTC rolls 30 February over into March; a time that does not read back is not a time.
  if (
    parsed.getUTCFullYear() !== year ||
    parsed.getUTCMonth() !== month! - 1 ||
    parsed.getUTCDate() !== day ||
    parsed.getUTCHours() !== hour ||
    parsed.getUTCMinutes() !== minute ||
    parsed.getUTCSeconds() !== second
  )
    throw refuse();
  const millis = match[7] === undefined ? 0 : Math.floor(Number(`0${match[7]}`) * 1000);
  const [sign, offsetHours, offsetMinutes] = [match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (offsetHours > 23 || offsetMinutes > 59) throw refuse();
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000 * (sign === '-' ? -1 : 1);
  return local + millis - offset;
}

/** A revocation rule on the wire; `iss: null` is a rule recorded before rules named their issuer. */
export type RuleWire =
  | {
      readonly kind: 'token' | 'allow';
      readonly iss: string | null;
      readonly token_id: string;
      readonly expires_at: WireTime;
    }
  | { readonly kind: 'key'; readonly iss: string | null; readonly kid: string; readonly expires_at: WireTime }
  | { readonly kind: 'session'; readonly iss: string; readonly sid: string; readonly cutoff: WireTime }
  | { readonly kind: 'subject'; readonly iss: string; readonly sub: string; readonly cutoff: WireTime }
  | { readonly kind: 'issuer'; readonly iss: string; readonly cutoff: WireTime };

/**
 * A rule of the log as the API answers it.
 *
 * @example
 * ```ts
 * ruleToWire({ kind: 'token', iss, tokenId: jti, expiresAt: exp * 1000 });
 * // { kind: 'token', iss, token_id: jti, expires_at: '…Z' }
 * ```
 */
export function ruleToWire(rule: RevocationRule | UnscopedRule): RuleWire {
  switch (rule.kind) {
    case 'token':
    case 'allow':
      return {
        kind: rule.kind,
        iss: rule.iss ?? null,
        token_id: rule.tokenId,
        expires_at: timeToWire(rule.expiresAt),
      };
    case 'key':
      return { kind: 'key', iss: rule.iss ?? null, kid: rule.kid, expires_at: timeToWire(rule.expiresAt) };
    case 'session':
      return { kind: 'session', iss: rule.iss, sid: rule.sid, cutoff: timeToWire(rule.cutoff) };
    case 'subject':
      return { kind: 'subject', iss: rule.iss, sub: rule.sub, cutoff: timeToWire(rule.cutoff) };
    case 'issuer':
      return { kind: 'issuer', iss: rule.iss, cutoff: timeToWire(rule.cutoff) };
  }
}

/** The members each kind of rule has on the wire, `kind` first. */
const RULE_MEMBERS = {
  token: ['kind', 'iss', 'token_id', 'expires_at'],
  allow: ['kind', 'iss', 'token_id', 'expires_at'],
  key: ['kind', 'iss', 'kid', 'expires_at'],
  session: ['kind', 'iss', 'sid', 'cutoff'],
  subject: ['kind', 'iss', 'sub', 'cutoff'],
  issuer: ['kind', 'iss', 'cutoff'],
} as const satisfies Record<RevocationRule['kind'], readonly string[]>;

/**
 * A rule as a caller sends it, in the core's form. Checks the shape (a known kind, its members and no
 * other, times in RFC 3339) and throws `ERR_REVOCATION_INVALID` naming the member. An omitted `iss`
 * (token, key, allow), `cutoff` or a key rule's `expires_at` stays omitted for the caller to fill in;
 * the log checks the values.
 *
 * @example
 * ```ts
 * ruleFromWire({ kind: 'session', iss, sid, cutoff: '2025-01-31T12:00:00.000Z' });
 * // { kind: 'session', iss, sid, cutoff: 1738324800000 }
 * ```
 */
export function ruleFromWire(wire: unknown): RevocationRule {
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire))
    throw invalidRule('rule must be an object.');
  const given = wire as Record<string, unknown>;
  const kind = given['kind'];
  if (typeof kind !== 'string' || !Object.hasOwn(RULE_MEMBERS, kind)) {
    throw invalidRule(`rule.kind must be one of ${Object.keys(RULE_MEMBERS).join(', ')}.`);
  }
  const members: readonly string[] = RULE_MEMBERS[kind as keyof typeof RULE_MEMBERS];
  const stranger = Object.keys(given).find((name) => !members.includes(name));
  if (stranger !== undefined) {
    throw invalidRule(
      `rule.${stranger.slice(0, 40)} is not a member of a ${kind} rule; its members are ${members.join(', ')} (snake_case, times in RFC 3339).`,
    );
  }
  const text = (name: string, optional: boolean): string | undefined => {
    const value = given[name];
    if (value === undefined && optional) return undefined;
    if (value === undefined) throw invalidRule(`A ${kind} rule needs rule.${name}.`);
    if (typeof value !== 'string') throw invalidRule(`rule.${name} must be a string.`);
    return value;
  };
  // Omitted, `iss` is this service's issuer (token, key, allow) and a cutoff the server's clock.
  const rule: Record<string, unknown> = { kind, iss: text('iss', members.includes('expires_at')) };
  for (const name of members) {
    if (name === 'token_id') rule['tokenId'] = text(name, false);
    else if (name === 'expires_at')
      rule['expiresAt'] =
        kind === 'key' && given[name] === undefined ? undefined : timeFromWire(given[name], `rule.${name}`);
    else if (name === 'cutoff')
      rule['cutoff'] = given[name] === undefined ? undefined : timeFromWire(given[name], `rule.${name}`);
    else if (name === 'sid' || name === 'sub' || name === 'kid') rule[name] = text(name, false);
  }
  for (const name of Object.keys(rule)) if (rule[name] === undefined) delete rule[name];
  return rule as unknown as RevocationRule;
}

/** A revocation event on the wire (the audit trail, `POST /admin/revocations`). */
export interface EventWire {
  readonly seq: number;
  readonly rule: RuleWire;
  readonly reason: string;
  readonly actor: string;
  readonly recorded_at: WireTime;
  readonly forget_after: WireTime;
}

/**
 * A log event as the admin API answers it (the revocation feed keeps the log's own form).
 *
 * @example
 * ```ts
 * reply.status(201).send(eventToWire(await sessions.applyRule(rule, audit)));
 * ```
 */
export function eventToWire(event: RevocationEvent): EventWire {
  return {
    seq: event.seq,
    rule: ruleToWire(event.rule),
    reason: event.reason,
    actor: event.actor,
    recorded_at: timeToWire(event.recordedAt),
    forget_after: timeToWire(event.forgetAfter),
  };
}

/** A session on the wire: the same for its user (`GET /auth/sessions`) and for an admin. */
export interface SessionWire {
  readonly id: string;
  readonly client_id: string;
  readonly scope: string | null;
  readonly device: string | null;
  readonly ip: string | null;
  readonly created_at: WireTime;
  readonly last_seen_at: WireTime;
  /** The earlier of the idle and the absolute expiry: when the session ends unless refreshed. */
  readonly expires_at: WireTime;
  /** 1 for the login's refresh token, +1 per rotation. */
  readonly refresh_generation: number;
}

/**
 * A session record as the API answers it: no claims (they are the trusted backend's), no secret.
 *
 * @example
 * ```ts
 * const sessions = (await store.listSessions(sub)).map(sessionToWire);
 * ```
 */
export function sessionToWire(session: SessionRecord): SessionWire {
  return {
    id: session.id,
    client_id: session.clientId,
    scope: session.scope,
    device: session.device,
    ip: session.ip,
    created_at: timeToWire(session.createdAt),
    last_seen_at: timeToWire(session.lastSeenAt),
    expires_at: timeToWire(Math.min(session.idleExpiresAt, session.absoluteExpiresAt)),
    refresh_generation: session.refreshGeneration,
  };
}

/** A user on the wire (`GET /admin/users`). */
export interface UserWire {
  readonly id: string;
  readonly username: string;
  readonly created_at: WireTime;
  readonly suspended: boolean;
}

/**
 * A user record as the admin API answers it: no password hash.
 *
 * @example
 * ```ts
 * const users = (await store.listUsers({ limit: 100 })).map(userToWire);
 * ```
 */
export function userToWire(user: UserRecord): UserWire {
  return {
    id: user.id,
    username: user.username,
    created_at: timeToWire(user.createdAt),
    suspended: user.disabledAt !== null,
  };
}

/** A signing key on the wire (`GET /admin/keys`). */
export interface KeyWire {
  readonly kid: string;
  readonly alg: string;
  readonly state: KeySummary['state'];
  readonly created_at: WireTime;
  /** When a retired key stops verifying; `null` for the active and the next key. */
  readonly verify_until: WireTime | null;
}

/**
 * A key's public description as the admin API answers it.
 *
 * @example
 * ```ts
 * const keys = ring.list().map(keyToWire);
 * ```
 */
export function keyToWire(key: KeySummary): KeyWire {
  return {
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    created_at: timeToWire(key.createdAt),
    verify_until: key.verifyUntil === undefined ? null : timeToWire(key.verifyUntil),
  };
}

/** This process's replica figures on the wire (`GET /admin/replica`). */
export interface ReplicaWire {
  readonly tokens: number;
  readonly allowed: number;
  readonly sessions: number;
  readonly subjects: number;
  readonly keys: number;
  readonly issuers: number;
  readonly last_seq: number;
  readonly source_seq: number;
  readonly behind: number;
  /** When the log recorded the newest event the replica holds; `null` before any. */
  readonly last_event_at: WireTime | null;
  readonly last_event_age_ms: number | null;
  /** The last news from the feed; `null` before any. */
  readonly fresh_at: WireTime | null;
  readonly staleness_ms: number | null;
  readonly stale: boolean;
  readonly purged: number;
  readonly stale_accepts: number;
  readonly bootstraps: number;
  readonly token_table_bytes: number;
  /** The log's newest `seq`, read when answering. */
  readonly log_last_seq: number;
}

const moment = (ms: number): WireTime | null => (ms === 0 ? null : timeToWire(ms));
const duration = (ms: number): number | null => (Number.isFinite(ms) ? ms : null);

/**
 * The replica's figures and the log's newest `seq` as the admin API answers them; a time or age that
 * does not exist yet (no event, no news) is `null`.
 *
 * @example
 * ```ts
 * return replicaToWire(replica.stats(), await log.lastSeq());
 * ```
 */
export function replicaToWire(stats: ReplicaStats, logLastSeq: number): ReplicaWire {
  return {
    tokens: stats.tokens,
    allowed: stats.allowed,
    sessions: stats.sessions,
    subjects: stats.subjects,
    keys: stats.keys,
    issuers: stats.issuers,
    last_seq: stats.lastSeq,
    source_seq: stats.sourceSeq,
    behind: stats.behind,
    last_event_at: moment(stats.lastEventAt),
    last_event_age_ms: duration(stats.lastEventAgeMs),
    fresh_at: moment(stats.freshAt),
    staleness_ms: duration(stats.stalenessMs),
    stale: stats.stale,
    purged: stats.purged,
    stale_accepts: stats.staleAccepts,
    bootstraps: stats.bootstraps,
    token_table_bytes: stats.tokenTableBytes,
    log_last_seq: logLastSeq,
  };
}
