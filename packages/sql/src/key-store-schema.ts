import type { Algorithm, KeyEncryption, KeyRecord, KeyState } from '@revocable/core';
import { openPrivateJwk, sealPrivateJwk } from '@revocable/core/internal';
import type { Selectable } from 'kysely';
import { type Int8, type NullableInt8, numberOf, numberOrNull } from './column-types.js';
import type { StoreSchema } from './store-tables.js';

/** One signing key per row, `kid` its primary key. */
export type SigningKeysTable = {
  kid: string;
  alg: string;
  state: string;
  created_at: Int8;
  /** `null` when the record has no `verifyUntil`. */
  verify_until: NullableInt8;
  /**
   * The private JWK as JSON text, or, with a key-encryption key, the JSON envelope sealing it
   * (`{"v":1,"alg":"A256GCM","kek",…}`, no `kty`): secret material, never logged.
   */
  private_jwk: string;
};

/** The tables of the key store, by their logical (unprefixed) names. */
export type KeyStoreTables = {
  signing_keys: SigningKeysTable;
};

const HISTORY_TABLE = 'key_store_migrations';

/**
 * The key store's tables and schema, step by step. Version 1: `signing_keys`.
 *
 * @example
 * ```ts
 * const tables = await StoreTables.open<KeyStoreTables>({ url }, KEY_STORE_SCHEMA);
 * ```
 */
export const KEY_STORE_SCHEMA: StoreSchema = {
  what: 'key store',
  historyTable: HISTORY_TABLE,
  tableNames: ['signing_keys', HISTORY_TABLE],
  migrations: [
    {
      version: 1,
      name: 'create signing_keys',
      async up(db) {
        await db.schema
          .createTable('signing_keys')
          .addColumn('kid', 'text', (col) => col.primaryKey())
          .addColumn('alg', 'text', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('verify_until', 'bigint')
          .addColumn('private_jwk', 'text', (col) => col.notNull())
          .execute();
      },
    },
  ],
};

/**
 * Turns a stored row into the key record it holds; a `null` `verify_until` leaves `verifyUntil` out.
 * Opens a sealed private key with `encryption`; throws `ERR_KEY_DECRYPT` when none of its keys can.
 *
 * @example
 * ```ts
 * const records = rows.map((row) => keyFromRow(row, encryption));
 * ```
 */
export function keyFromRow(row: Selectable<SigningKeysTable>, encryption?: KeyEncryption): KeyRecord {
  const verifyUntil = numberOrNull(row.verify_until);
  return {
    kid: row.kid,
    alg: row.alg as Algorithm,
    state: row.state as KeyState,
    createdAt: numberOf(row.created_at),
    ...(verifyUntil !== null && { verifyUntil }),
    privateJwk: openPrivateJwk(row.kid, row.private_jwk, encryption).jwk,
  };
}

/**
 * The row that stores a key record, its private key sealed when `encryption` has a current key.
 *
 * @example
 * ```ts
 * await db.insertInto('signing_keys').values(keyToRow(record, encryption)).execute();
 * ```
 */
export function keyToRow(record: KeyRecord, encryption?: KeyEncryption) {
  return {
    kid: record.kid,
    alg: record.alg,
    state: record.state,
    created_at: record.createdAt,
    verify_until: record.verifyUntil ?? null,
    private_jwk: sealPrivateJwk(record.kid, record.privateJwk, encryption),
  };
}
