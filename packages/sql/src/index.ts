export {
  type OpenSqlDatabaseOptions,
  openSqlDatabase,
  type SqlDatabase,
  type SqlDialectName,
} from './database.js';
export { SqlKeyStore, type SqlKeyStoreOptions } from './key-store.js';
export {
  type SqlMigrationStatusOptions,
  type StoreMigrationStatus,
  sqlMigrationStatus,
} from './migration-status.js';
export { splitSchemaParameter } from './postgres-url-schema.js';
export { SqlRevocationLog, type SqlRevocationLogOptions } from './revocation-log.js';
export { SqlSeenTokenStore, type SqlSeenTokenStoreOptions } from './seen-token-store.js';
export { SqlSessionStore } from './session-store.js';
export { SqlStatusListStore } from './status-list-store.js';
export { type OpenSqlStorageOptions, openSqlStorage, type SqlStorage } from './storage.js';
export type { SqlStoreOptions } from './store-tables.js';
export { SqlStreamStore } from './stream-store.js';
export { SqlUserStore } from './user-store.js';
