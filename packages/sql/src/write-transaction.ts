import { type Kysely, sql } from 'kysely';
import type { SqlDialectName } from './database.js';

/**
 * Runs `work` in a write transaction on one connection and commits, or rolls back and rethrows.
 * SQLite starts it with `BEGIN IMMEDIATE`: the write lock is taken before anything is read, so a
 * transaction never has to upgrade a stale read snapshot and fail. Waiting for that lock, while
 * another process holds it, happens off the event loop and up to the database's statement timeout
 * (see `openSqlDatabase`), then rejects with the driver's `SQLITE_BUSY`; nothing of `work` has run.
 *
 * @example
 * ```ts
 * const seq = await inWriteTransaction(db, 'sqlite', async (trx) => bumpCounter(trx));
 * ```
 */
export async function inWriteTransaction<DB, T>(
  db: Kysely<DB>,
  dialect: SqlDialectName,
  work: (trx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    let result: T;
    try {
      result = await work(conn);
    } catch (error) {
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => undefined);
      throw error;
    }
    await sql.raw('commit').execute(conn);
    return result;
  });
}
