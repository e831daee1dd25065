import { EVENT_TYPES } from './event-types.js';
import { SetProblem } from './set-problem.js';

/** What an event is about, in the revocation log's terms. */
export type EventTarget =
  /** One session: tokens of issuer `iss` carrying `sid`. */
  | { readonly kind: 'session'; readonly iss: string; readonly sid: string; readonly sub?: string }
  /** One user: tokens of issuer `iss` carrying `sub`. */
  | { readonly kind: 'subject'; readonly iss: string; readonly sub: string };

/** Complex-subject members this receiver understands. */
const UNDERSTOOD = new Set(['format', 'user', 'session']);
const MAX_ID_LENGTH = 512;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new SetProblem(
      'invalid_request',
      `The ${what} is not a non-empty string of at most ${MAX_ID_LENGTH} characters.`,
    );
  }
  return value;
}

function formatOf(identifier: Record<string, unknown>): string {
  const format = identifier['format'];
  return typeof format === 'string' ? format : '(none)';
}

/** A user identifier (RFC 9493 `iss_sub`, or `opaque` read as a `sub` at the transmitter) as iss + sub. */
function userOf(identifier: Record<string, unknown>, transmitter: string): { iss: string; sub: string } {
  const format = formatOf(identifier);
  if (format === 'iss_sub') {
    return { iss: idOf(identifier['iss'], 'user\'s "iss"'), sub: idOf(identifier['sub'], 'user\'s "sub"') };
  }
  if (format === 'opaque') return { iss: transmitter, sub: idOf(identifier['id'], 'user\'s "id"') };
  throw new SetProblem(
    'invalid_request',
    `A user identified by format "${format.slice(0, 40)}" cannot be matched to tokens: use iss_sub or opaque.`,
  );
}

function sessionIdOf(identifier: Record<string, unknown>): string {
  const format = formatOf(identifier);
  if (format !== 'opaque') {
    throw new SetProblem(
      'invalid_request',
      `A session identified by format "${format.slice(0, 40)}" cannot be matched to tokens: use opaque.`,
    );
  }
  return idOf(identifier['id'], 'session\'s "id"');
}

/**
 * Reads the subject of a CAEP event (the SET's `sub_id`, an RFC 9493 subject identifier or an SSF
 * complex subject) as the session or user it revokes:
 * - a complex subject with `session` (format `opaque`) is that session, of the `user`'s issuer when
 *   `user` is `iss_sub`, else of the transmitter's; a complex subject with only `user` is that user;
 * - a simple `iss_sub` is that user; a simple `opaque` is a session for `session-revoked` (CAEP 1.0's
 *   own example) and a user (`sub` at the transmitter) for other events;
 * - a complex subject holding a member listed in `critical` that is not `user` or `session` is refused
 *   (SSF 1.0: an event whose critical member cannot be processed is discarded), as is any other
 *   format (email, phone number, …): those name no token claim. Throws {@link SetProblem}.
 *
 * @example
 * ```ts
 * const target = eventTargetOf(EVENT_TYPES.sessionRevoked, claims.subject, transmitter.issuer, []);
 * // { kind: 'session', iss: 'https://idp.example', sid: 'dMTlD…' }
 * ```
 */
export function eventTargetOf(
  eventType: string,
  subject: Readonly<Record<string, unknown>> | undefined,
  transmitter: string,
  critical: readonly string[],
): EventTarget {
  if (subject === undefined) throw new SetProblem('invalid_request', 'The SET has no subject ("sub_id").');
  const format = formatOf(subject);
  if (format === 'complex') {
    const unprocessable = critical.find((member) => subject[member] !== undefined && !UNDERSTOOD.has(member));
    if (unprocessable !== undefined) {
      throw new SetProblem(
        'invalid_request',
        `The subject's critical member "${unprocessable}" is not supported.`,
      );
    }
    const user = subject['user'];
    const session = subject['session'];
    if (user !== undefined && !isObject(user))
      throw new SetProblem('invalid_request', 'The subject\'s "user" is not an object.');
    if (session !== undefined && !isObject(session)) {
      throw new SetProblem('invalid_request', 'The subject\'s "session" is not an object.');
    }
    const owner = user === undefined ? undefined : userOf(user, transmitter);
    if (session !== undefined) {
      const sid = sessionIdOf(session);
      return owner === undefined
        ? { kind: 'session', iss: transmitter, sid }
        : { kind: 'session', iss: owner.iss, sid, sub: owner.sub };
    }
    if (owner !== undefined) return { kind: 'subject', ...owner };
    throw new SetProblem('invalid_request', 'The complex subject names neither a user nor a session.');
  }
  if (format === 'opaque' && eventType === EVENT_TYPES.sessionRevoked) {
    return { kind: 'session', iss: transmitter, sid: idOf(subject['id'], 'session\'s "id"') };
  }
  return { kind: 'subject', ...userOf(subject, transmitter) };
}
