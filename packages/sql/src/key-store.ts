import type { KeyRecord, KeyStore } from '@revocable/core';
import { KEY_STORE_SCHEMA, type KeyStoreTables, keyFromRow, keyToRow } from './key-store-schema.js';
import { type SqlStoreOptions, StoreTables } from './store-tables.js';

/**
 * The {@link KeyStore} of a `KeyRing` on SQLite or PostgreSQL (table `signing_keys`), one Kysely code
 * path for both; see the contract on `KeyStore`, which this class passes in the shared conformance
 * suite.
 *
 * - `put` is one upsert on `kid`, so a reader sees the old record or the new one, never a mix.
 * - The private JWK is stored as JSON text and comes back with the same members; a record without
 *   `verifyUntil` comes back without it.
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const keys = await SqlKeyStore.open({ url: './revocable.db' });
 * const ring = await KeyRing.open({ store: keys });
 * ```
 */
export class SqlKeyStore implements KeyStore {
  readonly #tables: StoreTables<KeyStoreTables>;

  private constructor(tables: StoreTables<KeyStoreTables>) {
    this.#tables = tables;
  }

  /**
   * Opens (and migrates) the key store. Throws `ERR_CONFIG_INVALID` for bad options and
   * `ERR_LOG_UNAVAILABLE` when the database cannot be reached or migrated.
   *
   * @example
   * ```ts
   * const keys = await SqlKeyStore.open({ database, tablePrefix: 'tenant1_' });
   * ```
   */
  static async open(options: SqlStoreOptions): Promise<SqlKeyStore> {
    return new SqlKeyStore(await StoreTables.open<KeyStoreTables>(options, KEY_STORE_SCHEMA));
  }

  async list(): Promise<KeyRecord[]> {
    const rows = await this.#tables.run((db) =>
      db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute(),
    );
    return rows.map(keyFromRow);
  }

  async put(record: KeyRecord): Promise<void> {
    const row = keyToRow(record);
    const { kid: _kid, ...replacement } = row;
    await this.#tables.run((db) =>
      db
        .insertInto('signing_keys')
        .values(row)
        .onConflict((conflict) => conflict.column('kid').doUpdateSet(replacement))
        .execute(),
    );
  }

  async delete(kid: string): Promise<boolean> {
    const result = await this.#tables.run((db) =>
      db.deleteFrom('signing_keys').where('kid', '=', kid).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }

  /** Waits for calls in flight, then closes the database when the store opened it. */
  close(): Promise<void> {
    return this.#tables.close();
  }
}
