/**
 * The Security Event Token media type (RFC 8417 §2.3), as a `typ` header and as a push body's type.
 *
 * @example
 * ```ts
 * await fetch(endpoint, { method: 'POST', headers: { 'content-type': SET_MEDIA_TYPE }, body: set });
 * ```
 */
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

/** The `typ` header of a SET (RFC 8417 §2.3; SSF 1.0 requires explicit typing). */
export const SET_TYPE = 'secevent+jwt';

/** The delivery method URIs of SSF 1.0 stream configurations. */
export const DELIVERY_METHOD = {
  /** RFC 8935: the transmitter POSTs each SET to the receiver's endpoint. */
  push: 'urn:ietf:rfc:8935',
  /** RFC 8936: the receiver polls the transmitter's endpoint. */
  poll: 'urn:ietf:rfc:8936',
} as const;

/**
 * The event types Revocable acts on or sends: CAEP 1.0 and the SSF 1.0 stream events.
 *
 * @example
 * ```ts
 * const events = { [EVENT_TYPES.sessionRevoked]: { event_timestamp: Math.floor(Date.now() / 1000) } };
 * ```
 */
export const EVENT_TYPES = {
  sessionRevoked: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  credentialChange: 'https://schemas.openid.net/secevent/caep/event-type/credential-change',
  tokenClaimsChange: 'https://schemas.openid.net/secevent/caep/event-type/token-claims-change',
  verification: 'https://schemas.openid.net/secevent/ssf/event-type/verification',
  streamUpdated: 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated',
} as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** The CAEP events a Revocable transmitter can send and its receiver acts on. */
export const CAEP_EVENTS_SUPPORTED: readonly string[] = [
  EVENT_TYPES.sessionRevoked,
  EVENT_TYPES.credentialChange,
  EVENT_TYPES.tokenClaimsChange,
];

/**
 * The RFC 8935 §2.4 / RFC 8936 §2.4.4 error codes a receiver answers a refused SET with, and
 * `invalid_state` (SSF 1.0 §8.1.4.1: a verification event whose state was not expected).
 */
export type SetErrorCode =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'
  | 'access_denied'
  | 'invalid_state';
