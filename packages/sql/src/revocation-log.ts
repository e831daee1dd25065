import {
  DEFAULT_REVOCATION_POLICY,
  RevocableError,
  type RevocationEvent,
  type RevocationLog,
  type RevocationPolicy,
  type RevocationRequest,
  type RevocationSnapshot,
  type Unsubscribe,
} from '@revocable/core';
import { validateRequests } from '@revocable/core/internal';
import type { Kysely } from 'kysely';
import { EventFeed } from './event-feed.js';
import {
  eventFromRow,
  REVOCATION_LOG_HISTORY_TABLE,
  REVOCATION_LOG_MIGRATIONS,
  REVOCATION_LOG_TABLE_NAMES,
  type RevocationLogTables,
} from './revocation-log-schema.js';
import { type SqlStoreOptions, type StoreSchema, StoreTables } from './store-tables.js';

/**
 * Options of {@link SqlRevocationLog.open}: give `url` (the log owns the database) or `database` (shared).
 *
 * @example
 * ```ts
 * const options: SqlRevocationLogOptions = { url: 'postgres://revocable@db/revocable', schema: 'revocable' };
 * ```
 */
export interface SqlRevocationLogOptions extends SqlStoreOptions {
  readonly policy?: Partial<RevocationPolicy>;
  readonly clock?: () => number;
  /** How often subscribers look for other processes' appends while anyone listens, ms. Default 100; 0: never. */
  readonly pollIntervalMs?: number;
  /** Receives what a subscriber's listener throws. Default: a process warning. */
  readonly onListenerError?: (error: unknown) => void;
}

const INSERT_CHUNK = 1_000;
/** Rows one purge statement deletes at most. */
const PURGE_BATCH = 5_000;
const STATE_ROW = 1;

/** The log's tables, as every SQL store declares them (opened, prefixed and migrated by StoreTables). */
const REVOCATION_LOG_SCHEMA: StoreSchema = {
  what: 'revocation log',
  historyTable: REVOCATION_LOG_HISTORY_TABLE,
  tableNames: REVOCATION_LOG_TABLE_NAMES,
  migrations: REVOCATION_LOG_MIGRATIONS,
};

function wholeNumber(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RevocableError('ERR_REVOCATION_INVALID', `${name} must be a whole number, ${min} or more.`);
  }
  return value;
}

function warnListenerError(error: unknown): void {
  process.emitWarning(new Error('A revocation log listener threw.', { cause: error }));
}

/**
 * The {@link RevocationLog} on SQLite or PostgreSQL, one Kysely code path for both; see the contract on
 * `RevocationLog`, which this class passes in the shared conformance suite.
 *
 * - **Gap-free `seq`.** `append` bumps a one-row counter (`revocation_log_state.last_seq`) as the first
 *   statement of its transaction and numbers the batch from it. The row lock serializes appenders
 *   until commit, so seqs are consecutive, never reused (not even after `purge` emptied the table),
 *   and commit in `seq` order: a reader that sees `seq` n has already seen everything below it. An
 *   identity/sequence column would not do: `nextval` is not rolled back (a failed append leaves a
 *   hole) and transactions commit in any order (seq 8 can be visible before seq 7, and a reader that
 *   moved past 8 never sees 7). `max(seq) + 1` would reuse purged seqs.
 * - **Durability.** `append` resolves after COMMIT: SQLite runs in WAL mode with `synchronous=FULL`
 *   (the WAL is fsynced on every commit), PostgreSQL with `synchronous_commit=on` on every connection.
 *   An acknowledged append survives a process crash, and a power cut on storage that honours fsync.
 *   An append that rejects because the connection failed during COMMIT may still have been written:
 *   retrying it is safe, since a repeated rule has the effect of one.
 * - **subscribe.** This process's appends reach its listeners before `append` resolves (straight after
 *   commit, or once a read in flight has delivered what came before them); other processes'
 *   appends (PostgreSQL, or a SQLite file several processes share) are found by polling `readAfter`
 *   every `pollIntervalMs` (default 100 ms, an unref'd timer that runs only while anyone listens).
 *   The first subscription starts at the newest `seq` it finds a few ms after `subscribe()`: another
 *   process's append committed within that window is not delivered (readers resume with `readAfter`).
 * - Numbers come back as JS numbers (pg's `int8` strings are converted); rules are stored as JSON text.
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const log = await SqlRevocationLog.open({ url: 'postgres://revocable@db/revocable' });
 * const [event] = await log.append([
 *   { rule: { kind: 'subject', iss, sub: 'u1', cutoff: Date.now() }, reason: 'logout_all', actor: 'user:u1' },
 * ]);
 * await log.close();
 * ```
 */
