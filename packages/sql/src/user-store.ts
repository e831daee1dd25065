import type { ClientRecord, ClientStore, UserRecord, UserStore } from '@revocable/core/internal';
import { listLimit, type SqlStoreOptions, StoreTables } from './store-tables.js';
import {
  clientFromRow,
  USER_STORE_SCHEMA,
  type UserStoreTables,
  userFromRow,
  userToRow,
} from './user-store-schema.js';

/**
 * The {@link UserStore} and {@link ClientStore} on SQLite or PostgreSQL (tables `users` and
 * `clients`), one Kysely code path for both; see the contracts on those interfaces, which this class
 * passes in the shared conformance suite.
 *
 * - `createUser` is one `INSERT … ON CONFLICT DO NOTHING`: a taken `id` or `username_key` inserts no
 *   row and answers `'exists'`, on both engines and under concurrent calls (PostgreSQL makes a racing
 *   insert wait for the first one's commit), without an error ever being raised for it.
 * - `listUsers` orders by `username_key` compared by code point on both engines.
 * - `putClient` is one upsert on `id`.
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const users = await SqlUserStore.open({ url: './revocable.db' });
 * if ((await users.createUser(record)) === 'exists') throw conflict();
 * await users.close();
 * ```
 */
export class SqlUserStore implements UserStore, ClientStore {
  readonly #tables: StoreTables<UserStoreTables>;

  private constructor(tables: StoreTables<UserStoreTables>) {
    this.#tables = tables;
  }

  /**
   * Opens (and migrates) the user store. Throws `ERR_CONFIG_INVALID` for bad options and
   * `ERR_LOG_UNAVAILABLE` when the database cannot be reached or migrated.
   *
   * @example
   * ```ts
   * const users = await SqlUserStore.open({ url: 'postgres://revocable@db/revocable', schema: 'auth' });
   * ```
   */
  static async open(options: SqlStoreOptions): Promise<SqlUserStore> {
    return new SqlUserStore(await StoreTables.open<UserStoreTables>(options, USER_STORE_SCHEMA));
  }

  async createUser(user: UserRecord): Promise<'created' | 'exists'> {
    const result = await this.#tables.run((db) =>
      db
        .insertInto('users')
        .values(userToRow(user))
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst(),
    );
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1 ? 'created' : 'exists';
  }

  async findByUsername(usernameKey: string): Promise<UserRecord | undefined> {
    const row = await this.#tables.run((db) =>
      db.selectFrom('users').selectAll().where('username_key', '=', usernameKey).executeTakeFirst(),
    );
    return row && userFromRow(row);
  }

  async getUser(id: string): Promise<UserRecord | undefined> {
    const row = await this.#tables.run((db) =>
      db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row && userFromRow(row);
  }

  async setPassword(id: string, passwordHash: string, at: number): Promise<boolean> {
    const result = await this.#tables.run((db) =>
      db
        .updateTable('users')
        .set({ password_hash: passwordHash, password_changed_at: at })
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  async setDisabled(id: string, disabledAt: number | null): Promise<boolean> {
    const result = await this.#tables.run((db) =>
      db.updateTable('users').set({ disabled_at: disabledAt }).where('id', '=', id).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0;
  }

  async listUsers(options: { readonly limit?: number; readonly after?: string } = {}): Promise<UserRecord[]> {
    const { after } = options;
    const rows = await this.#tables.run((db) =>
      db
        .selectFrom('users')
        .selectAll()
        .$if(after !== undefined, (query) => query.where('username_key', '>', after!))
        .orderBy('username_key')
        .limit(listLimit(options.limit))
        .execute(),
    );
    return rows.map(userFromRow);
  }

  async putClient(client: ClientRecord): Promise<void> {
    const row = { id: client.id, secret_hash: client.secretHash, created_at: client.createdAt };
    await this.#tables.run((db) =>
      db
        .insertInto('clients')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('id').doUpdateSet({ secret_hash: row.secret_hash, created_at: row.created_at }),
        )
        .execute(),
    );
  }

  async getClient(id: string): Promise<ClientRecord | undefined> {
    const row = await this.#tables.run((db) =>
      db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row && clientFromRow(row);
  }

  async listClients(): Promise<ClientRecord[]> {
    const rows = await this.#tables.run((db) => db.selectFrom('clients').selectAll().orderBy('id').execute());
    return rows.map(clientFromRow);
  }

  async deleteClient(id: string): Promise<boolean> {
    const result = await this.#tables.run((db) =>
      db.deleteFrom('clients').where('id', '=', id).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) > 0;
  }

  /** Waits for calls in flight, then closes the database when the store opened it. */
  close(): Promise<void> {
    return this.#tables.close();
  }
}
