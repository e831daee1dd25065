import type { RevocationEvent } from '../revocation/rules.js';
import { EVENT_TYPES } from './event-types.js';

/** One CAEP event to send: its type, payload and primary subject (`sub_id`). */
export interface CaepEvent {
  readonly eventType: string;
  readonly event: Readonly<Record<string, unknown>>;
  readonly subject: Readonly<Record<string, unknown>>;
}

/** What the revocation log's event does not say, looked up by the caller. */
export interface CaepContext {
  /** The user of a revoked session, when known: the subject then names the user too. */
  readonly sessionOwner?: string | undefined;
}

function initiatingEntity(event: RevocationEvent): 'admin' | 'user' | 'policy' | 'system' {
  if (event.reason === 'admin' || event.reason === 'suspension' || event.actor.startsWith('admin'))
    return 'admin';
  if (event.reason === 'refresh_reuse' || event.reason === 'key_compromise') return 'policy';
  if (event.actor.startsWith('user:')) return 'user';
  return 'system';
}

/**
 * The CAEP 1.0 event that tells receivers about one revocation of the log, or `undefined` when none
 * fits:
 * - a `session` rule → `session-revoked` about that session (complex subject: `session` opaque, and
 *   `user` `iss_sub` when the owner is known);
 * - a `subject` rule for a password change → `credential-change` (`password`, `update`) about the user;
 *   any other `subject` rule (logout everywhere, suspension, admin, refresh reuse) → `session-revoked`
 *   about the user (every session);
 * - `token`, `key`, `issuer` and `allow` rules: no CAEP event describes them; and rules written from a
 *   received shared signal (reason `shared_signal`) are not sent on, so two services that transmit to
 *   each other never loop.
 *
 * `event_timestamp` is the rule's cutoff (seconds): a receiver revokes what was issued until then.
 *
 * @example
 * ```ts
 * const caep = caepEventOf(event, { sessionOwner: 'user-1' });
 * if (caep) await transmit(caep);
 * ```
 */
export function caepEventOf(event: RevocationEvent, context: CaepContext = {}): CaepEvent | undefined {
  const { rule } = event;
  if (event.reason === 'shared_signal' || event.reason === 'issued') return undefined;
  const common = {
    event_timestamp: Math.floor(('cutoff' in rule ? rule.cutoff : event.recordedAt) / 1000),
    initiating_entity: initiatingEntity(event),
    reason_admin: { en: event.reason },
  };
  if (rule.kind === 'session') {
    const owner = context.sessionOwner;
    return {
      eventType: EVENT_TYPES.sessionRevoked,
      event: common,
      subject: {
        format: 'complex',
        session: { format: 'opaque', id: rule.sid },
        ...(owner !== undefined && { user: { format: 'iss_sub', iss: rule.iss, sub: owner } }),
      },
    };
  }
  if (rule.kind === 'subject') {
    const subject = { format: 'iss_sub', iss: rule.iss, sub: rule.sub };
    return event.reason === 'password_change'
      ? {
          eventType: EVENT_TYPES.credentialChange,
          event: { ...common, credential_type: 'password', change_type: 'update' },
          subject,
        }
      : { eventType: EVENT_TYPES.sessionRevoked, event: common, subject };
  }
  return undefined;
}
