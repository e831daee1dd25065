/**
 * `@revocable/core/testing`: the conformance suites of the core's contracts, for any backend or
 * source, as vitest suites. A third-party store runs the same suite as the built-in ones.
 *
 * @example
 * ```ts
 * import { describeFeedSourceContract } from '@revocable/core/testing';
 * describeFeedSourceContract('my source', async () => ({ source, append, heartbeatMs: 100 }));
 * ```
 */
export { describeFeedSourceContract, type FeedSourceUnderTest } from './feed-source.js';
export { describeKeyStoreContract, type KeyStoreUnderTest } from './key-store.js';
export {
  describeRevocationLogContract,
  type OpenRevocationLog,
  type OpenRevocationLogOptions,
  type RevocationLogUnderTest,
} from './revocation-log.js';
export {
  describeSeenTokenStoreContract,
  type OpenSeenTokenStoreOptions,
  type SeenTokenStoreUnderTest,
} from './seen-token-store.js';
export { describeSessionStoreContract, type SessionStoreUnderTest } from './session-store.js';
export { describeStatusListStoreContract, type StatusListStoreUnderTest } from './status-list-store.js';
export { describeStreamStoreContract, type StreamStoreUnderTest } from './stream-store.js';
export { describeUserStoreContract, type UserStoreUnderTest } from './user-store.js';
