import {
  type KeyEncryption,
  type KeyStore,
  RevocableError,
  type RevocationLog,
  type RevocationPolicy,
  type SeenTokenStore,
  type StreamStore,
} from '@revocable/core';
import type { ClientStore, SessionStore, StatusListStore, UserStore } from '@revocable/core/internal';
import { sql } from 'kysely';
import { openSqlDatabase, type SqlDatabase } from './database.js';
import { SqlKeyStore } from './key-store.js';
import { resolveStoreLocation } from './postgres-url-schema.js';
import { SqlRevocationLog } from './revocation-log.js';
import { SqlSeenTokenStore } from './seen-token-store.js';
import { SqlSessionStore } from './session-store.js';
import { SqlStatusListStore } from './status-list-store.js';
import { SqlStreamStore } from './stream-store.js';
import { SqlUserStore } from './user-store.js';

/**
 * Options of {@link openSqlStorage}.
 *
 * @example
 * ```ts
 * const options: OpenSqlStorageOptions = { url: 'postgres://revocable@db/revocable?schema=auth' };
 * ```
 */
export interface OpenSqlStorageOptions {
  /**
   * A SQLite path or url, or a `postgres://` url (see `openSqlDatabase`). A PostgreSQL url may name
   * the schema itself with a `schema` query parameter (`…/revocable?schema=tenant_1`, a plain
   * lower-case identifier); it is removed before the url reaches the driver.
   */
  readonly url: string;
  /** The revocation log's policy (token lifetime, clock skew, …). */
  readonly policy?: Partial<RevocationPolicy>;
  /** Prepended to every table (and index) name, e.g. `tenant1_`. Default none. */
  readonly tablePrefix?: string;
  /** PostgreSQL only: the schema holding every table, created when missing. Same as `?schema=`. */
  readonly schema?: string;
  /** Encrypts signing keys' private parts at rest; see `SqlKeyStoreOptions.keyEncryption`. */
  readonly keyEncryption?: KeyEncryption | undefined;
  /**
   * The longest one statement may take, ms (see `openSqlDatabase`); 0 for no limit. Default 5,000.
   * PostgreSQL migrations run before it applies, on connections without it: an upgrade that builds an
   * index over a large table may take minutes.
   */
  readonly statementTimeoutMs?: number;
  /** PostgreSQL: the longest wait for a connection, ms (see `openSqlDatabase`). Default 5,000. */
  readonly connectTimeoutMs?: number;
}

/**
 * Everything the Revocable service keeps, in one SQL database: the revocation log, signing keys,
 * sessions with their refresh tokens, users and run-time clients (`users` and `clients` are one store),
 * the replay memory of one-time tokens (`seenTokens`: logout tokens, Security Event Tokens), and the
 * entries of its Token Status Lists, and the Shared Signals streams with their queued SETs (`streams`).
 *
 * @example
 * ```ts
 * const storage: SqlStorage = await openSqlStorage({ url: './revocable.db' });
 * await storage.ping();
 * await storage.close();
 * ```
 */
export interface SqlStorage {
  readonly log: RevocationLog;
  readonly keys: KeyStore;
  readonly sessions: SessionStore;
  readonly users: UserStore;
  readonly clients: ClientStore;
  /** Ids of one-time tokens already accepted, shared by every process on this database. */
  readonly seenTokens: SeenTokenStore;
  /** The live entries of the service's Token Status Lists (used with `revocable serve --status-list`). */
  readonly statusLists: StatusListStore;
  /** Shared Signals streams and their unacknowledged SETs, shared by every process on this database. */
  readonly streams: StreamStore;
  /** Resolves when the database answers `select 1`; rejects with `ERR_LOG_UNAVAILABLE` otherwise. */
  ping(): Promise<void>;
  /** Closes every store, then the database; later calls return the same promise. */
  close(): Promise<void>;
}

