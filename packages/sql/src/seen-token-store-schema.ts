import type { Int8 } from './column-types.js';
import type { StoreSchema } from './store-tables.js';

/**
 * One remembered one-time token id per row. `key` is the SHA-256 (base64url) of the length-prefixed
 * scope and id: fixed length whatever the id holds, so no id is too long for an index on either engine.
 * `scope` is kept in clear for people reading the table; `expires_at` is epoch ms (the pair is held
 * while it lies after "now").
 */
export type SeenTokensTable = {
  key: string;
  scope: string;
  expires_at: Int8;
};

/** The tables of the seen-token store, by their logical (unprefixed) names. */
export type SeenTokenStoreTables = {
  seen_tokens: SeenTokensTable;
};

const HISTORY_TABLE = 'seen_token_store_migrations';

/**
 * The seen-token store's tables and schema, step by step. Version 1: `seen_tokens`, `key` its primary
 * key, with an index on `expires_at` for purging.
 *
 * @example
 * ```ts
 * const tables = await StoreTables.open<SeenTokenStoreTables>({ url }, SEEN_TOKEN_STORE_SCHEMA);
 * ```
 */
export const SEEN_TOKEN_STORE_SCHEMA: StoreSchema = {
  what: 'seen-token store',
  historyTable: HISTORY_TABLE,
  tableNames: ['seen_tokens', HISTORY_TABLE],
  migrations: [
    {
      version: 1,
      name: 'create seen_tokens',
      async up(db, { tablePrefix }) {
        await db.schema
          .createTable('seen_tokens')
          .addColumn('key', 'text', (col) => col.primaryKey())
          .addColumn('scope', 'text', (col) => col.notNull())
          .addColumn('expires_at', 'bigint', (col) => col.notNull())
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}seen_tokens_expires_at`)
          .on('seen_tokens')
          .column('expires_at')
          .execute();
      },
    },
  ],
};
