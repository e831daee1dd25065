import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';

/** The time limits of a {@link boundedPostgresPool}, ms; 0 turns one off. */
export interface PostgresTimeouts {
  /** Waiting for a connection: a new one, or a free one from a full pool. */
  readonly connectTimeoutMs: number;
  /** The server's `statement_timeout`; the client gives up {@link CLIENT_GRACE_MS} later. */
  readonly statementTimeoutMs: number;
  /** The server's `idle_in_transaction_session_timeout`: a transaction left open by a hung client. */
  readonly idleInTransactionTimeoutMs: number;
}

/** How long the client waits past `statement_timeout` for the server to report it itself. */
export const CLIENT_GRACE_MS = 1000;

const CLIENT_TIMEOUT = 'Query read timeout';

/**
 * A pg pool for Kysely whose every wait is bounded, so a hung server or a silently dead connection
 * fails requests within the timeouts instead of holding them:
 * - `connectionTimeoutMillis` bounds getting a connection (connecting, or queueing for a full pool);
 * - the server's `statement_timeout` cancels a slow statement; the client's `query_timeout` fails a
 *   statement whose answer never comes (the server or the network is frozen) {@link CLIENT_GRACE_MS}
 *   after that;
 * - a connection on which a statement timed out on the client is never reused: its later statements
 *   fail at once and it is destroyed when released (otherwise the pool would hand out a connection
 *   stuck behind an answer that may never come);
 * - TCP keepalive probes idle connections, so one the network silently dropped is found and closed.
 */
export function boundedPostgresPool(
  url: string,
  maxConnections: number,
  timeouts: PostgresTimeouts,
): PostgresPool {
  const settings = [
    // synchronous_commit=on, whatever the server default: a COMMIT is acknowledged only once its WAL
    // record is flushed, so an acknowledged append survives a crash.
    '-c synchronous_commit=on',
    `-c statement_timeout=${timeouts.statementTimeoutMs}`,
    `-c idle_in_transaction_session_timeout=${timeouts.idleInTransactionTimeoutMs}`,
  ];
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    options: settings.join(' '),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(timeouts.connectTimeoutMs > 0 && { connectionTimeoutMillis: timeouts.connectTimeoutMs }),
    ...(timeouts.statementTimeoutMs > 0 && { query_timeout: timeouts.statementTimeoutMs + CLIENT_GRACE_MS }),
  });
  // An idle client that loses its connection emits here; the pool drops it and the next query reconnects.
  pool.on('error', () => undefined);
  const clients = new WeakMap<pg.PoolClient, BoundedClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let bounded = clients.get(client);
      if (bounded === undefined) {
        bounded = new BoundedClient(client);
        clients.set(client, bounded);
      }
      return bounded as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

class BoundedClient {
  readonly #client: pg.PoolClient;
  #abandoned = false;

  constructor(client: pg.PoolClient) {
    this.#client = client;
    // A client checked out of the pool (inside a transaction, between two statements) whose connection
    // dies emits 'error' with no pool listener attached: unhandled, that would end the process. The
    // query in flight (or the next one) fails on its own; the client is dropped when released.
    client.on('error', () => {
      this.#abandoned = true;
    });
  }

  async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (this.#abandoned) throw new Error('The connection was abandoned after a statement timed out.');
    try {
      return (await this.#client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>;
    } catch (error) {
      if ((error as Error | null)?.message === CLIENT_TIMEOUT) this.#abandoned = true;
      throw error;
    }
  }

  release(): void {
    if (!this.#abandoned) {
      this.#client.release();
      return;
    }
    // Released with an error, the pool ends the client instead of keeping it; ending waits for the
    // server's goodbye, which a dead connection never sends, so the socket is destroyed as well.
    this.#client.release(new Error(CLIENT_TIMEOUT));
    (
      this.#client as unknown as { connection?: { stream?: { destroy(): void } } }
    ).connection?.stream?.destroy();
  }
}
