import type BetterSqlite3 from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
  type TransactionSettings,
} from 'kysely';

const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_TIMEOUT']);

function isBusy(error: unknown): boolean {
  return BUSY_CODES.has((error as { code?: unknown } | null)?.code as string);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kysely's SQLite dialect, with the waits for another connection's lock moved off the event loop.
 * better-sqlite3 waits for a lock synchronously (its busy timeout), stalling the whole process; so the
 * connection's busy timeout is kept short, and a statement that still finds the lock taken is retried
 * asynchronously until `timeoutMs` have passed (0: no limit), then fails with the driver's
 * `SQLITE_BUSY` error.
 *
 * Only a statement outside a transaction is retried, or the `BEGIN IMMEDIATE` that opens one: SQLite
 * did nothing for it. A lock error inside a transaction fails at once (the transaction rolls back).
 */
export class BusyRetryingSqliteDialect extends SqliteDialect {
  readonly #sqlite: BetterSqlite3.Database;
  readonly #timeoutMs: number;

  constructor(sqlite: BetterSqlite3.Database, timeoutMs: number) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
    this.#timeoutMs = timeoutMs;
  }

  override createDriver(): Driver {
    return new BusyRetryingDriver(super.createDriver(), this.#sqlite, this.#timeoutMs);
  }
}

class BusyRetryingDriver implements Driver {
  readonly #inner: Driver;
  readonly #connections = new WeakMap<DatabaseConnection, DatabaseConnection>();
  readonly #sqlite: BetterSqlite3.Database;
  readonly #timeoutMs: number;

  constructor(inner: Driver, sqlite: BetterSqlite3.Database, timeoutMs: number) {
    this.#inner = inner;
    this.#sqlite = sqlite;
    this.#timeoutMs = timeoutMs;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#inner.acquireConnection();
    let retrying = this.#connections.get(connection);
    if (retrying === undefined) {
      retrying = this.#retrying(connection);
      this.#connections.set(connection, retrying);
    }
    return retrying;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }

  #retrying(connection: DatabaseConnection): DatabaseConnection {
    const sqlite = this.#sqlite;
    const timeoutMs = this.#timeoutMs;
    return {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
        for (let wait = 5; ; wait = Math.min(wait * 2, 50)) {
          try {
            return await connection.executeQuery<R>(query);
          } catch (error) {
            if (!isBusy(error) || sqlite.inTransaction || Date.now() >= deadline) throw error;
            await pause(Math.min(wait, Math.max(0, deadline - Date.now())));
          }
        }
      },
      streamQuery<R>(query: CompiledQuery, chunkSize?: number) {
        return connection.streamQuery<R>(query, chunkSize);
      },
    };
  }
}
