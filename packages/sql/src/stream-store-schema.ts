import type { StreamRecord } from '@revocable/core';
import type { Selectable } from 'kysely';
import type { Int8, NullableInt8 } from './column-types.js';
import type { StoreSchema } from './store-tables.js';

/** One Shared Signals stream per row. `events_requested` is JSON text; times are epoch ms. */
export type SsfStreamsTable = {
  stream_id: string;
  owner: string;
  method: string;
  endpoint_url: string;
  authorization_header: string | null;
  events_requested: string;
  description: string | null;
  status: string;
  reason: string | null;
  start_seq: Int8;
  created_at: Int8;
  updated_at: Int8;
};

/**
 * One queued SET per row, `(stream_id, jti)` its key and `(stream_id, dedupe_key)` unique. Held until
 * acknowledged (`acknowledged_at` set), then kept until purged so a late process cannot queue it again.
 * `available_at` is when a claim may hand it out (0: now; a lease or a retry puts it later).
 */
export type SsfEventsTable = {
  stream_id: string;
  jti: string;
  dedupe_key: string;
  set_jwt: string;
  sort_order: Int8;
  queued_at: Int8;
  available_at: Int8;
  attempts: number;
  acknowledged_at: NullableInt8;
};

/** One row (`id = 1`): the highest log `seq` every stream has been given events up to. */
export type SsfCursorTable = {
  id: number;
  seq: Int8;
};

/** One subject a receiver removed from a stream per row (SSF 1.0 §8.1.3.3), by its subject key. */
export type SsfExcludedSubjectsTable = {
  stream_id: string;
  subject_key: string;
};

/** The tables of the stream store, by their logical (unprefixed) names. */
export type StreamStoreTables = {
  ssf_streams: SsfStreamsTable;
  ssf_excluded_subjects: SsfExcludedSubjectsTable;
  ssf_events: SsfEventsTable;
  ssf_cursor: SsfCursorTable;
};

const HISTORY_TABLE = 'stream_store_migrations';

/**
 * The stream store's tables and schema, step by step. Version 1: `ssf_streams` (index on `owner`),
 * `ssf_events` (primary key `stream_id, jti`; unique `stream_id, dedupe_key`; index on `stream_id,
 * acknowledged_at, available_at` for claims; index on `acknowledged_at` for purging) and `ssf_cursor`.
 * Version 2: `ssf_excluded_subjects` (primary key `stream_id, subject_key`), the subjects receivers
 * removed from their streams.
 *
 * @example
 * ```ts
 * const tables = await StoreTables.open<StreamStoreTables>({ url }, STREAM_STORE_SCHEMA);
 * ```
 */
export const STREAM_STORE_SCHEMA: StoreSchema = {
  what: 'stream store',
  historyTable: HISTORY_TABLE,
  tableNames: ['ssf_streams', 'ssf_events', 'ssf_cursor', 'ssf_excluded_subjects', HISTORY_TABLE],
  migrations: [
    {
      version: 1,
      name: 'create ssf_streams, ssf_events and ssf_cursor',
      async up(db, { tablePrefix }) {
        await db.schema
          .createTable('ssf_streams')
          .addColumn('stream_id', 'text', (col) => col.primaryKey())
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('method', 'text', (col) => col.notNull())
          .addColumn('endpoint_url', 'text', (col) => col.notNull())
          .addColumn('authorization_header', 'text')
          .addColumn('events_requested', 'text', (col) => col.notNull())
          .addColumn('description', 'text')
          .addColumn('status', 'text', (col) => col.notNull())
          .addColumn('reason', 'text')
          .addColumn('start_seq', 'bigint', (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('updated_at', 'bigint', (col) => col.notNull())
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}ssf_streams_owner`)
          .on('ssf_streams')
          .column('owner')
          .execute();
        await db.schema
          .createTable('ssf_events')
          .addColumn('stream_id', 'text', (col) => col.notNull())
          .addColumn('jti', 'text', (col) => col.notNull())
          .addColumn('dedupe_key', 'text', (col) => col.notNull())
          .addColumn('set_jwt', 'text', (col) => col.notNull())
          .addColumn('sort_order', 'bigint', (col) => col.notNull())
          .addColumn('queued_at', 'bigint', (col) => col.notNull())
          .addColumn('available_at', 'bigint', (col) => col.notNull())
          .addColumn('attempts', 'integer', (col) => col.notNull())
          .addColumn('acknowledged_at', 'bigint')
          .addPrimaryKeyConstraint(`${tablePrefix}ssf_events_pk`, ['stream_id', 'jti'])
          .addUniqueConstraint(`${tablePrefix}ssf_events_dedupe`, ['stream_id', 'dedupe_key'])
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}ssf_events_claim`)
          .on('ssf_events')
          .columns(['stream_id', 'acknowledged_at', 'available_at'])
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}ssf_events_acknowledged_at`)
          .on('ssf_events')
          .column('acknowledged_at')
          .execute();
        await db.schema
          .createTable('ssf_cursor')
          .addColumn('id', 'integer', (col) => col.primaryKey())
          .addColumn('seq', 'bigint', (col) => col.notNull())
          .execute();
        await db.withTables<StreamStoreTables>().insertInto('ssf_cursor').values({ id: 1, seq: 0 }).execute();
      },
    },
    {
      version: 2,
      name: 'create ssf_excluded_subjects',
      async up(db, { tablePrefix }) {
        await db.schema
          .createTable('ssf_excluded_subjects')
          .addColumn('stream_id', 'text', (col) => col.notNull())
          .addColumn('subject_key', 'text', (col) => col.notNull())
          .addPrimaryKeyConstraint(`${tablePrefix}ssf_excluded_subjects_pk`, ['stream_id', 'subject_key'])
          .execute();
      },
    },
  ],
};

/**
 * A stored row as the stream it records.
 *
 * @example
 * ```ts
 * const streams = rows.map(streamFromRow);
 * ```
 */
export function streamFromRow(row: Selectable<SsfStreamsTable>): StreamRecord {
  return {
    streamId: row.stream_id,
    owner: row.owner,
    method: row.method,
    endpointUrl: row.endpoint_url,
    authorizationHeader: row.authorization_header,
    eventsRequested: JSON.parse(row.events_requested) as string[],
    description: row.description,
    status: row.status as StreamRecord['status'],
    reason: row.reason,
    startSeq: Number(row.start_seq),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
