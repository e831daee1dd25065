import { createHash } from 'node:crypto';
import type { SeenTokenStore } from '@revocable/core';
import { checkSeenTokenArguments } from '@revocable/core/internal';
import { SEEN_TOKEN_STORE_SCHEMA, type SeenTokenStoreTables } from './seen-token-store-schema.js';
import { type SqlStoreOptions, StoreTables } from './store-tables.js';

/** Options of {@link SqlSeenTokenStore.open}. */
export interface SqlSeenTokenStoreOptions extends SqlStoreOptions {
  /** The store's clock, epoch ms: a pair is held while its `until` lies after it. Default `Date.now`. */
  readonly clock?: () => number;
}

/** Rows one purge statement deletes at most. */
const PURGE_BATCH = 2_000;

function keyOf(scope: string, id: string): string {
  return createHash('sha256').update(`${scope.length}:${scope}${id}`).digest('base64url');
}

/**
 * The {@link SeenTokenStore} on SQLite or PostgreSQL (table `seen_tokens`), shared by every process
 * on the database; see the contract on `SeenTokenStore`, which this class passes in the shared
 * conformance suite.
 *
 * - `remember` is one `INSERT … ON CONFLICT (key) DO UPDATE … WHERE expires_at <= now`: a new pair is
 *   inserted, an expired one reclaimed, a held one left alone, and the row count says which. PostgreSQL
 *   makes a racing insert of the same key wait for the first one's commit and then re-checks the
 *   `WHERE` on the committed row; SQLite runs one writer at a time. So exactly one caller wins, across
 *   processes, without an error raised for the others.
 * - Pairs are keyed by a SHA-256 of scope and id, so ids of any length fit the index.
 * - `purgeExpired` deletes in batches, each statement short.
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const seen = await SqlSeenTokenStore.open({ url: './revocable.db' });
 * if (!(await seen.remember('ssf:https://idp.example', jti, until))) throw replay();
 * await seen.close();
 * ```
 */
export class SqlSeenTokenStore implements SeenTokenStore {
  readonly #tables: StoreTables<SeenTokenStoreTables>;
  readonly #clock: () => number;

  private constructor(tables: StoreTables<SeenTokenStoreTables>, clock: () => number) {
    this.#tables = tables;
    this.#clock = clock;
  }

  /**
   * Opens (and migrates) the seen-token store. Throws `ERR_CONFIG_INVALID` for bad options and
   * `ERR_LOG_UNAVAILABLE` when the database cannot be reached or migrated.
   *
   * @example
   * ```ts
   * const seen = await SqlSeenTokenStore.open({ url: 'postgres://revocable@db/revocable', schema: 'auth' });
   * ```
   */
  static async open(options: SqlSeenTokenStoreOptions): Promise<SqlSeenTokenStore> {
    const tables = await StoreTables.open<SeenTokenStoreTables>(options, SEEN_TOKEN_STORE_SCHEMA);
    return new SqlSeenTokenStore(tables, options.clock ?? Date.now);
  }

  async remember(scope: string, id: string, until: number): Promise<boolean> {
    checkSeenTokenArguments(scope, id, until);
    const now = this.#clock();
    const row = { key: keyOf(scope, id), scope, expires_at: Math.ceil(until) };
    const result = await this.#tables.run((db) =>
      db
        .insertInto('seen_tokens')
        .values(row)
        .onConflict((conflict) =>
          conflict
            .column('key')
            .doUpdateSet({ scope: row.scope, expires_at: row.expires_at })
            .where('seen_tokens.expires_at', '<=', now),
        )
        .executeTakeFirst(),
    );
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async forget(scope: string, id: string): Promise<void> {
    checkSeenTokenArguments(scope, id);
    await this.#tables.run((db) =>
      db.deleteFrom('seen_tokens').where('key', '=', keyOf(scope, id)).execute(),
    );
  }

  async purgeExpired(now: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const result = await this.#tables.run((db) =>
        db
          .deleteFrom('seen_tokens')
          .where('key', 'in', (eb) =>
            eb.selectFrom('seen_tokens').select('key').where('expires_at', '<=', now).limit(PURGE_BATCH),
          )
          .executeTakeFirst(),
      );
      removed += Number(result.numDeletedRows);
      if (Number(result.numDeletedRows) < PURGE_BATCH) return removed;
    }
  }

  /** Waits for calls in flight, then closes the database when the store opened it. */
  close(): Promise<void> {
    return this.#tables.close();
  }
}
