import { RevocableError } from '@revocable/core';
import { openSqlDatabase } from './database.js';
import { KEY_STORE_SCHEMA } from './key-store-schema.js';
import { pendingMigrations } from './migrate.js';
import { resolveStoreLocation } from './postgres-url-schema.js';
import {
  REVOCATION_LOG_HISTORY_TABLE,
  REVOCATION_LOG_MIGRATIONS,
  REVOCATION_LOG_TABLE_NAMES,
} from './revocation-log-schema.js';
import { SEEN_TOKEN_STORE_SCHEMA } from './seen-token-store-schema.js';
import { SESSION_STORE_SCHEMA } from './session-store-schema.js';
import { STATUS_LIST_STORE_SCHEMA } from './status-list-store-schema.js';
import type { StoreSchema } from './store-tables.js';
import { STREAM_STORE_SCHEMA } from './stream-store-schema.js';
import { TablePrefixPlugin } from './table-prefix.js';
import { USER_STORE_SCHEMA } from './user-store-schema.js';

/** Every store `openSqlStorage` opens, in the order it opens them. */
const STORE_SCHEMAS: readonly StoreSchema[] = [
  {
    what: 'revocation log',
    historyTable: REVOCATION_LOG_HISTORY_TABLE,
    tableNames: REVOCATION_LOG_TABLE_NAMES,
    migrations: REVOCATION_LOG_MIGRATIONS,
  },
  KEY_STORE_SCHEMA,
  SESSION_STORE_SCHEMA,
  USER_STORE_SCHEMA,
  SEEN_TOKEN_STORE_SCHEMA,
  STATUS_LIST_STORE_SCHEMA,
  STREAM_STORE_SCHEMA,
];

/** One store of the service and the migrations it still lacks (empty: up to date). */
export interface StoreMigrationStatus {
  /** `revocation log`, `key store`, `session store`, `user store` or `status list store`. */
  readonly store: string;
  readonly pending: ReadonlyArray<{ readonly version: number; readonly name: string }>;
}

/** Options of {@link sqlMigrationStatus}: the database as `openSqlStorage` takes it. */
export interface SqlMigrationStatusOptions {
  /** A SQLite path or url, or a `postgres://` url (a `schema` query parameter is honoured). */
  readonly url: string;
  readonly tablePrefix?: string;
  readonly schema?: string;
  /** PostgreSQL: the longest wait for a connection, ms. Default 5,000. */
  readonly connectTimeoutMs?: number;
}

/**
 * Which migrations each store of the service (revocation log, keys, sessions, users and clients) still
 * lacks in a database, applying none and creating no table; `openSqlStorage` applies them. Throws
 * `ERR_CONFIG_INVALID` for options it cannot use and `ERR_LOG_UNAVAILABLE` when the database does not
 * answer. A SQLite file that does not exist is created empty (0600), like on any open.
 *
 * @example
 * ```ts
 * const behind = (await sqlMigrationStatus({ url: './revocable.db' })).filter((s) => s.pending.length > 0);
 * for (const { store, pending } of behind) console.log(`${store}: ${pending.length} pending`);
 * ```
 */
export async function sqlMigrationStatus(
  options: SqlMigrationStatusOptions,
): Promise<StoreMigrationStatus[]> {
  const { url, schema, tablePrefix } = resolveStoreLocation(options);
  const database = await openSqlDatabase({
    url,
    ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
  });
  try {
    const statuses: StoreMigrationStatus[] = [];
    for (const store of STORE_SCHEMAS) {
      let db = database.kysely.withPlugin(new TablePrefixPlugin(tablePrefix, store.tableNames));
      if (schema !== undefined) db = db.withSchema(schema);
      const pending = await pendingMigrations({
        db,
        dialect: database.dialect,
        tablePrefix,
        schema,
        historyTable: store.historyTable,
        migrations: store.migrations,
      }).catch((cause: unknown) => {
        throw new RevocableError(
          'ERR_LOG_UNAVAILABLE',
          `Could not read the ${store.what}'s migrations in ${database.location}.`,
          undefined,
          { cause },
        );
      });
      statuses.push({ store: store.what, pending: pending.map(({ version, name }) => ({ version, name })) });
    }
    return statuses;
  } finally {
    await database.close();
  }
}
