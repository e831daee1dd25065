import type { RevocationEvent, RevocationReason, RevocationRule } from '@revocable/core';
import type { Selectable } from 'kysely';
import type { Int8 } from './column-types.js';
import type { SqlMigration } from './migrate.js';

/** One revocation event per row, `seq` its primary key. */
export type RevocationEventsTable = {
  seq: Int8;
  kind: string;
  /** The rule as JSON text: the same type on both engines, parsed back unchanged. */
  rule: string;
  reason: string;
  actor: string;
  recorded_at: Int8;
  forget_after: Int8;
};

/** One row (`id = 1`) holding the last `seq` handed out: the gap-free counter. */
export type RevocationLogStateTable = {
  id: number;
  last_seq: Int8;
};

/** The tables of the revocation log, by their logical (unprefixed) names. */
export type RevocationLogTables = {
  revocation_events: RevocationEventsTable;
  revocation_log_state: RevocationLogStateTable;
};

/** The table recording which of {@link REVOCATION_LOG_MIGRATIONS} ran. */
export const REVOCATION_LOG_HISTORY_TABLE = 'revocation_log_migrations';

/** Every table name the log uses, for the table-prefix plugin. */
export const REVOCATION_LOG_TABLE_NAMES: readonly string[] = [
  'revocation_events',
  'revocation_log_state',
  REVOCATION_LOG_HISTORY_TABLE,
];

/**
 * The log's schema, step by step. Version 1: the events table (index on `forget_after` for `purge`
 * and `snapshot`) and the one-row counter that `append` bumps inside its transaction.
 *
 * @example
 * ```ts
 * await migrate({ db, dialect, tablePrefix: '', historyTable: REVOCATION_LOG_HISTORY_TABLE, migrations: REVOCATION_LOG_MIGRATIONS });
 * ```
 */
export const REVOCATION_LOG_MIGRATIONS: readonly SqlMigration[] = [
  {
    version: 1,
    name: 'create revocation_events and revocation_log_state',
    async up(db, { dialect, tablePrefix }) {
      // On SQLite "integer primary key" makes seq the rowid itself: no second index to keep.
      const seqType = dialect === 'sqlite' ? 'integer' : 'bigint';
      await db.schema
        .createTable('revocation_events')
        .addColumn('seq', seqType, (col) => col.primaryKey())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('rule', 'text', (col) => col.notNull())
        .addColumn('reason', 'text', (col) => col.notNull())
        .addColumn('actor', 'text', (col) => col.notNull())
        .addColumn('recorded_at', 'bigint', (col) => col.notNull())
        .addColumn('forget_after', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex(`${tablePrefix}revocation_events_forget_after`)
        .on('revocation_events')
        .column('forget_after')
        .execute();
      await db.schema
        .createTable('revocation_log_state')
        .addColumn('id', 'integer', (col) => col.primaryKey())
        .addColumn('last_seq', 'bigint', (col) => col.notNull())
        .execute();
      await db
        .withTables<RevocationLogTables>()
        .insertInto('revocation_log_state')
        .values({ id: 1, last_seq: 0 })
        .execute();
    },
  },
];

/**
 * Turns a stored row into the event it records, with every number a JS number.
 *
 * @example
 * ```ts
 * const events = rows.map(eventFromRow);
 * ```
 */
export function eventFromRow(row: Selectable<RevocationEventsTable>): RevocationEvent {
  return {
    seq: Number(row.seq),
    rule: JSON.parse(row.rule) as RevocationRule,
    reason: row.reason as RevocationReason,
    actor: row.actor,
    recordedAt: Number(row.recorded_at),
    forgetAfter: Number(row.forget_after),
  };
}
