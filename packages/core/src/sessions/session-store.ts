import type { RefreshTokenRecord, SessionRecord } from './records.js';

/** What a refresh attempt found, decided atomically. */
export type RefreshOutcome =
  /** The token was unused and is now spent; `session` is the updated session (newer generation). */
  | { readonly status: 'rotated'; readonly session: SessionRecord }
  /** The token had been spent before: `token` says when; the session is untouched. */
  | { readonly status: 'reused'; readonly token: RefreshTokenRecord; readonly session: SessionRecord }
  /** No such token, or it expired, or its session has ended or expired. Nothing changed. */
  | { readonly status: 'invalid' };

/** A refresh token to store: the store sets its `generation`, `sessionId` and `superseded` itself. */
export type NewRefreshToken = Omit<RefreshTokenRecord, 'generation' | 'sessionId' | 'superseded'>;

/** What changes on a session when one of its refresh tokens is rotated. */
export interface SessionTouch {
  readonly now: number;
  readonly idleExpiresAt: number;
  readonly device: string | null;
  readonly ip: string | null;
  /** When set, a token whose session belongs to another client answers `invalid` and changes nothing. */
  readonly clientId?: string;
}

/**
 * Sessions and their refresh tokens.
 *
 * Contract (checked by the session-store conformance suite for every backend):
 * - "Not found" is `undefined` (or `[]` for lists, `false`/`'invalid'` for changes); methods never
 *   throw for it.
 * - `findRefreshToken(hash)` returns the stored record (spent ones too) or `undefined`.
 * - `createSession` writes the session and its first refresh token in one transaction.
 * - `rotate(hash, next, touch)` is atomic and **exactly one caller wins**: of any number of
 *   concurrent calls with the same unused `hash`, exactly one gets `rotated` (the token is marked spent,
 *   `next` is stored with generation `session.refreshGeneration + 1`, and the session's
 *   `refreshGeneration`, `lastSeenAt`, `idleExpiresAt`, `device`, `ip` are updated in the same
 *   transaction); every other gets `reused`. A token that is expired, unknown, or whose session has
 *   ended or passed its idle or absolute expiry gives `invalid` and changes nothing.
 * - Rotating a token also spends (`consumedAt` = `touch.now`, `superseded` = `true`) every other
 *   unspent token of the session of the same or an older generation — an unused grace-window sibling,
 *   the other branch of a fork. The rotated token itself is spent with `superseded` = `false`.
 * - `addSibling(sessionId, spentHash, token, generation)` stores another token of the session's
 *   current generation as the one sibling of the spent token `spentHash` (the grace-window answer to a
 *   racing refresh), atomically: of any number of calls for the same `spentHash`, at most one stores
 *   its token and answers `true`. It answers `false` and stores nothing if the session has ended, if
 *   its generation is no longer `generation` (a rotation came in between), if `spentHash` is not a
 *   token of this session spent by its own rotation at generation `generation - 1` (unknown, unspent,
 *   older, or `superseded`), or if `spentHash` already has a sibling.
 * - **Invariant (one refresh at most for a copy):** a token spent because another branch moved never
 *   earns a sibling, so once a sibling exists, the first of the two branches to rotate supersedes the
 *   other, and any use of the other is `reused`. Two holders of one token (a thief and its owner) get
 *   at most one refresh before the next refresh of either party makes the other's use a reuse.
 * - Writers take a session before its tokens (SQL: the session row lock first), so concurrent
 *   rotations of two live tokens of one session queue rather than deadlock.
 * - `endSession` sets `endedAt`/`endReason` once; it returns `true` only for the call that ended it.
 *   Ending a session makes its refresh tokens unusable (`rotate` answers `invalid`).
 * - `endSessionsOf(sub, …, exceptId)` ends every live session of the user but one, returning the ids it ended.
 * - `listSessions(sub)` returns the user's sessions, newest first; live ones only unless `includeEnded`.
 * - `purgeExpired(now)` deletes refresh tokens past `expiresAt` and sessions ended or expired before
 *   `now - retainMs`; it never touches a live session.
 *
 * @example
 * ```ts
 * const outcome = await store.rotate(hashOf(refreshToken), nextRecord, { now, idleExpiresAt, device, ip });
 * if (outcome.status === 'reused') await revoker.revokeSession(iss, outcome.session.id, { reason: 'refresh_reuse', actor: 'system' });
 * ```
 */
export interface SessionStore {
  createSession(session: SessionRecord, firstToken: RefreshTokenRecord): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** The refresh token with this hash, spent or not; `undefined` when unknown. */
  findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined>;
  listSessions(
    sub: string,
    options?: { readonly includeEnded?: boolean; readonly limit?: number },
  ): Promise<SessionRecord[]>;
  rotate(hash: string, next: NewRefreshToken, touch: SessionTouch): Promise<RefreshOutcome>;
  addSibling(
    sessionId: string,
    spentHash: string,
    token: NewRefreshToken,
    generation: number,
  ): Promise<boolean>;
  endSession(id: string, at: number, reason: string): Promise<boolean>;
  endSessionsOf(sub: string, at: number, reason: string, exceptId?: string): Promise<string[]>;
  purgeExpired(now: number, retainMs: number): Promise<number>;
}