export class SqlRevocationLog implements RevocationLog {
  readonly #tables: StoreTables<RevocationLogTables>;
  readonly #policy: RevocationPolicy;
  readonly #clock: () => number;
  readonly #feed: EventFeed;
  #closed = false;

  private constructor(tables: StoreTables<RevocationLogTables>, options: SqlRevocationLogOptions) {
    this.#tables = tables;
    this.#policy = { ...DEFAULT_REVOCATION_POLICY, ...options.policy };
    this.#clock = options.clock ?? Date.now;
    this.#feed = new EventFeed(
      { readAfter: (after, limit) => this.#readAfter(after, limit), lastSeq: () => this.#lastSeq() },
      {
        pollIntervalMs: options.pollIntervalMs ?? 100,
        onListenerError: options.onListenerError ?? warnListenerError,
      },
    );
  }

  /**
   * Opens (and migrates) the log. Throws `ERR_CONFIG_INVALID` for bad options and
   * `ERR_LOG_UNAVAILABLE` when the database cannot be reached or migrated.
   *
   * @example
   * ```ts
   * const log = await SqlRevocationLog.open({ url: './revocable.db', policy: { maxTokenLifetimeMs: 600_000 } });
   * ```
   */
  static async open(options: SqlRevocationLogOptions): Promise<SqlRevocationLog> {
    return new SqlRevocationLog(
      await StoreTables.open<RevocationLogTables>(options, REVOCATION_LOG_SCHEMA),
      options,
    );
  }

