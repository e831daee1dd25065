import { randomBytes } from 'node:crypto';
import {
  CAEP_EVENTS_SUPPORTED,
  DELIVERY_METHOD,
  type StreamRecord,
  type StreamStatus,
  type StreamStore,
} from '@revocable/core';
import { ServiceError } from '../errors.js';

/** One SSF 1.0 event stream this service transmits on (as stored; see `StreamStore`). */
export type Stream = StreamRecord;

/** What a receiver may set: `delivery`, `events_requested`, `description`. */
export interface StreamRequest {
  readonly delivery?: {
    readonly method?: unknown;
    readonly endpoint_url?: unknown;
    readonly authorization_header?: unknown;
  };
  readonly events_requested?: unknown;
  readonly description?: unknown;
}

type StreamSettings = Pick<
  StreamRecord,
  'method' | 'endpointUrl' | 'authorizationHeader' | 'eventsRequested' | 'description'
>;

const MAX_STREAMS_PER_CLIENT = 10;
/** Subjects a receiver may remove from one stream. */
const MAX_EXCLUDED_SUBJECTS = 10_000;

function bad(message: string): ServiceError {
  return new ServiceError('ERR_BAD_REQUEST', message);
}

function notFound(): ServiceError {
  return new ServiceError('ERR_NOT_FOUND', 'No stream with this stream_id for this client.');
}

/**
 * The streams this service transmits on, kept in the `StreamStore` (shared by every process on the
 * database, kept across restarts). Every call names the client asking: a client sees and changes its
 * own streams only, and another's stream is "not found". Requests are checked here; the store keeps
 * what passed.
 *
 * @example
 * ```ts
 * const stream = await streams.create('api', { delivery: { method: DELIVERY_METHOD.push, endpoint_url } });
 * ```
 */
export class StreamRegistry {
  readonly #store: StreamStore;
  readonly #allowHttp: boolean;
  readonly #pollUrlOf: (streamId: string) => string;
  readonly #lastSeq: () => Promise<number>;

  /**
   * `allowHttp`: accept `http:` push URLs (a service whose own issuer is `http:`, i.e. local use);
   * `lastSeq`: the revocation log's last `seq`, so a new stream gets only later revocations.
   */
  constructor(options: {
    readonly store: StreamStore;
    readonly allowHttp: boolean;
    readonly pollUrlOf: (streamId: string) => string;
    readonly lastSeq: () => Promise<number>;
  }) {
    this.#store = options.store;
    this.#allowHttp = options.allowHttp;
    this.#pollUrlOf = options.pollUrlOf;
    this.#lastSeq = options.lastSeq;
  }

  /** Every stream, for delivery. */
  all(): Promise<Stream[]> {
    return this.#store.listStreams();
  }

  list(owner: string): Promise<Stream[]> {
    return this.#store.listStreams(owner);
  }

