import { RevocableError } from '../errors.js';

/** SSF 1.0 §8.1.2: `enabled` transmits; `paused` holds events for later; `disabled` drops them. */
export type StreamStatus = 'enabled' | 'paused' | 'disabled';

/** One SSF event stream a transmitter sends on, as stored. Times are epoch ms. */
export interface StreamRecord {
  readonly streamId: string;
  /** The client that created it: the stream's `aud`, and the only caller that may see or change it. */
  readonly owner: string;
  /** `urn:ietf:rfc:8935` (push) or `urn:ietf:rfc:8936` (poll). */
  readonly method: string;
  /** Push: the receiver's URL; poll: the transmitter's poll URL for the stream. */
  readonly endpointUrl: string;
  /** Push: sent as `Authorization` with each SET (the receiver's secret). */
  readonly authorizationHeader: string | null;
  readonly eventsRequested: readonly string[];
  readonly description: string | null;
  readonly status: StreamStatus;
  readonly reason: string | null;
  /** The revocation log's last `seq` when the stream was made: only later revocations are queued for it. */
  readonly startSeq: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A SET to queue on a stream. */
export interface QueuedEventInput {
  readonly jti: string;
  /** The signed SET, compact JWS. */
  readonly set: string;
  /**
   * What the event stands for, e.g. `seq:42` for the log's revocation 42: every process following the
   * log queues it, and the store keeps one. Unique per stream for as long as the store keeps the event.
   */
  readonly dedupeKey: string;
  /** Orders the stream's queue (the log `seq` the event follows); ties go by the `now` given to `enqueue`. */
  readonly order: number;
}

/** A queued SET as handed out by {@link StreamStore.claim}. */
export interface QueuedEvent {
  readonly streamId: string;
  readonly jti: string;
  readonly set: string;
  /** How many times it has been claimed, this claim included. */
  readonly attempts: number;
}

/** What {@link StreamStore.claim} answers. */
export interface ClaimedEvents {
  /** In queue order (by `order`, then by the `now` each was queued at). */
  readonly events: readonly QueuedEvent[];
  /** Whether events remain that are available now (neither leased nor acknowledged). */
  readonly moreAvailable: boolean;
}

/**
 * Where a Shared Signals transmitter keeps its streams and their unacknowledged SETs, shared by every
 * process on the same storage, so a stream made on one process is served by another, and a SET queued
 * before a restart is delivered after it.
 *
 * Contract (checked by the stream-store conformance suite for every backend):
 * - `createStream` stores a new stream unless its owner already has `maxPerOwner`: then it answers
 *   `'limit'` and stores nothing. `getStream` answers `undefined` for an unknown id; `listStreams`
 *   answers an owner's streams (all streams without an owner), oldest first.
 * - `updateStream` replaces the delivery, `eventsRequested` and `description` of a stored stream, and
 *   `setStatus` its status and reason; each answers the stored stream, or `undefined` when none has the
 *   id. `setStatus(…, 'disabled')` also drops every SET still queued on the stream (a disabled stream
 *   holds nothing); `paused` keeps them, and queueing goes on.
 * - `deleteStream` removes the stream and its queue; `false` when none had the id.
 * - `enqueue` adds a SET to an enabled or paused stream and answers `true`; it answers `false` and adds
 *   nothing when the stream is unknown or disabled, or already holds a SET with the same `dedupeKey`
 *   (queued or acknowledged, until `purgeAcknowledged` removes it): of concurrent calls with one key,
 *   from any number of processes, exactly one answers `true`.
 * - `claim(streamId, max, now, leaseMs)` hands out up to `max` SETs of an **enabled** stream that are
 *   unacknowledged and available (never claimed, or their lease ended: `availableAt <= now`), in queue
 *   order, and leases them until `now + leaseMs`. **Exactly one caller receives each SET per lease**:
 *   concurrent claims, from any process, never return the same SET until its lease ends. A paused or
 *   disabled stream answers no events. `moreAvailable` says whether available SETs remain.
 * - `release(streamId, jti, availableAt)` makes an unacknowledged SET available again at `availableAt`
 *   (a push retry); unknown ones are ignored.
 * - `acknowledge(streamId, jtis)` marks those SETs delivered, so no claim returns them again, and
 *   answers how many it marked (a SET already acknowledged, unknown, or on another stream counts 0).
 * - `excludeSubject(streamId, key, maxPerStream)` records that the receiver removed a subject (SSF 1.0
 *   §8.1.3.3; `key` is what `subjectKeysOf` makes) and answers `'excluded'` (also when it already
 *   was), `'limit'` when the stream already excludes `maxPerStream` others, `'not-found'` for an
 *   unknown stream. `includeSubject` takes the exclusion back (nothing for one not held).
 *   `anyExcluded(streamId, keys)` answers whether any of `keys` is excluded on the stream.
 *   `deleteStream` drops the stream's exclusions too.
 * - `purgeAcknowledged(before)` deletes SETs acknowledged before `before`; answers how many.
 * - `cursor()` answers the highest log `seq` `advanceCursor` was given (0 at first); `advanceCursor`
 *   never moves it back.
 * - Bad arguments (an empty id, a non-finite time or count) reject with `ERR_CONFIG_INVALID`; storage
 *   failures with `ERR_LOG_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * await store.enqueue(stream.streamId, { jti, set, dedupeKey: `seq:${event.seq}`, order: event.seq });
 * const { events } = await store.claim(stream.streamId, 25, Date.now(), 30_000);
 * await store.acknowledge(stream.streamId, events.map((e) => e.jti));
 * ```
 */
export interface StreamStore {
  createStream(stream: StreamRecord, maxPerOwner: number): Promise<'created' | 'limit'>;
  getStream(streamId: string): Promise<StreamRecord | undefined>;
  listStreams(owner?: string): Promise<StreamRecord[]>;
  updateStream(
    streamId: string,
    change: Pick<
      StreamRecord,
      'method' | 'endpointUrl' | 'authorizationHeader' | 'eventsRequested' | 'description' | 'updatedAt'
    >,
  ): Promise<StreamRecord | undefined>;
  setStatus(
    streamId: string,
    status: StreamStatus,
    reason: string | null,
    now: number,
  ): Promise<StreamRecord | undefined>;
  deleteStream(streamId: string): Promise<boolean>;
  enqueue(streamId: string, event: QueuedEventInput, now: number): Promise<boolean>;
  claim(streamId: string, max: number, now: number, leaseMs: number): Promise<ClaimedEvents>;
  release(streamId: string, jti: string, availableAt: number): Promise<void>;
  acknowledge(streamId: string, jtis: readonly string[], now: number): Promise<number>;
  excludeSubject(
    streamId: string,
    key: string,
    maxPerStream: number,
  ): Promise<'excluded' | 'limit' | 'not-found'>;
  includeSubject(streamId: string, key: string): Promise<void>;
  anyExcluded(streamId: string, keys: readonly string[]): Promise<boolean>;
  purgeAcknowledged(before: number): Promise<number>;
  cursor(): Promise<number>;
  advanceCursor(seq: number): Promise<void>;
}

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * Checks an id argument of a {@link StreamStore} implementation: `ERR_CONFIG_INVALID` unless a
 * non-empty string of at most 256 characters.
 *
 * @example
 * ```ts
 * checkStreamId(streamId);
 * ```
 */
export function checkStreamId(value: unknown, what = 'stream id', max = 256): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`A ${what} must be a non-empty string of at most ${max} characters.`);
  }
}

/** Longest subject key a store takes. */
export const MAX_SUBJECT_KEY = 2048;

/**
 * Checks a time or count argument of a {@link StreamStore} implementation: `ERR_CONFIG_INVALID`
 * unless a finite number, not negative.
 *
 * @example
 * ```ts
 * checkStreamNumber(now, 'now');
 * ```
 */
export function checkStreamNumber(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${what} must be a finite number, not negative.`);
  }
}
