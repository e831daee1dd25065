import type { SessionRecord } from './records.js';

/**
 * Whether a session is alive at `now` (epoch ms): not ended, and before both its idle and its absolute
 * expiry. The one definition every store, route and introspection answer uses.
 *
 * @example
 * ```ts
 * if (!isSessionLive(session, Date.now())) throw new ServiceError('ERR_SESSION_NOT_FOUND', 'No such live session.');
 * ```
 */
export function isSessionLive(session: SessionRecord, now: number): boolean {
  return session.endedAt === null && now < session.idleExpiresAt && now < session.absoluteExpiresAt;
}
