import {
  type KeyEncryption,
  type KeyStore,
  MemoryKeyStore,
  MemoryRevocationLog,
  MemorySeenTokenStore,
  MemoryStreamStore,
  type RevocationLog,
  type RevocationPolicy,
  type SeenTokenStore,
  type StreamStore,
} from '@revocable/core';
import {
  type ClientStore,
  MemorySessionStore,
  MemoryStatusListStore,
  MemoryUserStore,
  type SessionStore,
  type StatusListStore,
  type UserStore,
} from '@revocable/core/internal';
import { SealedStreamStore } from './ssf/sealed-stream-store.js';

/** Everything the service keeps. */
export interface Storage {
  readonly log: RevocationLog;
  readonly keys: KeyStore;
  readonly sessions: SessionStore;
  readonly users: UserStore;
  readonly clients: ClientStore;
  /** Ids of one-time tokens (logout tokens, SETs) already accepted, shared through the database. */
  readonly seenTokens: SeenTokenStore;
  /** The live entries of the Token Status Lists (`--status-list`). */
  readonly statusLists: StatusListStore;
  /** Shared Signals streams and their queued SETs, shared through the database. */
  readonly streams: StreamStore;
  /** Checks the database answers (for `/readyz`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the service's storage: `memory` keeps everything in process memory (tests only: nothing
 * survives a restart); anything else is a SQLite path or a `postgres://` URL handled by `@revocable/sql`.
 *
 * @example
 * ```ts
 * const storage = await openStorage('./revocable.db', config.revocationPolicy);
 * ```
 *
 * With `keyEncryption`, signing keys' private parts are stored sealed (AES-256-GCM) and keys stored
 * otherwise are re-sealed on opening; `ERR_KEY_DECRYPT` when a stored key opens with none of its keys.
 * Shared Signals push streams' `authorization_header` is sealed the same way.
 * A SQLite file is created 0600 (see `@revocable/sql`).
 */
export async function openStorage(
  database: string,
  /** The service's one policy (`ServiceConfig.revocationPolicy`): the log keeps rules by it. */
  policy: RevocationPolicy,
  options: {
    readonly keyEncryption?: KeyEncryption | undefined;
    /** Database timeouts, ms (see `OpenSqlStorageOptions`). */
    readonly statementTimeoutMs?: number;
    readonly connectTimeoutMs?: number;
  } = {},
): Promise<Storage> {
  if (database === 'memory') {
    const users = new MemoryUserStore();
    const log = new MemoryRevocationLog({ policy });
    return {
      log,
      keys: new MemoryKeyStore(),
      sessions: new MemorySessionStore(),
      users,
      clients: users,
      seenTokens: new MemorySeenTokenStore(),
      statusLists: new MemoryStatusListStore(),
      streams: new MemoryStreamStore(),
      ping: async () => {},
      close: () => log.close(),
    };
  }
  const { openSqlStorage } = await import('@revocable/sql');
  const { statementTimeoutMs, connectTimeoutMs, keyEncryption } = options;
  const storage = await openSqlStorage({
    url: database,
    policy,
    keyEncryption,
    ...(statementTimeoutMs !== undefined && { statementTimeoutMs }),
    ...(connectTimeoutMs !== undefined && { connectTimeoutMs }),
  });
  // Receivers' push credentials are secrets at rest too: sealed under the same key as signing keys.
  return keyEncryption === undefined
    ? storage
    : { ...storage, streams: new SealedStreamStore(storage.streams, keyEncryption) };
}
