import {
  checkNow,
  checkReadAfter,
  checkStatusListEntry,
  type RecordedStatusListEntry,
  type StatusListEntry,
  type StatusListStore,
} from '@revocable/core/internal';
import type { Kysely } from 'kysely';
import {
  entryFromRow,
  STATUS_LIST_STORE_SCHEMA,
  type StatusListStoreTables,
} from './status-list-store-schema.js';
import { type SqlStoreOptions, StoreTables } from './store-tables.js';
import { inWriteTransaction } from './write-transaction.js';

const STATE_ROW = 1;
/** Rows one purge statement deletes at most. */
const PURGE_BATCH = 2_000;

/** Thrown inside `claim`'s transaction to roll it back when the index is held. */
class IndexHeld extends Error {}

/**
 * The {@link StatusListStore} of the service's status lists on SQLite or PostgreSQL (table
 * `status_list_entries`), one Kysely code path for both; see the contract on `StatusListStore`, which
 * this class passes in the shared conformance suite.
 *
 * - **`claim`: exactly one caller gets a free index.** One write transaction first bumps the one-row
 *   counter `status_list_state.last_seq` (on PostgreSQL that takes the row's lock; SQLite holds the
 *   database's write lock since `BEGIN IMMEDIATE`), so claims queue until the holder commits: the
 *   check of the index and its upsert see every claim committed before, and entries become visible in
 *   `seq` order. A held index rolls the transaction back (its `seq` is not used).
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const store = await SqlStatusListStore.open({ url: './revocable.db' });
 * const recorded = await store.claim(entry, Date.now());
 * ```
 */
export class SqlStatusListStore implements StatusListStore {
  readonly #tables: StoreTables<StatusListStoreTables>;

  private constructor(tables: StoreTables<StatusListStoreTables>) {
    this.#tables = tables;
  }

  /**
   * Opens (and migrates) the store. Throws `ERR_CONFIG_INVALID` for bad options and
   * `ERR_LOG_UNAVAILABLE` when the database cannot be reached or migrated.
   *
   * @example
   * ```ts
   * const store = await SqlStatusListStore.open({ database, tablePrefix: 'tenant1_' });
   * ```
   */
  static async open(options: SqlStoreOptions): Promise<SqlStatusListStore> {
    return new SqlStatusListStore(
      await StoreTables.open<StatusListStoreTables>(options, STATUS_LIST_STORE_SCHEMA),
    );
  }

  async claim(entry: StatusListEntry, now: number): Promise<RecordedStatusListEntry | undefined> {
    const checked = checkStatusListEntry(entry);
    const at = checkNow(now);
    return this.#tables.run(async (db) => {
      try {
        return await inWriteTransaction(db, this.#tables.dialect, async (trx) => {
          const seq = await bumpSeq(trx);
          const held = await trx
            .selectFrom('status_list_entries')
            .select('free_at')
            .where('list', '=', checked.list)
            .where('idx', '=', checked.idx)
            .executeTakeFirst();
          if (held !== undefined && Number(held.free_at) > at) throw new IndexHeld();
          const row = {
            list: checked.list,
            idx: checked.idx,
            seq,
            iss: checked.iss,
            sub: checked.sub,
            sid: checked.sid,
            kid: checked.kid,
            jti: checked.jti,
            issued_at: checked.issuedAt,
            expires_at: checked.expiresAt,
            free_at: checked.freeAt,
          };
          const { list: _list, idx: _idx, ...replacement } = row;
          await trx
            .insertInto('status_list_entries')
            .values(row)
            .onConflict((conflict) => conflict.columns(['list', 'idx']).doUpdateSet(replacement))
            .execute();
          return Object.freeze({ ...checked, seq });
        });
      } catch (error) {
        if (error instanceof IndexHeld) return undefined;
        throw error;
      }
    });
  }

  async readAfter(seq: number, limit = 1000): Promise<RecordedStatusListEntry[]> {
    checkReadAfter(seq, limit);
    if (limit === 0) return [];
    const rows = await this.#tables.run((db) =>
      db
        .selectFrom('status_list_entries')
        .selectAll()
        .where('seq', '>', seq)
        .orderBy('seq')
        .limit(limit)
        .execute(),
    );
    return rows.map(entryFromRow);
  }

  async purge(now: number): Promise<number> {
    const at = checkNow(now);
    // In batches, each its own statement: a large backlog never needs one statement longer than the
    // statement timeout, and claims are not held behind one long delete.
    let removed = 0;
    for (;;) {
      const result = await this.#tables.run((db) =>
        db
          .deleteFrom('status_list_entries')
          .where('seq', 'in', (eb) =>
            eb
              .selectFrom('status_list_entries')
              .select('seq')
              .where('free_at', '<=', at)
              .orderBy('seq')
              .limit(PURGE_BATCH),
          )
          .executeTakeFirst(),
      );
      const deleted = Number(result.numDeletedRows);
      removed += deleted;
      if (deleted < PURGE_BATCH) return removed;
    }
  }

  async lastSeq(): Promise<number> {
    const row = await this.#tables.run((db) =>
      db
        .selectFrom('status_list_state')
        .select('last_seq')
        .where('id', '=', STATE_ROW)
        .executeTakeFirstOrThrow(),
    );
    return Number(row.last_seq);
  }

  /** Waits for calls in flight, then closes the database when the store opened it. */
  close(): Promise<void> {
    return this.#tables.close();
  }
}

/** The first statement of a claim: bumps the counter (taking its lock) and resolves the new `seq`. */
async function bumpSeq(trx: Kysely<StatusListStoreTables>): Promise<number> {
  const state = await trx
    .updateTable('status_list_state')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1).$castTo<number>() }))
    .where('id', '=', STATE_ROW)
    .returning('last_seq')
    .executeTakeFirstOrThrow();
  return Number(state.last_seq);
}
