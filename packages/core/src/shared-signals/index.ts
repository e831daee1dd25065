export { type CaepContext, type CaepEvent, caepEventOf } from './caep-event.js';
export { type EventTarget, eventTargetOf } from './event-target.js';
export {
  CAEP_EVENTS_SUPPORTED,
  DELIVERY_METHOD,
  EVENT_TYPES,
  type EventType,
  SET_MEDIA_TYPE,
  SET_TYPE,
  type SetErrorCode,
} from './event-types.js';
export { MemoryStreamStore } from './memory-stream-store.js';
export {
  type PollOptions,
  type PollRequest,
  type PollResponse,
  type PollResult,
  pollSecurityEvents,
  SharedSignalsPoller,
  type SharedSignalsPollerOptions,
} from './poll-client.js';
export { type PushOptions, type PushResult, pushSecurityEvent } from './push-delivery.js';
export {
  type SharedSignalOutcome,
  SharedSignalsReceiver,
  type SharedSignalsReceiverOptions,
  type SharedSignalsResponse,
} from './receiver.js';
export {
  type SecurityEventClaims,
  type SecurityEventPolicy,
  verifySecurityEventToken,
} from './security-event-token.js';
export { isTransient, SetProblem, setErrorOf } from './set-problem.js';
export { type SecurityEventRequest, signSecurityEvent } from './sign-security-event.js';
export type {
  ClaimedEvents,
  QueuedEvent,
  QueuedEventInput,
  StreamRecord,
  StreamStatus,
  StreamStore,
} from './stream-store.js';
export {
  discoverTransmitter,
  supportsPush,
  type TransmitterDiscoveryOptions,
  type TransmitterMetadata,
  transmitterMetadataUrlOf,
} from './transmitter-metadata.js';
