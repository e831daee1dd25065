import type { ClientRecord, UserRecord } from '@revocable/core/internal';
import { type Selectable, sql } from 'kysely';
import { type Int8, type NullableInt8, numberOf, numberOrNull } from './column-types.js';
import type { StoreSchema } from './store-tables.js';

/** One built-in user per row: `id` (the `sub`) the primary key, `username_key` unique. */
export type UsersTable = {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  created_at: Int8;
  password_changed_at: Int8;
  disabled_at: NullableInt8;
};

/** One confidential client added at run time per row. */
export type ClientsTable = {
  id: string;
  secret_hash: string;
  created_at: Int8;
};

/** The tables of the user store, by their logical (unprefixed) names. */
export type UserStoreTables = {
  users: UsersTable;
  clients: ClientsTable;
};

const HISTORY_TABLE = 'user_store_migrations';

/**
 * The user store's tables and schema, step by step. Version 1: `users`, whose `username_key` has a
 * unique index and compares by code point on both engines (PostgreSQL: `collate "C"`, so `listUsers`
 * pages in the same order whatever the database's collation; SQLite's default is already binary).
 * Version 2: `clients`.
 *
 * @example
 * ```ts
 * const tables = await StoreTables.open<UserStoreTables>({ url }, USER_STORE_SCHEMA);
 * ```
 */
export const USER_STORE_SCHEMA: StoreSchema = {
  what: 'user store',
  historyTable: HISTORY_TABLE,
  tableNames: ['users', 'clients', HISTORY_TABLE],
  migrations: [
    {
      version: 1,
      name: 'create users',
      async up(db, { dialect, tablePrefix }) {
        const keyType = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('username', 'text', (col) => col.notNull())
          .addColumn('username_key', keyType, (col) => col.notNull())
          .addColumn('password_hash', 'text', (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('password_changed_at', 'bigint', (col) => col.notNull())
          .addColumn('disabled_at', 'bigint')
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}users_username_key`)
          .on('users')
          .column('username_key')
          .unique()
          .execute();
      },
    },
    {
      version: 2,
      name: 'create clients',
      async up(db) {
        await db.schema
          .createTable('clients')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('secret_hash', 'text', (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .execute();
      },
    },
  ],
};

/**
 * Turns a stored row into the user it records, with every number a JS number.
 *
 * @example
 * ```ts
 * const users = rows.map(userFromRow);
 * ```
 */
export function userFromRow(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    username: row.username,
    usernameKey: row.username_key,
    passwordHash: row.password_hash,
    createdAt: numberOf(row.created_at),
    passwordChangedAt: numberOf(row.password_changed_at),
    disabledAt: numberOrNull(row.disabled_at),
  };
}

/**
 * The row that stores a user.
 *
 * @example
 * ```ts
 * await db.insertInto('users').values(userToRow(user)).execute();
 * ```
 */
export function userToRow(user: UserRecord) {
  return {
    id: user.id,
    username: user.username,
    username_key: user.usernameKey,
    password_hash: user.passwordHash,
    created_at: user.createdAt,
    password_changed_at: user.passwordChangedAt,
    disabled_at: user.disabledAt,
  };
}

/**
 * Turns a stored row into the client it records.
 *
 * @example
 * ```ts
 * const clients = rows.map(clientFromRow);
 * ```
 */
export function clientFromRow(row: Selectable<ClientsTable>): ClientRecord {
  return { id: row.id, secretHash: row.secret_hash, createdAt: numberOf(row.created_at) };
}
