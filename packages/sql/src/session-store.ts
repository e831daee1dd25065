import {
  isSessionLive,
  type NewRefreshToken,
  type RefreshOutcome,
  type RefreshTokenRecord,
  type SessionRecord,
  type SessionStore,
  type SessionTouch,
} from '@revocable/core/internal';
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import {
  SESSION_STORE_SCHEMA,
  type SessionStoreTables,
  sessionFromRow,
  sessionToRow,
  tokenFromRow,
  tokenToRow,
} from './session-store-schema.js';
import { listLimit, type SqlStoreOptions, StoreTables } from './store-tables.js';
import { inWriteTransaction } from './write-transaction.js';

type NextToken = NewRefreshToken;
type Found = { readonly token: RefreshTokenRecord; readonly session: SessionRecord };

const INVALID: RefreshOutcome = Object.freeze({ status: 'invalid' });
/** Rows one purge statement deletes at most (sessions: per transaction, with their tokens). */
const PURGE_BATCH = 2_000;

/** Thrown inside `rotate`'s transaction to roll back a spent token when the session ended meanwhile. */
class SessionEndedMeanwhile extends Error {}
class TokenSpentMeanwhile extends Error {}

/** What a refresh attempt with this token may do, before anything is written. */
function decide(found: Found | undefined, touch: SessionTouch): 'invalid' | 'reused' | 'unused' {
  if (found === undefined) return 'invalid';
  const { token, session } = found;
  if (touch.now >= token.expiresAt || !isSessionLive(session, touch.now)) return 'invalid';
  if (touch.clientId !== undefined && touch.clientId !== session.clientId) return 'invalid';
  return token.consumedAt === null ? 'unused' : 'reused';
}

/** Sessions over before `cutoff`: ended before it, or (still unended) past their idle or absolute expiry. */
function overBefore(cutoff: number) {
  return (eb: ExpressionBuilder<SessionStoreTables, 'sessions'>) =>
    eb.or([
      eb('ended_at', '<', cutoff),
      eb.and([
        eb('ended_at', 'is', null),
        eb.or([eb('idle_expires_at', '<', cutoff), eb('absolute_expires_at', '<', cutoff)]),
      ]),
    ]);
}

/**
 * The {@link SessionStore} on SQLite or PostgreSQL (tables `sessions` and `refresh_tokens`), one Kysely
 * code path for both; see the contract on `SessionStore`, which this class passes in the shared
 * conformance suite.
 *
 * - **`rotate`: exactly one caller wins.** One write transaction reads the token and its session and
 *   decides `invalid` or `reused` from them; an unused token is then spent with
 *   `UPDATE … SET consumed_at = now WHERE hash = ? AND consumed_at IS NULL`, and only the caller whose
 *   update changed a row goes on to bump the session's generation (guarded by `ended_at IS NULL` and
 *   both expiries) and store the next token. On SQLite `BEGIN IMMEDIATE` serializes the whole
 *   transaction; on PostgreSQL a racing caller's update waits on the winner's row lock, then matches
 *   nothing, and that caller re-reads the committed token and answers `reused`. A session ended
 *   between the read and the update rolls everything back and answers `invalid`.
 * - `endSession`, `endSessionsOf` are single conditional updates (`WHERE ended_at IS NULL`), so only
 *   one caller ends a session. `addSibling` locks the session row while it reads its generation, and
 *   a unique index on `sibling_of` lets one sibling per spent token in.
 * - Claims are stored as JSON text; times as `bigint` epoch ms, returned as JS numbers.
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const sessions = await SqlSessionStore.open({ url: './revocable.db' });
 * const outcome = await sessions.rotate(hashOf(refreshToken), next, { now, idleExpiresAt, device, ip });
 * await sessions.close();
 * ```
 */
export class SqlSessionStore implements SessionStore {
  readonly #tables: StoreTables<SessionStoreTables>;

  private constructor(tables: StoreTables<SessionStoreTables>) {
    this.#tables = tables;
  }

  /**
   * Opens (and migrates) the session store. Throws `ERR_CONFIG_INVALID` for bad options and
   * `ERR_LOG_UNAVAILABLE` when the database cannot be reached or migrated.
   *
   * @example
   * ```ts
   * const sessions = await SqlSessionStore.open({ database, tablePrefix: 'tenant1_' });
   * ```
   */
  static async open(options: SqlStoreOptions): Promise<SqlSessionStore> {
    return new SqlSessionStore(await StoreTables.open<SessionStoreTables>(options, SESSION_STORE_SCHEMA));
  }

