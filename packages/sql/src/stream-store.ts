import type {
  ClaimedEvents,
  QueuedEventInput,
  StreamRecord,
  StreamStatus,
  StreamStore,
} from '@revocable/core';
import { checkStreamId, checkStreamNumber, MAX_SUBJECT_KEY } from '@revocable/core/internal';
import { type Kysely, sql } from 'kysely';
import { type SqlStoreOptions, StoreTables } from './store-tables.js';
import { STREAM_STORE_SCHEMA, type StreamStoreTables, streamFromRow } from './stream-store-schema.js';

/** Acknowledgements one statement marks at most. */
const ACK_BATCH = 500;

/**
 * The {@link StreamStore} on SQLite or PostgreSQL (tables `ssf_streams`, `ssf_events`, `ssf_cursor`),
 * shared by every process on the database; see the contract on `StreamStore`, which this class passes
 * in the shared conformance suite.
 *
 * - `claim` runs in one write transaction: on PostgreSQL it selects the available rows `FOR UPDATE SKIP
 *   LOCKED` (a concurrent claim skips rows another holds, and re-checks a row committed meanwhile, so
 *   it sees the new lease), on SQLite under `BEGIN IMMEDIATE` (one writer at a time); then it moves
 *   their `available_at` past the lease. So each SET goes to exactly one claimer per lease.
 * - `enqueue` is `INSERT … ON CONFLICT DO NOTHING` on the `(stream_id, dedupe_key)` unique index, after
 *   reading the stream's status `FOR SHARE` (PostgreSQL), so it cannot slip in beside a `disabled`.
 * - `createStream` takes a transaction-scoped advisory lock on the owner (PostgreSQL), so two racing
 *   creations cannot both pass the owner's limit.
 * - Acknowledged and dropped SETs stay (marked) until `purgeAcknowledged`, so a process that follows
 *   the log late cannot queue them again.
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`, the driver's error as `cause`.
 *
 * @example
 * ```ts
 * const streams = await SqlStreamStore.open({ url: './revocable.db' });
 * const { events } = await streams.claim(streamId, 25, Date.now(), 30_000);
 * await streams.close();
 * ```
 */
export class SqlStreamStore implements StreamStore {
  readonly #tables: StoreTables<StreamStoreTables>;

  private constructor(tables: StoreTables<StreamStoreTables>) {
    this.#tables = tables;
  }

  /**
   * Opens (and migrates) the stream store. Throws `ERR_CONFIG_INVALID` for bad options and
   * `ERR_LOG_UNAVAILABLE` when the database cannot be reached or migrated.
   *
   * @example
   * ```ts
   * const streams = await SqlStreamStore.open({ url: 'postgres://revocable@db/revocable', schema: 'auth' });
   * ```
   */
  static async open(options: SqlStoreOptions): Promise<SqlStreamStore> {
    return new SqlStreamStore(await StoreTables.open<StreamStoreTables>(options, STREAM_STORE_SCHEMA));
  }

