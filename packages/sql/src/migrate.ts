import { type Kysely, sql } from 'kysely';
import type { SqlDialectName } from './database.js';
import { inWriteTransaction } from './write-transaction.js';

/** What a migration may need to know about where it runs. */
export interface MigrationContext {
  readonly dialect: SqlDialectName;
  /** Prepended to index names (tables are prefixed by the plugin already). */
  readonly tablePrefix: string;
}

/** One step of a store's schema. Versions start at 1 and only ever grow; a shipped step never changes. */
export interface SqlMigration {
  readonly version: number;
  readonly name: string;
  up(db: Kysely<object>, context: MigrationContext): Promise<void>;
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The database, with any table-prefix and schema plugins already applied. */
  readonly db: Kysely<object>;
  readonly dialect: SqlDialectName;
  readonly tablePrefix: string;
  /** PostgreSQL: the schema to create first when it does not exist. */
  readonly schema?: string | undefined;
  /** The table recording which versions ran (logical name: the prefix plugin must cover it). */
  readonly historyTable: string;
  readonly migrations: readonly SqlMigration[];
}

type HistoryRow = {
  version: number;
  name: string;
  applied_at: number;
};

/**
 * FNV-1a, 32 bits, as a signed integer: a stable key for `pg_advisory_xact_lock`.
 *
 * @example
 * ```ts
 * await sql`select pg_advisory_xact_lock(${advisoryLockKey('revocable:keys:')})`.execute(trx);
 * ```
 */
export function advisoryLockKey(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

/**
 * Brings a store's tables up to its newest migration, in one transaction, safe against other processes
 * migrating the same database at the same time: SQLite takes the write lock first (`BEGIN IMMEDIATE`),
 * PostgreSQL an advisory lock per schema. DDL is transactional on both engines. Resolves the versions it applied (empty when up to date).
 *
 * @example
 * ```ts
 * await migrate({ db, dialect: 'sqlite', tablePrefix: '', historyTable: 'revocation_log_migrations', migrations });
 * ```
 */
export async function migrate(options: MigrateOptions): Promise<number[]> {
  const { dialect, tablePrefix, schema, historyTable } = options;
  const pending = [...options.migrations].sort((a, b) => a.version - b.version);
  return inWriteTransaction(options.db, dialect, async (conn) => {
    if (dialect === 'postgres') {
      await sql`select pg_advisory_xact_lock(${advisoryLockKey(`revocable:${schema ?? ''}`)})`.execute(conn);
      if (schema !== undefined) {
        const found =
          await sql`select 1 from information_schema.schemata where schema_name = ${schema}`.execute(conn);
        if (found.rows.length === 0) await conn.schema.createSchema(schema).execute();
      }
    }
    await conn.schema
      .createTable(historyTable)
      .ifNotExists()
      .addColumn('version', 'integer', (col) => col.primaryKey())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('applied_at', 'bigint', (col) => col.notNull())
      .execute();
    const history = conn.withTables<Record<string, HistoryRow>>();
    const done = new Set(
      (await history.selectFrom(historyTable).select('version').execute()).map((row) => Number(row.version)),
    );
    const applied: number[] = [];
    for (const migration of pending) {
      if (done.has(migration.version)) continue;
      await migration.up(conn, { dialect, tablePrefix });
      await history
        .insertInto(historyTable)
        .values({ version: migration.version, name: migration.name, applied_at: Date.now() })
        .execute();
      applied.push(migration.version);
    }
    return applied;
  });
}

/** Options of {@link pendingMigrations}: where a store's history table is, and its migrations. */
export type PendingMigrationsOptions = Omit<MigrateOptions, 'schema'> & {
  /** PostgreSQL: the schema holding the tables; default the first schema of the search path. */
  readonly schema?: string | undefined;
};

/**
 * The migrations of a store that {@link migrate} would apply, in version order, without applying
 * anything or creating any table (a store whose history table does not exist has all of them pending).
 * Read without the migration lock: a migration running meanwhile may finish right after.
 *
 * @example
 * ```ts
 * const behind = await pendingMigrations({ db, dialect: 'sqlite', tablePrefix: '', historyTable, migrations });
 * if (behind.length > 0) console.log(`${behind.length} migrations pending`);
 * ```
 */
export async function pendingMigrations(options: PendingMigrationsOptions): Promise<SqlMigration[]> {
  const { db, dialect, tablePrefix, schema, historyTable } = options;
  const found = await historyTableExists(db, dialect, tablePrefix + historyTable, schema);
  const history = db.withTables<Record<string, HistoryRow>>();
  const done = !found
    ? new Set<number>()
    : new Set(
        (await history.selectFrom(historyTable).select('version').execute()).map((row) =>
          Number(row.version),
        ),
      );
  return [...options.migrations]
    .sort((a, b) => a.version - b.version)
    .filter((migration) => !done.has(migration.version));
}

async function historyTableExists(
  db: Kysely<object>,
  dialect: SqlDialectName,
  physicalName: string,
  schema: string | undefined,
): Promise<boolean> {
  const query =
    dialect === 'sqlite'
      ? sql`select 1 from sqlite_master where type = 'table' and name = ${physicalName}`
      : sql`select 1 from information_schema.tables where table_name = ${physicalName}
          and table_schema = coalesce(${schema ?? null}::text, current_schema())`;
  return (await query.execute(db)).rows.length > 0;
}