  async createSession(session: SessionRecord, firstToken: RefreshTokenRecord): Promise<void> {
    await this.#tables.write(async (trx) => {
      await trx.insertInto('sessions').values(sessionToRow(session)).execute();
      await trx.insertInto('refresh_tokens').values(tokenToRow(firstToken)).execute();
    });
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return this.#tables.run((db) => this.#session(db, id));
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | undefined> {
    return this.#tables.run((db) => this.#token(db, hash));
  }

  async listSessions(
    sub: string,
    options: { readonly includeEnded?: boolean; readonly limit?: number } = {},
  ): Promise<SessionRecord[]> {
    const now = Date.now();
    const rows = await this.#tables.run((db) =>
      db
        .selectFrom('sessions')
        .selectAll()
        .where('sub', '=', sub)
        .$if(options.includeEnded !== true, (query) =>
          query
            .where('ended_at', 'is', null)
            .where('idle_expires_at', '>', now)
            .where('absolute_expires_at', '>', now),
        )
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(listLimit(options.limit))
        .execute(),
    );
    return rows.map(sessionFromRow);
  }

  async rotate(hash: string, next: NextToken, touch: SessionTouch): Promise<RefreshOutcome> {
    return this.#tables.run(async (db) => {
      try {
        return await inWriteTransaction(db, this.#tables.dialect, (trx) =>
          this.#rotate(trx, hash, next, touch),
        );
      } catch (error) {
        if (error instanceof SessionEndedMeanwhile) return INVALID;
        if (error instanceof TokenSpentMeanwhile) {
          const now = await this.#found(db, hash);
          return decide(now, touch) === 'reused' ? { status: 'reused', ...now! } : INVALID;
        }
        throw error;
      }
    });
  }

  async addSibling(
    sessionId: string,
    spentHash: string,
    token: NextToken,
    generation: number,
  ): Promise<boolean> {
    return this.#tables.write(async (trx) => {
      const session = await this.#lockSession(trx, sessionId);
      // Only the generation the caller saw: a rotation in between makes the spent token older than
      // the immediately previous one, and it gets no sibling.
      if (session === undefined || Number(session.refresh_generation) !== generation) return false;
      // Only a token its own use spent, one generation back: a superseded branch never earns one.
      const spent = await this.#token(trx, spentHash);
      if (
        spent === undefined ||
        spent.sessionId !== sessionId ||
        spent.consumedAt === null ||
        spent.superseded ||
        spent.generation !== generation - 1
      )
        return false;
      // The unique index on sibling_of decides which of concurrent callers stores the one sibling.
      const inserted = await trx
        .insertInto('refresh_tokens')
        .values(
          tokenToRow(
            { ...token, sessionId, generation: Number(session.refresh_generation), superseded: false },
            spentHash,
          ),
        )
        .onConflict((conflict) => conflict.column('sibling_of').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
    });
  }

  async endSession(id: string, at: number, reason: string): Promise<boolean> {
    const result = await this.#tables.run((db) =>
      db
        .updateTable('sessions')
        .set({ ended_at: at, end_reason: reason })
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  async endSessionsOf(sub: string, at: number, reason: string, exceptId?: string): Promise<string[]> {
    const rows = await this.#tables.run((db) =>
      db
        .updateTable('sessions')
        .set({ ended_at: at, end_reason: reason })
        .where('sub', '=', sub)
        .where('ended_at', 'is', null)
        .$if(exceptId !== undefined, (query) => query.where('id', '<>', exceptId!))
        .returning('id')
        .execute(),
    );
    return rows.map((row) => row.id);
  }

  async purgeExpired(now: number, retainMs: number): Promise<number> {
    // In batches, each short: a large backlog never needs a statement longer than the statement
    // timeout, and rotations are not held behind one long delete.
    let removed = 0;
    for (;;) {
      const tokens = await this.#tables.run((db) =>
        db
          .deleteFrom('refresh_tokens')
          .where('hash', 'in', (eb) =>
            eb.selectFrom('refresh_tokens').select('hash').where('expires_at', '<=', now).limit(PURGE_BATCH),
          )
          .executeTakeFirst(),
      );
      removed += Number(tokens.numDeletedRows);
      if (Number(tokens.numDeletedRows) < PURGE_BATCH) break;
    }
    const over = overBefore(now - retainMs);
    for (;;) {
      // A batch of sessions and their tokens in one transaction, so no token outlives its session.
      const sessions = await this.#tables.write(async (trx) => {
        const ids = (
          await trx.selectFrom('sessions').select('id').where(over).limit(PURGE_BATCH).execute()
        ).map((row) => row.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('refresh_tokens').where('session_id', 'in', ids).execute();
        const result = await trx.deleteFrom('sessions').where('id', 'in', ids).executeTakeFirst();
        return Number(result.numDeletedRows);
      });
      removed += sessions;
      if (sessions < PURGE_BATCH) return removed;
    }
  }

  /** Waits for calls in flight, then closes the database when the store opened it. */
  close(): Promise<void> {
    return this.#tables.close();
  }

  async #rotate(
    trx: Kysely<SessionStoreTables>,
    hash: string,
    next: NextToken,
    touch: SessionTouch,
  ): Promise<RefreshOutcome> {
    const found = await this.#found(trx, hash);
    const verdict = decide(found, touch);
    if (verdict === 'invalid') return INVALID;
    if (verdict === 'reused') return { status: 'reused', ...found! };
    // The session row first (its update takes the row lock on PostgreSQL), as addSibling does: every
    // writer of a session's tokens takes the session, then its tokens, so two branches rotating at once
    // queue instead of deadlocking.
    const { session, token } = found!;
    const updated = await trx
      .updateTable('sessions')
      .set((eb) => ({
        refresh_generation: eb('refresh_generation', '+', 1).$castTo<number>(),
        last_seen_at: touch.now,
        idle_expires_at: Math.min(touch.idleExpiresAt, session.absoluteExpiresAt),
        device: touch.device,
        ip: touch.ip,
      }))
      .where('id', '=', session.id)
      .where('ended_at', 'is', null)
      .where('idle_expires_at', '>', touch.now)
      .where('absolute_expires_at', '>', touch.now)
      .returningAll()
      .executeTakeFirst();
    if (updated === undefined) throw new SessionEndedMeanwhile();
    const rotated = sessionFromRow(updated);
    // One statement spends this token and supersedes the branch not taken (an unused sibling, a
    // fork): using that later is reuse, and it never earns a sibling. If this token is not among
    // them, another caller spent it after our read (PostgreSQL: we waited for its commit): roll back
    // and answer from what is stored now.
    const spent = await trx
      .updateTable('refresh_tokens')
      .set((eb) => ({
        consumed_at: touch.now,
        superseded: eb.case().when('hash', '=', hash).then(sql.lit(0)).else(sql.lit(1)).end(),
      }))
      .where('session_id', '=', session.id)
      .where('consumed_at', 'is', null)
      .where('generation', '<=', token.generation)
      .returning('hash')
      .execute();
    if (!spent.some((row) => row.hash === hash)) throw new TokenSpentMeanwhile();
    await trx
      .insertInto('refresh_tokens')
      .values(
        tokenToRow({
          ...next,
          sessionId: rotated.id,
          generation: rotated.refreshGeneration,
          superseded: false,
        }),
      )
      .execute();
    return { status: 'rotated', session: rotated };
  }

  /**
   * Takes the session's row lock on PostgreSQL (a no-op update rather than SELECT … FOR UPDATE, which
   * SQLite lacks; SQLite's write transactions run one at a time anyway); `undefined` if it has ended.
   */
  #lockSession(trx: Kysely<SessionStoreTables>, sessionId: string) {
    return trx
      .updateTable('sessions')
      .set((eb) => ({ refresh_generation: eb.ref('refresh_generation') }))
      .where('id', '=', sessionId)
      .where('ended_at', 'is', null)
      .returning('refresh_generation')
      .executeTakeFirst();
  }

  async #found(db: Kysely<SessionStoreTables>, hash: string): Promise<Found | undefined> {
    const token = await this.#token(db, hash);
    const session = token && (await this.#session(db, token.sessionId));
    return token && session && { token, session };
  }

  async #token(db: Kysely<SessionStoreTables>, hash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await db.selectFrom('refresh_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row && tokenFromRow(row);
  }

  async #session(db: Kysely<SessionStoreTables>, id: string): Promise<SessionRecord | undefined> {
    const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && sessionFromRow(row);
  }
}
