import type { RefreshTokenRecord, SessionRecord } from '@revocable/core/internal';
import type { Selectable } from 'kysely';
import { type Int8, type NullableInt8, numberOf, numberOrNull } from './column-types.js';
import type { StoreSchema } from './store-tables.js';

/** One login session per row, `id` (the `sid`) its primary key. Times are epoch ms. */
export type SessionsTable = {
  id: string;
  sub: string;
  client_id: string;
  created_at: Int8;
  last_seen_at: Int8;
  idle_expires_at: Int8;
  absolute_expires_at: Int8;
  scope: string | null;
  /** The extra claims as JSON text, `null` for none: the same type on both engines. */
  claims: string | null;
  refresh_generation: number;
  device: string | null;
  ip: string | null;
  ended_at: NullableInt8;
  end_reason: string | null;
};

/** One refresh token per row, keyed by its SHA-256 (`hash`); never the token itself. */
export type RefreshTokensTable = {
  hash: string;
  session_id: string;
  generation: number;
  created_at: Int8;
  expires_at: Int8;
  consumed_at: NullableInt8;
  /** For a grace-window sibling, the hash of the spent token it answered (unique: one sibling each). */
  sibling_of: string | null;
  /** 1 when another branch's rotation spent it (it never earns a sibling), 0 otherwise. */
  superseded: number;
};

/** The tables of the session store, by their logical (unprefixed) names. */
export type SessionStoreTables = {
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
};

const HISTORY_TABLE = 'session_store_migrations';

/**
 * The session store's tables and schema, step by step. Version 1: `sessions` (index on `sub,
 * created_at` for listing and ending a user's sessions) and `refresh_tokens` (indexes on `session_id`
 * and `expires_at` for purging). Version 2: `refresh_tokens.sibling_of`, unique, so a spent token gets
 * at most one grace-window sibling, and an index on `session_id, consumed_at` for spending a session's
 * other unspent tokens at each rotation. Version 3: `refresh_tokens.superseded`, set on the tokens a
 * rotation spends because another branch moved, which never earn a sibling. No foreign key: SQLite enforces none unless asked per connection, and
 * `purgeExpired` deletes a session's tokens itself.
 *
 * @example
 * ```ts
 * const tables = await StoreTables.open<SessionStoreTables>({ url }, SESSION_STORE_SCHEMA);
 * ```
 */
export const SESSION_STORE_SCHEMA: StoreSchema = {
  what: 'session store',
  historyTable: HISTORY_TABLE,
  tableNames: ['sessions', 'refresh_tokens', HISTORY_TABLE],
  migrations: [
    {
      version: 1,
      name: 'create sessions and refresh_tokens',
      async up(db, { tablePrefix }) {
        await db.schema
          .createTable('sessions')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('sub', 'text', (col) => col.notNull())
          .addColumn('client_id', 'text', (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
          .addColumn('idle_expires_at', 'bigint', (col) => col.notNull())
          .addColumn('absolute_expires_at', 'bigint', (col) => col.notNull())
          .addColumn('scope', 'text')
          .addColumn('claims', 'text')
          .addColumn('refresh_generation', 'integer', (col) => col.notNull())
          .addColumn('device', 'text')
          .addColumn('ip', 'text')
          .addColumn('ended_at', 'bigint')
          .addColumn('end_reason', 'text')
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}sessions_sub_created_at`)
          .on('sessions')
          .columns(['sub', 'created_at'])
          .execute();
        await db.schema
          .createTable('refresh_tokens')
          .addColumn('hash', 'text', (col) => col.primaryKey())
          .addColumn('session_id', 'text', (col) => col.notNull())
          .addColumn('generation', 'integer', (col) => col.notNull())
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('expires_at', 'bigint', (col) => col.notNull())
          .addColumn('consumed_at', 'bigint')
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}refresh_tokens_session_id`)
          .on('refresh_tokens')
          .column('session_id')
          .execute();
        await db.schema
          .createIndex(`${tablePrefix}refresh_tokens_expires_at`)
          .on('refresh_tokens')
          .column('expires_at')
          .execute();
      },
    },
    {
      version: 2,
      name: 'one grace-window sibling per spent refresh token',
      async up(db, { tablePrefix }) {
        await db.schema.alterTable('refresh_tokens').addColumn('sibling_of', 'text').execute();
        await db.schema
          .createIndex(`${tablePrefix}refresh_tokens_sibling_of`)
          .on('refresh_tokens')
          .column('sibling_of')
          .unique()
          .execute();
        // A rotation spends the session's other unspent tokens: find them without reading the spent ones.
        await db.schema
          .createIndex(`${tablePrefix}refresh_tokens_session_unspent`)
          .on('refresh_tokens')
          .columns(['session_id', 'consumed_at'])
          .execute();
      },
    },
    {
      version: 3,
      name: 'a token spent by another branch never earns a sibling',
      async up(db) {
        await db.schema
          .alterTable('refresh_tokens')
          .addColumn('superseded', 'integer', (col) => col.notNull().defaultTo(0))
          .execute();
      },
    },
  ],
};

/**
 * Turns a stored row into the session it records, with every number a JS number and the claims parsed.
 *
 * @example
 * ```ts
 * const sessions = rows.map(sessionFromRow);
 * ```
 */
export function sessionFromRow(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    sub: row.sub,
    clientId: row.client_id,
    createdAt: numberOf(row.created_at),
    lastSeenAt: numberOf(row.last_seen_at),
    idleExpiresAt: numberOf(row.idle_expires_at),
    absoluteExpiresAt: numberOf(row.absolute_expires_at),
    scope: row.scope,
    claims: row.claims === null ? null : (JSON.parse(row.claims) as Record<string, unknown>),
    refreshGeneration: Number(row.refresh_generation),
    device: row.device,
    ip: row.ip,
    endedAt: numberOrNull(row.ended_at),
    endReason: row.end_reason,
  };
}

/**
 * The row that stores a session.
 *
 * @example
 * ```ts
 * await db.insertInto('sessions').values(sessionToRow(session)).execute();
 * ```
 */
export function sessionToRow(session: SessionRecord) {
  return {
    id: session.id,
    sub: session.sub,
    client_id: session.clientId,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    idle_expires_at: session.idleExpiresAt,
    absolute_expires_at: session.absoluteExpiresAt,
    scope: session.scope,
    claims: session.claims === null ? null : JSON.stringify(session.claims),
    refresh_generation: session.refreshGeneration,
    device: session.device,
    ip: session.ip,
    ended_at: session.endedAt,
    end_reason: session.endReason,
  };
}

/**
 * Turns a stored row into the refresh token record it holds.
 *
 * @example
 * ```ts
 * const token = row && tokenFromRow(row);
 * ```
 */
export function tokenFromRow(row: Selectable<RefreshTokensTable>): RefreshTokenRecord {
  return {
    hash: row.hash,
    sessionId: row.session_id,
    generation: Number(row.generation),
    createdAt: numberOf(row.created_at),
    expiresAt: numberOf(row.expires_at),
    consumedAt: numberOrNull(row.consumed_at),
    superseded: Number(row.superseded) === 1,
  };
}

/**
 * The row that stores a refresh token.
 *
 * @example
 * ```ts
 * await db.insertInto('refresh_tokens').values(tokenToRow(firstToken)).execute();
 * ```
 */
export function tokenToRow(token: RefreshTokenRecord, siblingOf: string | null = null) {
  return {
    hash: token.hash,
    session_id: token.sessionId,
    generation: token.generation,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    consumed_at: token.consumedAt,
    sibling_of: siblingOf,
    superseded: token.superseded ? 1 : 0,
  };
}
