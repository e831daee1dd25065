import { isRevocableError, RevocableError } from '@revocable/core';
import type { Kysely } from 'kysely';
import { openSqlDatabase, type SqlDatabase, type SqlDialectName } from './database.js';
import { migrate, type SqlMigration } from './migrate.js';
import { TablePrefixPlugin } from './table-prefix.js';
import { inWriteTransaction } from './write-transaction.js';

/**
 * Where a SQL store keeps its tables: give `url` (the store owns the database and closes it) or
 * `database` (shared with other stores, left open by `close()`).
 *
 * @example
 * ```ts
 * const options: SqlStoreOptions = { url: 'postgres://revocable@db/revocable', schema: 'revocable' };
 * const sessions = await SqlSessionStore.open(options);
 * ```
 */
export interface SqlStoreOptions {
  /** A database url for {@link openSqlDatabase}; the store opens it and closes it on `close()`. */
  readonly url?: string;
  /** An open database shared with other stores; `close()` leaves it open. */
  readonly database?: SqlDatabase;
  /** Prepended to every table (and index) name, e.g. `tenant1_`. Letters, digits and `_`. Default none. */
  readonly tablePrefix?: string;
  /** PostgreSQL only: the schema holding the tables, created when missing. Default: the search path. */
  readonly schema?: string;
}

/** A store's tables by logical name, each a row type (what Kysely's `withTables` accepts). */
export type StoreTableTypes = Record<string, Record<string, unknown>>;

/** What a store declares about its tables. */
export interface StoreSchema {
  /** The store's name in messages: `session store`, `user store`, … */
  readonly what: string;
  readonly historyTable: string;
  /** Every table name the store uses (the history table included), for the table-prefix plugin. */
  readonly tableNames: readonly string[];
  readonly migrations: readonly SqlMigration[];
}

// The prefix is short enough that `prefix + index name` stays within PostgreSQL's 63 bytes.
const TABLE_PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;
const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A list's `limit` as a whole number of rows: 100 when absent, never negative.
 *
 * @example
 * ```ts
 * query.limit(listLimit(options.limit));
 * ```
 */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined || Number.isNaN(limit)) return 100;
  return Math.max(0, Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER));
}

function configInvalid(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * Refuses a table prefix or schema name that is not a plain identifier, with `ERR_CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * checkStoreNames('tenant1_', 'revocable');
 * ```
 */
export function checkStoreNames(tablePrefix: string, schema: string | undefined): void {
  if (tablePrefix !== '' && !TABLE_PREFIX.test(tablePrefix)) {
    throw configInvalid(
      'tablePrefix must be up to 40 letters, digits or underscores, not starting with a digit.',
    );
  }
  if (schema !== undefined && !SCHEMA.test(schema)) {
    throw configInvalid('schema must be up to 63 letters, digits or underscores, not starting with a digit.');
  }
}

/**
 * One store's migrated tables in one database: the query builder (prefix and schema applied), how to
 * run an operation (refused once closed, awaited by `close()`, driver failures made stable), and
 * `close()`. Failures reject with `ERR_LOG_UNAVAILABLE` (the core's code for unavailable storage),
 * the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const tables = await StoreTables.open<KeyStoreTables>(options, KEY_STORE_SCHEMA);
 * const rows = await tables.run((db) => db.selectFrom('signing_keys').selectAll().execute());
 * ```
 */
export class StoreTables<DB extends StoreTableTypes> {
  readonly #database: SqlDatabase;
  readonly #owns: boolean;
  readonly #db: Kysely<DB>;
  readonly #what: string;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  private constructor(database: SqlDatabase, owns: boolean, db: Kysely<DB>, what: string) {
    this.#database = database;
    this.#owns = owns;
    this.#db = db;
    this.#what = what;
  }

  /**
   * Opens the database when given a url, then creates or migrates the store's tables. Throws
   * `ERR_CONFIG_INVALID` for bad options and `ERR_LOG_UNAVAILABLE` when the database cannot be reached
   * or migrated.
   */
  static async open<DB extends StoreTableTypes>(
    options: SqlStoreOptions,
    schema: StoreSchema,
  ): Promise<StoreTables<DB>> {
    if ((options.url === undefined) === (options.database === undefined)) {
      throw configInvalid(`Give the ${schema.what} exactly one of url and database.`);
    }
    const prefix = options.tablePrefix ?? '';
    checkStoreNames(prefix, options.schema);
    const database = options.database ?? (await openSqlDatabase({ url: options.url! }));
    const owns = options.database === undefined;
    try {
      if (options.schema !== undefined && database.dialect !== 'postgres') {
        throw configInvalid('schema applies to PostgreSQL only; use tablePrefix on SQLite.');
      }
      let db = database.kysely.withPlugin(new TablePrefixPlugin(prefix, schema.tableNames));
      if (options.schema !== undefined) db = db.withSchema(options.schema);
      await migrate({
        db,
        dialect: database.dialect,
        tablePrefix: prefix,
        schema: options.schema,
        historyTable: schema.historyTable,
        migrations: schema.migrations,
      }).catch((cause: unknown) => {
        throw new RevocableError(
          'ERR_LOG_UNAVAILABLE',
          `Could not prepare the ${schema.what} in ${database.location}.`,
          undefined,
          { cause },
        );
      });
      return new StoreTables(database, owns, db.withTables<DB>(), schema.what);
    } catch (error) {
      if (owns) await database.close().catch(() => undefined);
      throw error;
    }
  }

  get dialect(): SqlDialectName {
    return this.#database.dialect;
  }

  /** Runs one operation on the store's tables. */
  async run<T>(operation: (db: Kysely<DB>) => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      throw new RevocableError('ERR_LOG_UNAVAILABLE', `The ${this.#what} is closed.`);
    }
    const running = operation(this.#db);
    this.#inFlight.add(running);
    try {
      return await running;
    } catch (cause) {
      if (isRevocableError(cause)) throw cause;
      throw new RevocableError(
        'ERR_LOG_UNAVAILABLE',
        `The ${this.#what} in ${this.#database.location} failed.`,
        undefined,
        { cause },
      );
    } finally {
      this.#inFlight.delete(running);
    }
  }

  /** Runs `work` in one write transaction (`BEGIN IMMEDIATE` on SQLite): all of it commits, or none. */
  async write<T>(work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
    return this.run((db) => inWriteTransaction(db, this.#database.dialect, work));
  }

  /** Refuses new operations, waits for those in flight, and closes the database when the store opened it. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      if (this.#owns) await this.#database.close();
    })();
    return this.#closing;
  }
}
