/**
 * `@revocable/core/internal`: what Revocable's sibling packages (`@revocable/sql`, `@revocable/redis`,
 * `@revocable/server`) and backends of the service's stores need, and applications do not: the
 * service's session and user stores and their records, the log's request validation, the replica's id
 * table, the SSE parser, the key-envelope functions. No compatibility promise beyond the packages'
 * own version: import `@revocable/core` in applications.
 *
 * @example
 * ```ts
 * import { validateRequests } from '@revocable/core/internal';
 * const rows = validateRequests(requests, Date.now(), policy);
 * ```
 *
 * @packageDocumentation
 */
export { checkSeenTokenArguments } from './external/seen-token-store.js';
export { type ServerSentEvent, SseParser } from './feed/sse-parser.js';
export { type OpenedPrivateJwk, openPrivateJwk, sealPrivateJwk } from './keys/key-encryption.js';
export { holdsExactly } from './keys/key-store.js';
export { TokenIdTable, type TokenIdTableOptions } from './revocation/token-id-table.js';
export { forgetAfterOf, type ValidatedRequest, validateRequests } from './revocation/validate.js';
export { isSessionLive } from './sessions/liveness.js';
export { MemorySessionStore } from './sessions/memory-session-store.js';
export { MemoryUserStore } from './sessions/memory-user-store.js';
export type { ClientRecord, RefreshTokenRecord, SessionRecord, UserRecord } from './sessions/records.js';
export type {
  NewRefreshToken,
  RefreshOutcome,
  SessionStore,
  SessionTouch,
} from './sessions/session-store.js';
export type { ClientStore, UserStore } from './sessions/user-store.js';
export { checkStreamId, checkStreamNumber, MAX_SUBJECT_KEY } from './shared-signals/stream-store.js';
export { MemoryStatusListStore } from './status-list/memory-status-list-store.js';
export {
  checkNow,
  checkReadAfter,
  checkStatusListEntry,
  MAX_STATUS_LIST_ID_LENGTH,
  type RecordedStatusListEntry,
  type StatusListEntry,
  type StatusListStore,
} from './status-list/status-list-store.js';
