import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RevocableError } from '@revocable/core';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import { boundedPostgresPool } from './postgres-pool.js';
import { makePrivateDatabaseFile } from './private-file.js';
import { BusyRetryingSqliteDialect } from './sqlite-busy-retry.js';

/**
 * The SQL engines `@revocable/sql` runs on.
 *
 * @example
 * ```ts
 * if (database.dialect === 'postgres') console.log('shared by every API server');
 * ```
 */
export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * An open SQL database: one Kysely instance over a SQLite file or a PostgreSQL pool. Stores such as
 * `SqlRevocationLog` share it; `close()` releases the file handle or every pooled connection.
 *
 * @example
 * ```ts
 * const database: SqlDatabase = await openSqlDatabase({ url: './revocable.db' });
 * const log = await SqlRevocationLog.open({ database });
 * await log.close(); // leaves the shared database open
 * await database.close();
 * ```
 */
export interface SqlDatabase {
  readonly dialect: SqlDialectName;
  /** The query builder every store of this package goes through: one code path for both engines. */
  readonly kysely: Kysely<object>;
  /** Where the data lives, for messages: a file path, `:memory:`, or the URL without its password. */
  readonly location: string;
  close(): Promise<void>;
}

/**
 * Options of {@link openSqlDatabase}.
 *
 * @example
 * ```ts
 * const options: OpenSqlDatabaseOptions = { url: 'postgres://revocable@db:5432/revocable', maxConnections: 20 };
 * ```
 */
export interface OpenSqlDatabaseOptions {
  /**
   * `postgres://…` or `postgresql://…` for PostgreSQL; otherwise SQLite: a file path, `sqlite:<path>`,
   * `sqlite://<path>`, `file:` URL, or `:memory:` / `sqlite::memory:`.
   */
  readonly url: string;
  /**
   * SQLite: the longest one wait for another connection's lock may block the thread, ms (the busy
   * timeout: better-sqlite3 waits synchronously, stalling the event loop, so keep it short; a statement
   * that still finds the lock taken retries asynchronously until `statementTimeoutMs`). The file's
   * first opener in a process sets it. Default 100.
   */
  readonly busyTimeoutMs?: number;
  /**
   * The longest one statement may take, ms; 0 for no limit. PostgreSQL: the server's
   * `statement_timeout`, and 1 s later the client gives up on its own (a frozen server or network
   * cannot even report the timeout) and drops that connection. SQLite: how long a statement keeps
   * retrying for a lock another connection holds. Failures reject (stores: `ERR_LOG_UNAVAILABLE`).
   * Default 5,000.
   */
  readonly statementTimeoutMs?: number;
  /**
   * PostgreSQL: the longest wait for a connection (a new one, or a free one of a full pool), ms; 0 for
   * no limit. Default 5,000.
   */
  readonly connectTimeoutMs?: number;
  /**
   * PostgreSQL: `idle_in_transaction_session_timeout`, ms: the server ends a transaction its client
   * left open (a hung process holding row locks); 0 for none. Default 10,000.
   */
  readonly idleInTransactionTimeoutMs?: number;
  /** PostgreSQL: the most pooled connections. Default 10. */
  readonly maxConnections?: number;
}

type Target = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

function configInvalid(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function parseTarget(url: string): Target {
  if (typeof url !== 'string' || url.trim() === '') throw configInvalid('The database url is empty.');
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', url };
  if (/^file:/i.test(url)) return { dialect: 'sqlite', path: fileURLToPath(url) };
  if (/^sqlite:/i.test(url)) {
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw configInvalid('The SQLite url names no file: use sqlite:<path> or :memory:.');
    return { dialect: 'sqlite', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw configInvalid(
      `Unsupported database url scheme "${url.split(':')[0]}": use postgres:// or a SQLite path.`,
    );
  }
  return { dialect: 'sqlite', path: url };
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

interface SharedFile {
  readonly kysely: Kysely<object>;
  users: number;
}

/**
 * Open SQLite files of this process, by absolute path. better-sqlite3 is synchronous: a second
 * connection to the same file waiting for the write lock would block the event loop, and with it the
 * first connection's commit, until the busy timeout fails it. So a process opens a file once and
 * every {@link openSqlDatabase} for it shares that connection (Kysely queues its queries).
 */
const sharedFiles = new Map<string, SharedFile>();

interface SqliteTimeouts {
  readonly busyTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

function connectSqlite(path: string, timeouts: SqliteTimeouts): Kysely<object> {
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(path, { timeout: timeouts.busyTimeoutMs });
    // WAL lets readers run beside the one writer. synchronous=FULL fsyncs the WAL on every commit, so
    // an acknowledged append survives a crash or a power cut (NORMAL could lose the last commits).
    if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  } catch (cause) {
    throw new RevocableError(
      'ERR_LOG_UNAVAILABLE',
      `Could not open the SQLite database at ${path}.`,
      undefined,
      {
        cause,
      },
    );
  }
  return new Kysely<object>({ dialect: new BusyRetryingSqliteDialect(sqlite, timeouts.statementTimeoutMs) });
}

function openSqlite(path: string, timeouts: SqliteTimeouts): SqlDatabase {
  if (path === ':memory:') {
    const kysely = connectSqlite(path, timeouts);
    return { dialect: 'sqlite', kysely, location: path, close: () => kysely.destroy() };
  }
  const key = resolve(path);
  let shared = sharedFiles.get(key);
  if (shared === undefined) {
    makePrivateDatabaseFile(key); // 0600: the file holds signing keys and password hashes
    shared = { kysely: connectSqlite(key, timeouts), users: 0 };
    sharedFiles.set(key, shared);
  }
  shared.users++;
  const file = shared;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (--file.users > 0) return;
    sharedFiles.delete(key);
    await file.kysely.destroy();
  };
  return { dialect: 'sqlite', kysely: file.kysely, location: key, close };
}

function openPostgres(url: string, options: OpenSqlDatabaseOptions): SqlDatabase {
  const pool = boundedPostgresPool(url, options.maxConnections ?? 10, {
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    statementTimeoutMs: options.statementTimeoutMs ?? 5_000,
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 10_000,
  });
  const kysely = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
  return { dialect: 'postgres', kysely, location: withoutPassword(url), close: () => kysely.destroy() };
}

/**
 * Opens a SQLite file (better-sqlite3; WAL, `synchronous=FULL`, a short busy timeout with asynchronous
 * retries) or a PostgreSQL pool (pg; `synchronous_commit=on`, connect and statement timeouts) behind
 * one Kysely instance. No wait on the database is unbounded unless its timeout is set to 0. Within one
 * process a SQLite file has one connection, shared by every handle opened on it and closed with the
 * last one; other processes may open the same file (their writers wait for each other, off the event
 * loop). Throws `ERR_CONFIG_INVALID` for a url it cannot use and `ERR_LOG_UNAVAILABLE` when a SQLite
 * file cannot be opened. PostgreSQL connects lazily.
 *
 * @example
 * ```ts
 * const database = await openSqlDatabase({ url: process.env.DATABASE_URL ?? './revocable.db' });
 * const log = await SqlRevocationLog.open({ database });
 * // …
 * await log.close();
 * await database.close();
 * ```
 */
export async function openSqlDatabase(options: OpenSqlDatabaseOptions): Promise<SqlDatabase> {
  const target = parseTarget(options.url);
  if (target.dialect === 'postgres') return openPostgres(target.url, options);
  return openSqlite(target.path, {
    busyTimeoutMs: options.busyTimeoutMs ?? 100,
    statementTimeoutMs: options.statementTimeoutMs ?? 5_000,
  });
}
