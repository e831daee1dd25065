import type { KeyChange, KeyEncryption, KeyRecord, KeyStore } from '@revocable/core';
import { holdsExactly, openPrivateJwk, sealPrivateJwk } from '@revocable/core/internal';
import { type Kysely, sql } from 'kysely';
import { KEY_STORE_SCHEMA, type KeyStoreTables, keyFromRow, keyToRow } from './key-store-schema.js';
import { advisoryLockKey } from './migrate.js';
import { type SqlStoreOptions, StoreTables } from './store-tables.js';

/**
 * Options of {@link SqlKeyStore.open}.
 *
 * @example
 * ```ts
 * const options: SqlKeyStoreOptions = { url: './revocable.db', keyEncryption: KeyEncryption.fromEnvironment(process.env) };
 * ```
 */
export interface SqlKeyStoreOptions extends SqlStoreOptions {
  /**
   * Encrypts private keys at rest (AES-256-GCM). When given, opening the store re-seals every key not
   * sealed with its current key (plaintext rows, rows under a previous key), and fails with
   * `ERR_KEY_DECRYPT` when a row opens with none of its keys.
   */
  readonly keyEncryption?: KeyEncryption | undefined;
}

/**
 * The {@link KeyStore} of a `KeyRing` on SQLite or PostgreSQL (table `signing_keys`), one Kysely code
 * path for both; see the contract on `KeyStore`, which this class passes in the shared conformance
 * suite.
 *
 * - `put` is one upsert on `kid`, so a reader sees the old record or the new one, never a mix.
 * - `commit` runs in one write transaction, serialised with every other commit on the same tables:
 *   SQLite's write lock (`BEGIN IMMEDIATE`), on PostgreSQL an advisory lock per schema and prefix, so
 *   even an empty table cannot be filled twice.
 * - The private JWK is stored as JSON text, or sealed with `keyEncryption`; it comes back with the same
 *   members. A record without `verifyUntil` comes back without it.
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`; a private key
 *   that does not decrypt with `ERR_KEY_DECRYPT`.
 *
 * @example
 * ```ts
 * const keys = await SqlKeyStore.open({ url: './revocable.db' });
 * const ring = await KeyRing.open({ store: keys });
 * ```
 */
export class SqlKeyStore implements KeyStore {
  readonly #tables: StoreTables<KeyStoreTables>;
  readonly #encryption: KeyEncryption | undefined;
  readonly #lockKey: number;

  private constructor(tables: StoreTables<KeyStoreTables>, options: SqlKeyStoreOptions) {
    this.#tables = tables;
    this.#encryption = options.keyEncryption;
    this.#lockKey = advisoryLockKey(`revocable:keys:${options.schema ?? ''}:${options.tablePrefix ?? ''}`);
  }

  /**
   * Opens (and migrates) the key store, then re-seals keys not stored under the current key-encryption
   * key. Throws `ERR_CONFIG_INVALID` for bad options, `ERR_LOG_UNAVAILABLE` when the database cannot be
   * reached or migrated, and `ERR_KEY_DECRYPT` when a stored key opens with none of the given keys.
   *
   * @example
   * ```ts
   * const keys = await SqlKeyStore.open({ database, tablePrefix: 'tenant1_' });
   * ```
   */
  static async open(options: SqlKeyStoreOptions): Promise<SqlKeyStore> {
    const store = new SqlKeyStore(await StoreTables.open<KeyStoreTables>(options, KEY_STORE_SCHEMA), options);
    if (store.#encryption !== undefined) {
      try {
        await store.rewrap();
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    return store;
  }

  async list(): Promise<KeyRecord[]> {
    const rows = await this.#tables.run((db) =>
      db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute(),
    );
    return rows.map((row) => keyFromRow(row, this.#encryption));
  }

  async put(record: KeyRecord): Promise<void> {
    const row = keyToRow(record, this.#encryption);
    await this.#tables.run((db) => upsert(db, row));
  }

  async delete(kid: string): Promise<boolean> {
    const result = await this.#tables.run((db) =>
      db.deleteFrom('signing_keys').where('kid', '=', kid).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }

  async commit(change: KeyChange): Promise<boolean> {
    const rows = (change.put ?? []).map((record) => keyToRow(record, this.#encryption));
    const deletes = [...(change.delete ?? [])];
    return this.#tables.write(async (trx) => {
      await this.#lock(trx);
      const stored = await trx.selectFrom('signing_keys').select(['kid', 'state']).execute();
      if (!holdsExactly(stored, change.expected)) return false;
      if (deletes.length > 0) await trx.deleteFrom('signing_keys').where('kid', 'in', deletes).execute();
      for (const row of rows) await upsert(trx, row);
      return true;
    });
  }

  /**
   * Re-seals every private key not stored the way the key-encryption settings write it: plaintext rows
   * when a key-encryption key is set, rows sealed with a previous one, sealed rows when only previous
   * keys are given (encryption being turned off). One transaction; resolves how many rows changed.
   * Throws `ERR_KEY_DECRYPT` (changing nothing) when a row opens with none of the keys.
   *
   * @example
   * ```ts
   * const changed = await keys.rewrap(); // `revocable keys rewrap`
   * ```
   */
  async rewrap(): Promise<number> {
    return this.#tables.write(async (trx) => {
      await this.#lock(trx);
      const rows = await trx.selectFrom('signing_keys').select(['kid', 'private_jwk']).execute();
      let changed = 0;
      for (const row of rows) {
        const opened = openPrivateJwk(row.kid, row.private_jwk, this.#encryption);
        if (opened.upToDate) continue;
        const sealed = sealPrivateJwk(row.kid, opened.jwk, this.#encryption);
        await trx
          .updateTable('signing_keys')
          .set({ private_jwk: sealed })
          .where('kid', '=', row.kid)
          .execute();
        changed++;
      }
      return changed;
    });
  }

  /** Waits for calls in flight, then closes the database when the store opened it. */
  close(): Promise<void> {
    return this.#tables.close();
  }

  async #lock(trx: Kysely<KeyStoreTables>): Promise<void> {
    // SQLite's BEGIN IMMEDIATE already holds the database's write lock.
    if (this.#tables.dialect === 'postgres') {
      await sql`select pg_advisory_xact_lock(${this.#lockKey})`.execute(trx);
    }
  }
}

function upsert(db: Kysely<KeyStoreTables>, row: ReturnType<typeof keyToRow>) {
  const { kid: _kid, ...replacement } = row;
  return db
    .insertInto('signing_keys')
    .values(row)
    .onConflict((conflict) => conflict.column('kid').doUpdateSet(replacement))
    .execute();
}
