/**
 * `@revocable/core`: issue, verify and revoke JWTs; the replica, the feeds, the stores' contracts and the
 * middleware. What only Revocable's own packages need (the service's session and user stores, the
 * log's validation, the replica's id table, the SSE parser) is in `@revocable/core/internal`.
 *
 * @example
 * ```ts
 * import { KeyRing, AccessTokenIssuer, Verifier, Replica } from '@revocable/core';
 * ```
 *
 * @packageDocumentation
 */
export {
  type ConnectOptions,
  connectToService,
  type ServiceConnection,
} from './connect/connect-to-service.js';
export type { ServiceMetadata } from './connect/service-metadata.js';
export { ServiceRevoker, type ServiceRevokerOptions } from './connect/service-revoker.js';
export {
  isRevocableError,
  RevocableError,
  type RevocableErrorCode,
  type RevocableErrorDetails,
  type RuleKind,
} from './errors.js';
export {
  type BackchannelLogoutOptions,
  type BackchannelLogoutOutcome,
  BackchannelLogoutReceiver,
  type BackchannelLogoutResponse,
} from './external/backchannel-logout.js';
export {
  ConfiguredIssuers,
  type ConfiguredIssuersOptions,
  type IssuerStatus,
} from './external/configured-issuers.js';
export {
  type DiscoveryOptions,
  discoverIssuer,
  type IssuerMetadata,
  type MetadataKind,
  metadataUrlOf,
} from './external/discovery.js';
export {
  parseTrustedIssuers,
  policyWithIssuers,
  type TrustedIssuerConfig,
} from './external/issuer-config.js';
export {
  BACKCHANNEL_LOGOUT_EVENT,
  type LogoutTokenClaims,
  type LogoutTokenPolicy,
  verifyLogoutToken,
} from './external/logout-token.js';
export {
  MemorySeenTokenStore,
  type MemorySeenTokenStoreOptions,
} from './external/memory-seen-token-store.js';
export {
  type IssuerRoute,
  type IssuerVerifierPair,
  MultiIssuerVerifier,
} from './external/multi-issuer-verifier.js';
export { SeenTokenIds, type SeenTokenIdsOptions } from './external/seen-token-ids.js';
export type { SeenTokenStore } from './external/seen-token-store.js';
export {
  type EntraTokenVersion,
  entraIssuer,
  TOKEN_PROFILES,
  type TokenProfile,
  type TokenProfileName,
  tokenProfile,
} from './external/token-profiles.js';
export { TrustedIssuer, type TrustedIssuerOptions, trustIssuer } from './external/trusted-issuer.js';
export { ReplicaFollower, type ReplicaFollowerOptions } from './feed/follower.js';
export { HttpFeedSource, type HttpFeedSourceOptions } from './feed/http-source.js';
export { LogFeedSource, type LogFeedSourceOptions } from './feed/log-source.js';
export type { FeedMessage, FeedSource } from './feed/source.js';
export {
  AccessTokenIssuer,
  type AccessTokenIssuerOptions,
  type AccessTokenRequest,
  type IssuedAccessToken,
  REGISTERED_CLAIMS,
} from './issue/access-token-issuer.js';
export { ALGORITHMS, type Algorithm, isAlgorithm } from './keys/algorithms.js';
export { algorithmOfJwk, type JWK, keyObjectFromJwk, publicJwk, thumbprintKid } from './keys/jwk.js';
export { KEY_ENCRYPTION_ENV, KeyEncryption } from './keys/key-encryption.js';
export { KeyRing, type KeyRingOptions, type KeySummary, type SigningKey } from './keys/key-ring.js';
export {
  type ExpectedKey,
  type KeyChange,
  type KeyRecord,
  type KeyState,
  type KeyStore,
  MemoryKeyStore,
} from './keys/key-store.js';
export { RemoteJwks, type RemoteJwksOptions, type SkippedJwk } from './keys/remote-jwks.js';
export type { KeyResolver, VerificationKey } from './keys/verification-key.js';
export { bearerToken } from './middleware/bearer.js';
export { HTTP_STATUS, wwwAuthenticate } from './middleware/http-status.js';
export { grantedScopes, requireScopes } from './middleware/scope.js';
export { BatchingRevocationLog, type BatchingRevocationLogOptions } from './revocation/batching-log.js';
export type { RevocationCheck, TokenFacts } from './revocation/check.js';
export type { RevocationLog, RevocationSnapshot, Unsubscribe } from './revocation/log.js';
export { MemoryRevocationLog, type MemoryRevocationLogOptions } from './revocation/memory-log.js';
export { checkRevocationPolicy } from './revocation/policy.js';
export {
  Replica,
  type ReplicaOptions,
  type ReplicaStats,
  STALE_POLICIES,
  type StalePolicy,
} from './revocation/replica.js';
export { type RevocationAudit, Revoker } from './revocation/revoker.js';
export {
  type AllowRule,
  type IssuerRule,
  type KeyRule,
  REVOCATION_REASONS,
  type RevocationEvent,
  type RevocationReason,
  type RevocationRequest,
  type RevocationRule,
  type SessionRule,
  type SubjectRule,
  type TokenRule,
  type UnscopedRule,
} from './revocation/rules.js';
export {
  DEFAULT_REVOCATION_POLICY,
  type IssuerLifetime,
  lifetimeOf,
  longestLifetimeOf,
  type RevocationPolicy,
} from './revocation/validate.js';
export * from './shared-signals/index.js';
export { DEFAULT_STATUS_LIST_LIMITS, type StatusListLimits } from './status-list/lst-codec.js';
export {
  MAX_STATUS_URI_LENGTH,
  type StatusListReference,
  statusListReferenceOf,
} from './status-list/reference.js';
export {
  type SignedStatusListToken,
  STATUS_LIST_JWT_MEDIA_TYPE,
  STATUS_LIST_JWT_TYPE,
  type StatusListTokenClaims,
  type StatusListTokenRequest,
  signStatusListToken,
} from './status-list/sign-token.js';
export {
  STATUS_BITS,
  type StatusBits,
  StatusList,
  TOKEN_STATUS,
} from './status-list/status-list.js';
export {
  StatusListCheck,
  type StatusListCheckOptions,
  type StatusListStalePolicy,
} from './status-list/status-list-check.js';
export {
  type StatusListTokenPolicy,
  type VerifiedStatusListToken,
  verifyStatusListToken,
} from './status-list/verify-token.js';
export { encodeBase64url } from './token/base64url.js';
export { DEFAULT_SIZE_LIMITS, type SizeLimits } from './token/compact.js';
export type { AccessTokenClaims } from './verify/claims.js';
export type { VerifiedHeader } from './verify/header.js';
export { type VerifiedToken, Verifier, type VerifierOptions } from './verify/verifier.js';
