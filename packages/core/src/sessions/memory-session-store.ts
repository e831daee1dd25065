import { isSessionLive } from './liveness.js';
import type { RefreshTokenRecord, SessionRecord } from './records.js';
import type { NewRefreshToken, RefreshOutcome, SessionStore, SessionTouch } from './session-store.js';

/** A spent token earns a sibling only when its own use spent it, one generation before `generation`. */
function mayEarnSibling(
  spent: RefreshTokenRecord | undefined,
  sessionId: string,
  generation: number,
): boolean {
  return (
    spent !== undefined &&
    spent.sessionId === sessionId &&
    spent.consumedAt !== null &&
    !spent.superseded &&
    spent.generation === generation - 1
  );
}

/**
 * A {@link SessionStore} in process memory, for tests and single-process use without persistence.
 *
 * @example
 * ```ts
 * const sessions: SessionStore = new MemorySessionStore();
 * ```
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, SessionRecord>();
  readonly #tokens = new Map<string, RefreshTokenRecord>();
  /** The hashes of each session's tokens. */
  readonly #hashesOf = new Map<string, Set<string>>();
  /** Spent tokens that have had their one grace-window sibling. */
  readonly #siblingOf = new Set<string>();

  async createSession(session: SessionRecord, firstToken: RefreshTokenRecord): Promise<void> {
    this.#sessions.set(session.id, { ...session });
    this.#store({ ...firstToken });
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const session = this.#sessions.get(id);
    return session && { ...session };
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    const token = this.#tokens.get(hash);
    return token && { ...token };
  }

  async listSessions(
    sub: string,
    options: { includeEnded?: boolean; limit?: number } = {},
  ): Promise<SessionRecord[]> {
    const now = Date.now();
    return [...this.#sessions.values()]
      .filter((s) => s.sub === sub && (options.includeEnded || isSessionLive(s, now)))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, options.limit ?? 100)
      .map((s) => ({ ...s }));
  }

  async rotate(hash: string, next: NewRefreshToken, touch: SessionTouch): Promise<RefreshOutcome> {
    const token = this.#tokens.get(hash);
    const session = token && this.#sessions.get(token.sessionId);
    if (!token || !session || touch.now >= token.expiresAt || !isSessionLive(session, touch.now))
      return { status: 'invalid' };
    if (touch.clientId !== undefined && touch.clientId !== session.clientId) return { status: 'invalid' };
    if (token.consumedAt !== null) return { status: 'reused', token: { ...token }, session: { ...session } };
    this.#tokens.set(hash, { ...token, consumedAt: touch.now, superseded: false });
    for (const other of this.#hashesOf.get(session.id) ?? []) {
      const record = this.#tokens.get(other)!;
      if (record.consumedAt === null && record.generation <= token.generation)
        this.#tokens.set(other, { ...record, consumedAt: touch.now, superseded: true });
    }
    const updated: SessionRecord = {
      ...session,
      refreshGeneration: session.refreshGeneration + 1,
      lastSeenAt: touch.now,
      idleExpiresAt: Math.min(touch.idleExpiresAt, session.absoluteExpiresAt),
      device: touch.device,
      ip: touch.ip,
    };
    this.#sessions.set(session.id, updated);
    this.#store({ ...next, sessionId: session.id, generation: updated.refreshGeneration, superseded: false });
    return { status: 'rotated', session: { ...updated } };
  }

  async addSibling(
    sessionId: string,
    spentHash: string,
    token: NewRefreshToken,
    generation: number,
  ): Promise<boolean> {
    const session = this.#sessions.get(sessionId);
    if (!session || session.endedAt !== null || session.refreshGeneration !== generation) return false;
    if (!mayEarnSibling(this.#tokens.get(spentHash), sessionId, generation)) return false;
    if (this.#siblingOf.has(spentHash)) return false;
    this.#siblingOf.add(spentHash);
    this.#store({ ...token, sessionId, generation: session.refreshGeneration, superseded: false });
    return true;
  }

  async endSession(id: string, at: number, reason: string): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (!session || session.endedAt !== null) return false;
    this.#sessions.set(id, { ...session, endedAt: at, endReason: reason });
    return true;
  }

  async endSessionsOf(sub: string, at: number, reason: string, exceptId?: string): Promise<string[]> {
    const ended: string[] = [];
    for (const session of this.#sessions.values()) {
      if (session.sub === sub && session.id !== exceptId && session.endedAt === null) {
        this.#sessions.set(session.id, { ...session, endedAt: at, endReason: reason });
        ended.push(session.id);
      }
    }
    return ended;
  }

  async purgeExpired(now: number, retainMs: number): Promise<number> {
    let removed = 0;
    for (const [hash, token] of this.#tokens) {
      if (token.expiresAt <= now) {
        this.#forget(hash, token.sessionId);
        removed++;
      }
    }
    for (const [id, s] of this.#sessions) {
      const over = s.endedAt ?? Math.min(s.idleExpiresAt, s.absoluteExpiresAt);
      if (over < now - retainMs) {
        this.#sessions.delete(id);
        for (const hash of this.#hashesOf.get(id) ?? []) this.#forget(hash, id);
        this.#hashesOf.delete(id);
        removed++;
      }
    }
    return removed;
  }

  #store(token: RefreshTokenRecord): void {
    this.#tokens.set(token.hash, token);
    const hashes = this.#hashesOf.get(token.sessionId) ?? new Set<string>();
    this.#hashesOf.set(token.sessionId, hashes.add(token.hash));
  }

  #forget(hash: string, sessionId: string): void {
    this.#tokens.delete(hash);
    this.#siblingOf.delete(hash);
    this.#hashesOf.get(sessionId)?.delete(hash);
  }
}