  get #postgres(): boolean {
    return this.#tables.dialect === 'postgres';
  }

  async createStream(stream: StreamRecord, maxPerOwner: number): Promise<'created' | 'limit'> {
    checkStreamId(stream.streamId);
    checkStreamId(stream.owner, 'stream owner');
    checkStreamNumber(maxPerOwner, 'maxPerOwner');
    return this.#tables.write(async (trx) => {
      if (this.#postgres) {
        await sql`select pg_advisory_xact_lock(hashtext(${`ssf_streams:${stream.owner}`}))`.execute(trx);
      }
      const { count } = await trx
        .selectFrom('ssf_streams')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('owner', '=', stream.owner)
        .executeTakeFirstOrThrow();
      if (Number(count) >= maxPerOwner) return 'limit';
      const inserted = await trx
        .insertInto('ssf_streams')
        .values({
          stream_id: stream.streamId,
          owner: stream.owner,
          method: stream.method,
          endpoint_url: stream.endpointUrl,
          authorization_header: stream.authorizationHeader,
          events_requested: JSON.stringify(stream.eventsRequested),
          description: stream.description,
          status: stream.status,
          reason: stream.reason,
          start_seq: stream.startSeq,
          created_at: stream.createdAt,
          updated_at: stream.updatedAt,
        })
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1 ? 'created' : 'limit';
    });
  }

  async getStream(streamId: string): Promise<StreamRecord | undefined> {
    checkStreamId(streamId);
    const row = await this.#tables.run((db) =>
      db.selectFrom('ssf_streams').selectAll().where('stream_id', '=', streamId).executeTakeFirst(),
    );
    return row === undefined ? undefined : streamFromRow(row);
  }

  async listStreams(owner?: string): Promise<StreamRecord[]> {
    const rows = await this.#tables.run((db) => {
      let query = db.selectFrom('ssf_streams').selectAll().orderBy('created_at').orderBy('stream_id');
      if (owner !== undefined) query = query.where('owner', '=', owner);
      return query.execute();
    });
    return rows.map(streamFromRow);
  }

  async updateStream(
    streamId: string,
    change: Parameters<StreamStore['updateStream']>[1],
  ): Promise<StreamRecord | undefined> {
    checkStreamId(streamId);
    checkStreamNumber(change.updatedAt, 'updatedAt');
    await this.#tables.run((db) =>
      db
        .updateTable('ssf_streams')
        .set({
          method: change.method,
          endpoint_url: change.endpointUrl,
          authorization_header: change.authorizationHeader,
          events_requested: JSON.stringify(change.eventsRequested),
          description: change.description,
          updated_at: change.updatedAt,
        })
        .where('stream_id', '=', streamId)
        .execute(),
    );
    return this.getStream(streamId);
  }

  async setStatus(
    streamId: string,
    status: StreamStatus,
    reason: string | null,
    now: number,
  ): Promise<StreamRecord | undefined> {
    checkStreamId(streamId);
    checkStreamNumber(now, 'now');
    const updated = await this.#tables.write(async (trx) => {
      const result = await trx
        .updateTable('ssf_streams')
        .set({ status, reason, updated_at: now })
        .where('stream_id', '=', streamId)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      if (status === 'disabled') {
        // A disabled stream holds nothing: its queue is marked dropped (kept, like acknowledged SETs,
        // so a late process cannot queue the same events again).
        await trx
          .updateTable('ssf_events')
          .set({ acknowledged_at: now })
          .where('stream_id', '=', streamId)
          .where('acknowledged_at', 'is', null)
          .execute();
      }
      return true;
    });
    return updated ? this.getStream(streamId) : undefined;
  }

  async deleteStream(streamId: string): Promise<boolean> {
    checkStreamId(streamId);
    return this.#tables.write(async (trx) => {
      await trx.deleteFrom('ssf_events').where('stream_id', '=', streamId).execute();
      await trx.deleteFrom('ssf_excluded_subjects').where('stream_id', '=', streamId).execute();
      const result = await trx.deleteFrom('ssf_streams').where('stream_id', '=', streamId).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  async enqueue(streamId: string, event: QueuedEventInput, now: number): Promise<boolean> {
    checkStreamId(streamId);
    checkStreamId(event.jti, 'jti');
    checkStreamId(event.dedupeKey, 'dedupe key');
    checkStreamNumber(event.order, 'order');
    checkStreamNumber(now, 'now');
    return this.#tables.write(async (trx) => {
      let status = trx.selectFrom('ssf_streams').select('status').where('stream_id', '=', streamId);
      if (this.#postgres) status = status.forShare();
      const stream = await status.executeTakeFirst();
      if (stream === undefined || stream.status === 'disabled') return false;
      const inserted = await trx
        .insertInto('ssf_events')
        .values({
          stream_id: streamId,
          jti: event.jti,
          dedupe_key: event.dedupeKey,
          set_jwt: event.set,
          sort_order: event.order,
          queued_at: now,
          available_at: 0,
          attempts: 0,
          acknowledged_at: null,
        })
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    });
  }

  async claim(streamId: string, max: number, now: number, leaseMs: number): Promise<ClaimedEvents> {
    checkStreamId(streamId);
    checkStreamNumber(max, 'max');
    checkStreamNumber(now, 'now');
    checkStreamNumber(leaseMs, 'leaseMs');
    return this.#tables.write(async (trx) => {
      const stream = await trx
        .selectFrom('ssf_streams')
        .select('status')
        .where('stream_id', '=', streamId)
        .executeTakeFirst();
      if (stream?.status !== 'enabled') return { events: [], moreAvailable: false };
      const available = trx
        .selectFrom('ssf_events')
        .where('stream_id', '=', streamId)
        .where('acknowledged_at', 'is', null)
        .where('available_at', '<=', now);
      // Only the rows taken are locked: a lookahead row locked too would be skipped by other claims.
      let query = available
        .select(['jti', 'set_jwt', 'attempts'])
        .orderBy('sort_order')
        .orderBy('queued_at')
        .orderBy('jti')
        .limit(Math.floor(max));
      if (this.#postgres) query = query.forUpdate().skipLocked();
      const taken = await query.execute();
      await this.#lease(
        trx,
        streamId,
        taken.map((r) => r.jti),
        now + leaseMs,
      );
      const more = await available.select('jti').limit(1).executeTakeFirst();
      return {
        events: taken.map((row) => ({
          streamId,
          jti: row.jti,
          set: row.set_jwt,
          attempts: row.attempts + 1,
        })),
        moreAvailable: more !== undefined,
      };
    });
  }

  async #lease(
    trx: Kysely<StreamStoreTables>,
    streamId: string,
    jtis: string[],
    until: number,
  ): Promise<void> {
    for (let i = 0; i < jtis.length; i += ACK_BATCH) {
      await trx
        .updateTable('ssf_events')
        .set((eb) => ({ available_at: until, attempts: eb('attempts', '+', 1) }))
        .where('stream_id', '=', streamId)
        .where('jti', 'in', jtis.slice(i, i + ACK_BATCH))
        .execute();
    }
  }

  async release(streamId: string, jti: string, availableAt: number): Promise<void> {
    checkStreamId(streamId);
    checkStreamId(jti, 'jti');
    checkStreamNumber(availableAt, 'availableAt');
    await this.#tables.run((db) =>
      db
        .updateTable('ssf_events')
        .set({ available_at: Math.floor(availableAt) })
        .where('stream_id', '=', streamId)
        .where('jti', '=', jti)
        .where('acknowledged_at', 'is', null)
        .execute(),
    );
  }

  async acknowledge(streamId: string, jtis: readonly string[], now: number): Promise<number> {
    checkStreamId(streamId);
    checkStreamNumber(now, 'now');
    for (const jti of jtis) checkStreamId(jti, 'jti');
    const unique = [...new Set(jtis)];
    let marked = 0;
    for (let i = 0; i < unique.length; i += ACK_BATCH) {
      const result = await this.#tables.run((db) =>
        db
          .updateTable('ssf_events')
          .set({ acknowledged_at: now })
          .where('stream_id', '=', streamId)
          .where('jti', 'in', unique.slice(i, i + ACK_BATCH))
          .where('acknowledged_at', 'is', null)
          .executeTakeFirst(),
      );
      marked += Number(result.numUpdatedRows);
    }
    return marked;
  }

  async excludeSubject(
    streamId: string,
    key: string,
    maxPerStream: number,
  ): Promise<'excluded' | 'limit' | 'not-found'> {
    checkStreamId(streamId);
    checkStreamId(key, 'subject key', MAX_SUBJECT_KEY);
    checkStreamNumber(maxPerStream, 'maxPerStream');
    return this.#tables.write(async (trx) => {
      // The stream's row lock (PostgreSQL) serializes exclusions of one stream, so the count holds.
      let stream = trx.selectFrom('ssf_streams').select('stream_id').where('stream_id', '=', streamId);
      if (this.#postgres) stream = stream.forUpdate();
      if ((await stream.executeTakeFirst()) === undefined) return 'not-found';
      const held = await trx
        .selectFrom('ssf_excluded_subjects')
        .select('subject_key')
        .where('stream_id', '=', streamId)
        .where('subject_key', '=', key)
        .executeTakeFirst();
      if (held !== undefined) return 'excluded';
      const { count } = await trx
        .selectFrom('ssf_excluded_subjects')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('stream_id', '=', streamId)
        .executeTakeFirstOrThrow();
      if (Number(count) >= maxPerStream) return 'limit';
      await trx
        .insertInto('ssf_excluded_subjects')
        .values({ stream_id: streamId, subject_key: key })
        .execute();
      return 'excluded';
    });
  }

  async includeSubject(streamId: string, key: string): Promise<void> {
    checkStreamId(streamId);
    checkStreamId(key, 'subject key', MAX_SUBJECT_KEY);
    await this.#tables.run((db) =>
      db
        .deleteFrom('ssf_excluded_subjects')
        .where('stream_id', '=', streamId)
        .where('subject_key', '=', key)
        .execute(),
    );
  }

  async anyExcluded(streamId: string, keys: readonly string[]): Promise<boolean> {
    checkStreamId(streamId);
    if (keys.length === 0) return false;
    const row = await this.#tables.run((db) =>
      db
        .selectFrom('ssf_excluded_subjects')
        .select('subject_key')
        .where('stream_id', '=', streamId)
        .where('subject_key', 'in', [...keys])
        .limit(1)
        .executeTakeFirst(),
    );
    return row !== undefined;
  }

  async purgeAcknowledged(before: number): Promise<number> {
    checkStreamNumber(before, 'before');
    const result = await this.#tables.run((db) =>
      db.deleteFrom('ssf_events').where('acknowledged_at', '<', before).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  async cursor(): Promise<number> {
    const row = await this.#tables.run((db) =>
      db.selectFrom('ssf_cursor').select('seq').where('id', '=', 1).executeTakeFirst(),
    );
    return Number(row?.seq ?? 0);
  }

  async advanceCursor(seq: number): Promise<void> {
    checkStreamNumber(seq, 'seq');
    await this.#tables.run((db) =>
      db.updateTable('ssf_cursor').set({ seq }).where('id', '=', 1).where('seq', '<', seq).execute(),
    );
  }

  /** Waits for calls in flight, then closes the database when the store opened it. */
  close(): Promise<void> {
    return this.#tables.close();
  }
}