  async append(requests: readonly RevocationRequest[]): Promise<RevocationEvent[]> {
    this.#assertOpen();
    const now = this.#clock();
    // Rows are built from the checked fields only: whatever else a caller sent is never stored.
    const rows = validateRequests(requests, now, this.#policy).map(
      ({ rule, reason, actor, forgetAfter }) => ({
        kind: rule.kind,
        rule: JSON.stringify(rule),
        reason,
        actor,
        recorded_at: now,
        forget_after: forgetAfter,
      }),
    );
    const events = await this.#tables.write(async (trx) => {
      // The first statement: on PostgreSQL it takes the counter row's lock (SQLite holds the database's
      // write lock since BEGIN IMMEDIATE), so appenders queue here until the holder commits.
      const state = await trx
        .updateTable('revocation_log_state')
        .set((eb) => ({ last_seq: eb('last_seq', '+', rows.length).$castTo<number>() }))
        .where('id', '=', STATE_ROW)
        .returning('last_seq')
        .executeTakeFirstOrThrow();
      const first = Number(state.last_seq) - rows.length + 1;
      const numbered = rows.map((row, i) => ({ seq: first + i, ...row }));
      for (let i = 0; i < numbered.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('revocation_events')
          .values(numbered.slice(i, i + INSERT_CHUNK))
          .execute();
      }
      return numbered.map(eventFromRow);
    });
    await this.#feed.committed(events);
    return events;
  }

  async readAfter(seq: number, limit = 1000): Promise<RevocationEvent[]> {
    this.#assertOpen();
    wholeNumber(seq, 'seq', Number.MIN_SAFE_INTEGER);
    wholeNumber(limit, 'limit', 0);
    return this.#run((db) => this.#readAfter(seq, limit, db));
  }

  async snapshot(): Promise<RevocationSnapshot> {
    return this.#run(async (db) => {
      const takenAt = this.#clock();
      let transaction = db.transaction();
      // One database snapshot for both reads (SQLite gives one to every transaction).
      if (this.#tables.dialect === 'postgres') transaction = transaction.setIsolationLevel('repeatable read');
      return transaction.execute(async (trx) => {
        const seq = Number((await this.#state(trx)).last_seq);
        const rows = await trx
          .selectFrom('revocation_events')
          .selectAll()
          .where('seq', '<=', seq)
          .where('forget_after', '>', takenAt)
          .orderBy('seq')
          .execute();
        return { events: rows.map(eventFromRow), seq, takenAt };
      });
    });
  }

  async purge(now?: number): Promise<number> {
    this.#assertOpen();
    if (now !== undefined) wholeNumber(now, 'now', 0);
    const before = now ?? this.#clock();
    // In batches, each its own statement: a large backlog never needs one statement longer than the
    // statement timeout, and appends are not held behind one long delete.
    let removed = 0;
    for (;;) {
      const deleted = await this.#run(async (db) => {
        const result = await db
          .deleteFrom('revocation_events')
          .where('seq', 'in', (eb) =>
            eb
              .selectFrom('revocation_events')
              .select('seq')
              .where('forget_after', '<=', before)
              .orderBy('seq')
              .limit(PURGE_BATCH),
          )
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      });
      removed += deleted;
      if (deleted < PURGE_BATCH) return removed;
    }
  }

  async lastSeq(): Promise<number> {
    return this.#run((db) => this.#lastSeq(db));
  }

  async oldestSeq(): Promise<number> {
    return this.#run(async (db) => {
      // One statement, so an append between two reads cannot skew the answer.
      const row = await db
        .selectFrom('revocation_log_state')
        .where('id', '=', STATE_ROW)
        .select((eb) => [
          'last_seq',
          eb
            .selectFrom('revocation_events')
            .select((inner) => inner.fn.min('seq').as('oldest'))
            .as('oldest'),
        ])
        .executeTakeFirstOrThrow();
      return row.oldest === null ? Number(row.last_seq) + 1 : Number(row.oldest);
    });
  }

  subscribe(listener: (event: RevocationEvent) => void): Unsubscribe {
    if (this.#closed) return () => undefined;
    return this.#feed.subscribe(listener);
  }

  /** Stops subscriptions, waits for calls in flight, and closes the database when the log opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#feed.stop();
    await this.#tables.close();
  }

  /** The feed's reads go through the store's tables too (refused once closed, failures made stable). */
  #readAfter(after: number, limit: number, db?: Kysely<RevocationLogTables>): Promise<RevocationEvent[]> {
    const read = async (on: Kysely<RevocationLogTables>) => {
      const rows = await on
        .selectFrom('revocation_events')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(eventFromRow);
    };
    return db === undefined ? this.#tables.run(read) : read(db);
  }

  async #lastSeq(db?: Kysely<RevocationLogTables>): Promise<number> {
    const read = async (on: Kysely<RevocationLogTables>) => Number((await this.#state(on)).last_seq);
    return db === undefined ? this.#tables.run(read) : read(db);
  }

  async #state(db: Kysely<RevocationLogTables>) {
    return db
      .selectFrom('revocation_log_state')
      .select('last_seq')
      .where('id', '=', STATE_ROW)
      .executeTakeFirstOrThrow();
  }

  #assertOpen(): void {
    if (this.#closed) throw new RevocableError('ERR_LOG_UNAVAILABLE', 'The revocation log is closed.');
  }

  /** Runs one storage operation through the store's tables: refused once closed, failures made stable. */
  #run<T>(operation: (db: Kysely<RevocationLogTables>) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#tables.run(operation);
  }
}