  /** The owner's stream, or `ERR_NOT_FOUND` (also for another client's stream). */
  async get(owner: string, streamId: unknown): Promise<Stream> {
    if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > 256) throw notFound();
    const stream = await this.#store.getStream(streamId);
    if (stream === undefined || stream.owner !== owner) throw notFound();
    return stream;
  }

  async create(owner: string, request: StreamRequest): Promise<Stream> {
    const streamId = randomBytes(16).toString('hex');
    const settings = this.#settings(
      {
        method: DELIVERY_METHOD.poll,
        endpointUrl: this.#pollUrlOf(streamId),
        authorizationHeader: null,
        eventsRequested: [...CAEP_EVENTS_SUPPORTED],
        description: null,
      },
      streamId,
      request,
    );
    const now = Date.now();
    const stream: Stream = {
      streamId,
      owner,
      ...settings,
      status: 'enabled',
      reason: null,
      startSeq: await this.#lastSeq(),
      createdAt: now,
      updatedAt: now,
    };
    if ((await this.#store.createStream(stream, MAX_STREAMS_PER_CLIENT)) === 'limit') {
      throw bad(`A client may have at most ${MAX_STREAMS_PER_CLIENT} streams; delete one first.`);
    }
    return stream;
  }

  async update(stream: Stream, request: StreamRequest): Promise<Stream> {
    const settings = this.#settings(stream, stream.streamId, request);
    const updated = await this.#store.updateStream(stream.streamId, { ...settings, updatedAt: Date.now() });
    if (updated === undefined) throw notFound();
    return updated;
  }

  async setStatus(stream: Stream, status: StreamStatus, reason: string | undefined): Promise<Stream> {
    const updated = await this.#store.setStatus(stream.streamId, status, reason ?? null, Date.now());
    if (updated === undefined) throw notFound();
    return updated;
  }

  /**
   * SSF 1.0 §8.1.3.3: events about the subject's keys (see `subjectKeysOf`) are no longer sent on the
   * stream. `ERR_BAD_REQUEST` past 10,000 removed subjects.
   */
  async removeSubject(stream: Stream, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const outcome = await this.#store.excludeSubject(stream.streamId, key, MAX_EXCLUDED_SUBJECTS);
      if (outcome === 'not-found') throw notFound();
      if (outcome === 'limit') {
        throw bad(
          `A stream may have at most ${MAX_EXCLUDED_SUBJECTS} removed subjects; add some back first.`,
        );
      }
    }
  }

  /** SSF 1.0 §8.1.3.2: the stream sends events about the subject again (every subject is the default). */
  async addSubject(stream: Stream, keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.#store.includeSubject(stream.streamId, key);
  }

  async delete(stream: Stream): Promise<void> {
    await this.#store.deleteStream(stream.streamId);
  }

  #settings(current: StreamSettings, streamId: string, request: StreamRequest): StreamSettings {
    if (typeof request !== 'object' || request === null) throw bad('The body must be a JSON object.');
    const next = { ...current };
    const { delivery, events_requested: requested, description } = request;
    if (delivery !== undefined) {
      if (typeof delivery !== 'object' || delivery === null) throw bad('delivery must be an object.');
      const method = delivery.method ?? DELIVERY_METHOD.poll;
      if (method === DELIVERY_METHOD.push) {
        next.method = method;
        next.endpointUrl = this.#pushUrl(delivery.endpoint_url);
        const auth = delivery.authorization_header;
        if (auth !== undefined && (typeof auth !== 'string' || auth.length > 4096 || /[\r\n]/.test(auth))) {
          throw bad('delivery.authorization_header must be a header value.');
        }
        next.authorizationHeader = auth ?? null;
      } else if (method === DELIVERY_METHOD.poll) {
        next.method = method;
        next.endpointUrl = this.#pollUrlOf(streamId);
        next.authorizationHeader = null;
      } else {
        throw bad(`delivery.method must be ${DELIVERY_METHOD.push} or ${DELIVERY_METHOD.poll}.`);
      }
    }
    if (requested !== undefined) {
      if (!Array.isArray(requested) || requested.some((e) => typeof e !== 'string' || e.length > 256)) {
        throw bad('events_requested must be an array of event type URIs.');
      }
      next.eventsRequested = requested.slice(0, 50);
    }
    if (description !== undefined) {
      if (typeof description !== 'string') throw bad('description must be a string.');
      next.description = description.slice(0, 256);
    }
    return next;
  }

  #pushUrl(value: unknown): string {
    if (typeof value !== 'string' || !URL.canParse(value))
      throw bad('delivery.endpoint_url must be an absolute URL.');
    const url = new URL(value);
    const allowed = url.protocol === 'https:' || (this.#allowHttp && url.protocol === 'http:');
    if (!allowed || url.username !== '' || url.password !== '' || url.hash !== '') {
      throw bad('delivery.endpoint_url must be an https: URL without credentials or fragment.');
    }
    return url.href;
  }
}

/**
 * A stream as the SSF 1.0 configuration endpoint answers it.
 *
 * @example
 * ```ts
 * reply.code(201).send(streamConfiguration(stream, config.issuer));
 * ```
 */
export function streamConfiguration(stream: Stream, issuer: string): Record<string, unknown> {
  return {
    stream_id: stream.streamId,
    iss: issuer,
    aud: stream.owner,
    events_supported: CAEP_EVENTS_SUPPORTED,
    events_requested: stream.eventsRequested,
    events_delivered: CAEP_EVENTS_SUPPORTED.filter((e) => stream.eventsRequested.includes(e)),
    delivery: { method: stream.method, endpoint_url: stream.endpointUrl },
    min_verification_interval: 1,
    ...(stream.description !== null && { description: stream.description }),
  };
}
