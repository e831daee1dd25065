import type { RecordedStatusListEntry } from '@revocable/core/internal';
import type { Selectable } from 'kysely';
import type { Int8 } from './column-types.js';
import type { StoreSchema } from './store-tables.js';

/** One live status list entry per row: (`list`, `idx`) its primary key, `seq` unique. */
export type StatusListEntriesTable = {
  list: string;
  idx: Int8;
  seq: Int8;
  iss: string;
  sub: string;
  sid: string | null;
  kid: string;
  jti: string;
  issued_at: Int8;
  expires_at: Int8;
  free_at: Int8;
};

/** One row (`id = 1`) holding the last `seq` handed out; its lock orders the claims. */
export type StatusListStateTable = {
  id: number;
  last_seq: Int8;
};

/** The tables of the status list store, by their logical (unprefixed) names. */
export type StatusListStoreTables = {
  status_list_entries: StatusListEntriesTable;
  status_list_state: StatusListStateTable;
};

const HISTORY_TABLE = 'status_list_migrations';

/**
 * The status list store's tables and schema, step by step. Version 1: `status_list_entries` (indexes
 * on `seq` for `readAfter` and on `free_at` for `purge`) and the one-row counter `claim` bumps first.
 *
 * @example
 * ```ts
 * const tables = await StoreTables.open<StatusListStoreTables>({ url }, STATUS_LIST_STORE_SCHEMA);
 * ```
 */
export const STATUS_LIST_STORE_SCHEMA: StoreSchema = {
  what: 'status list store',
  historyTable: HISTORY_TABLE,
  tableNames: ['status_list_entries', 'status_list_state', HISTORY_TABLE],
  migrations: [
    {
      version: 1,
      name: 'create status_list_entries and status_list_state',
      async up(db, { tablePrefix }) {
        await db.schema
          .createTable('status_list_entries')
          .addColumn('list', 'text', (col) => col.notNull())
          .addColumn('idx', 'bigint', (col) => col.notNull())
          .addColumn('seq', 'bigint', (col) => col.notNull())
          .addColumn('iss', 'text', (col) => col.notNull())
          .addColumn('sub', 'text', (col) => col.notNull())
          .addColumn('sid', 'text')
          .addColumn('kid', 'text', (col) => col.notNull())
          .addColumn('jti', 'text', (col) => col.notNull())
          .addColumn('issued_at', 'bigint', (col) => col.notNull())
          .addColumn('expires_at', 'bigint', (col) => col.notNull())
          .addColumn('free_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint(`${tablePrefix}status_list_entries_pk`, ['list', 'idx'])
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}status_list_entries_seq`)
          .on('status_list_entries')
          .column('seq')
          .unique()
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}status_list_entries_free_at`)
          .on('status_list_entries')
          .column('free_at')
          .execute();
        await db.schema
          .createTable('status_list_state')
          .addColumn('id', 'integer', (col) => col.primaryKey())
          .addColumn('last_seq', 'bigint', (col) => col.notNull())
          .execute();
        await db
          .withTables<StatusListStoreTables>()
          .insertInto('status_list_state')
          .values({ id: 1, last_seq: 0 })
          .execute();
      },
    },
  ],
};

/**
 * Turns a stored row into the entry it records, every number a JS number and a `null` `sid` kept.
 *
 * @example
 * ```ts
 * const entries = rows.map(entryFromRow);
 * ```
 */
export function entryFromRow(row: Selectable<StatusListEntriesTable>): RecordedStatusListEntry {
  return {
    list: row.list,
    idx: Number(row.idx),
    iss: row.iss,
    sub: row.sub,
    sid: row.sid,
    kid: row.kid,
    jti: row.jti,
    issuedAt: Number(row.issued_at),
    expiresAt: Number(row.expires_at),
    freeAt: Number(row.free_at),
    seq: Number(row.seq),
  };
}