/**
 * Opens one database (SQLite file or PostgreSQL pool) and every store of the service on it, creating
 * or migrating their tables. Throws `ERR_CONFIG_INVALID` for options it cannot use (among them a url
 * `schema` parameter that differs from `options.schema`) and `ERR_LOG_UNAVAILABLE` when the database
 * cannot be reached or prepared; nothing stays open after a failure.
 *
 * @example
 * ```ts
 * const storage = await openSqlStorage({
 *   url: 'postgres://postgres@127.0.0.1:5432/test?schema=e2e_1',
 *   policy: { maxTokenLifetimeMs: 600_000 },
 * });
 * const ring = await KeyRing.open({ store: storage.keys });
 * // …
 * await storage.close();
 * ```
 */
export async function openSqlStorage(options: OpenSqlStorageOptions): Promise<SqlStorage> {
  const { url, schema, tablePrefix } = resolveStoreLocation(options);
  const connectTimeoutMs = options.connectTimeoutMs;
  const bounds = {
    ...(connectTimeoutMs !== undefined && { connectTimeoutMs }),
    ...(options.statementTimeoutMs !== undefined && { statementTimeoutMs: options.statementTimeoutMs }),
  };
  const database = await openSqlDatabase({ url, ...bounds });
  const place = { tablePrefix, ...(schema !== undefined && { schema }) };
  let stores: Stores;
  try {
    if (database.dialect === 'postgres' && options.statementTimeoutMs !== 0) {
      const unbounded = await openSqlDatabase({
        url,
        ...(connectTimeoutMs !== undefined && { connectTimeoutMs }),
        statementTimeoutMs: 0,
      });
      try {
        await closeStores(await openStores(unbounded, place, options));
      } finally {
        await unbounded.close();
      }
    }
    stores = await openStores(database, place, options);
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  const { log, keys, sessions, users, seenTokens, statusLists, streams } = stores;
  let closing: Promise<void> | undefined;
  return {
    log,
    keys,
    sessions,
    users,
    clients: users,
    seenTokens,
    statusLists,
    streams,
    async ping() {
      try {
        await sql`select 1`.execute(database.kysely);
      } catch (cause) {
        throw new RevocableError(
          'ERR_LOG_UNAVAILABLE',
          `The database in ${database.location} does not answer.`,
          undefined,
          { cause },
        );
      }
    },
    close() {
      closing ??= (async () => {
        await closeStores(stores);
        await database.close();
      })();
      return closing;
    },
  };
}

interface Stores {
  readonly log: SqlRevocationLog;
  readonly keys: SqlKeyStore;
  readonly sessions: SqlSessionStore;
  readonly users: SqlUserStore;
  readonly seenTokens: SqlSeenTokenStore;
  readonly statusLists: SqlStatusListStore;
  readonly streams: SqlStreamStore;
}

/** Opens (creating or migrating) every store on `database`; closes those it opened when one fails. */
async function openStores(
  database: SqlDatabase,
  place: { readonly tablePrefix: string; readonly schema?: string },
  options: OpenSqlStorageOptions,
): Promise<Stores> {
  const where = { database, ...place };
  const opened: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(store: T): T => {
    opened.push(store);
    return store;
  };
  try {
    return {
      log: track(
        await SqlRevocationLog.open({ ...where, ...(options.policy && { policy: options.policy }) }),
      ),
      keys: track(await SqlKeyStore.open({ ...where, keyEncryption: options.keyEncryption })),
      sessions: track(await SqlSessionStore.open(where)),
      users: track(await SqlUserStore.open(where)),
      seenTokens: track(await SqlSeenTokenStore.open(where)),
      statusLists: track(await SqlStatusListStore.open(where)),
      streams: track(await SqlStreamStore.open(where)),
    };
  } catch (error) {
    for (const store of opened.reverse()) await store.close().catch(() => undefined);
    throw error;
  }
}

async function closeStores(stores: Stores): Promise<void> {
  await Promise.allSettled(
    [
      stores.log,
      stores.keys,
      stores.sessions,
      stores.users,
      stores.seenTokens,
      stores.statusLists,
      stores.streams,
    ].map((s) => s.close()),
  );
}
