import { randomBytes } from 'node:crypto';
import { CAEP_EVENTS_SUPPORTED, DELIVERY_METHOD } from '@revocable/core';
import { ServiceError } from '../errors.js';

/** One SSF 1.0 event stream this service transmits on, as its configuration endpoint shows it. */
export interface Stream {
  readonly streamId: string;
  /** The client that created it: the stream's `aud`, and the only caller that may see or change it. */
  readonly owner: string;
  method: string;
  /** Push: the receiver's URL; poll: this service's poll URL for the stream. */
  endpointUrl: string;
  /** Push: sent as `Authorization` with each SET (a secret of the receiver's; never shown in logs). */
  authorizationHeader: string | undefined;
  eventsRequested: readonly string[];
  description: string | undefined;
  status: 'enabled' | 'paused' | 'disabled';
  reason: string | undefined;
  lastVerificationAt: number;
}

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

const MAX_STREAMS_PER_CLIENT = 10;

function bad(message: string): ServiceError {
  return new ServiceError('ERR_BAD_REQUEST', message);
}

/**
 * The streams this process transmits on, in memory (they do not survive a restart; see
 * docs/shared-signals.md). Every call names the client asking: a client sees and changes its own
 * streams only, and another's stream is "not found".
 *
 * @example
 * ```ts
 * const stream = streams.create('api', { delivery: { method: DELIVERY_METHOD.push, endpoint_url } }, pollUrlOf);
 * ```
 */
export class StreamRegistry {
  readonly #streams = new Map<string, Stream>();
  readonly #allowHttp: boolean;

  /** `allowHttp`: accept `http:` push URLs (a service whose own issuer is `http:`, i.e. local use). */
  constructor(allowHttp: boolean) {
    this.#allowHttp = allowHttp;
  }

  /** Every stream, for delivery. */
  all(): Stream[] {
    return [...this.#streams.values()];
  }

  list(owner: string): Stream[] {
    return this.all().filter((s) => s.owner === owner);
  }

  /** The owner's stream, or `ERR_NOT_FOUND` (also for another client's stream). */
  get(owner: string, streamId: unknown): Stream {
    const stream = typeof streamId === 'string' ? this.#streams.get(streamId) : undefined;
    if (stream === undefined || stream.owner !== owner) {
      throw new ServiceError('ERR_NOT_FOUND', 'No stream with this stream_id for this client.');
    }
    return stream;
  }

  create(owner: string, request: StreamRequest, pollUrlOf: (streamId: string) => string): Stream {
    if (this.list(owner).length >= MAX_STREAMS_PER_CLIENT) {
      throw bad(`A client may have at most ${MAX_STREAMS_PER_CLIENT} streams; delete one first.`);
    }
    const streamId = randomBytes(16).toString('hex');
    const stream: Stream = {
      streamId,
      owner,
      method: DELIVERY_METHOD.poll,
      endpointUrl: pollUrlOf(streamId),
      authorizationHeader: undefined,
      eventsRequested: [...CAEP_EVENTS_SUPPORTED],
      description: undefined,
      status: 'enabled',
      reason: undefined,
      lastVerificationAt: 0,
    };
    this.#apply(stream, request, pollUrlOf);
    this.#streams.set(streamId, stream);
    return stream;
  }

  update(stream: Stream, request: StreamRequest, pollUrlOf: (streamId: string) => string): Stream {
    const draft = { ...stream };
    this.#apply(draft, request, pollUrlOf);
    Object.assign(stream, draft);
    return stream;
  }

  delete(stream: Stream): void {
    this.#streams.delete(stream.streamId);
  }

  #apply(stream: Stream, request: StreamRequest, pollUrlOf: (streamId: string) => string): void {
    if (typeof request !== 'object' || request === null) throw bad('The body must be a JSON object.');
    const { delivery, events_requested: requested, description } = request;
    if (delivery !== undefined) {
      if (typeof delivery !== 'object' || delivery === null) throw bad('delivery must be an object.');
      const method = delivery.method ?? DELIVERY_METHOD.poll;
      if (method === DELIVERY_METHOD.push) {
        stream.method = method;
        stream.endpointUrl = this.#pushUrl(delivery.endpoint_url);
        const auth = delivery.authorization_header;
        if (auth !== undefined && (typeof auth !== 'string' || auth.length > 4096 || /[\r\n]/.test(auth))) {
          throw bad('delivery.authorization_header must be a header value.');
        }
        stream.authorizationHeader = auth;
      } else if (method === DELIVERY_METHOD.poll) {
        stream.method = method;
        stream.endpointUrl = pollUrlOf(stream.streamId);
        stream.authorizationHeader = undefined;
      } else {
        throw bad(`delivery.method must be ${DELIVERY_METHOD.push} or ${DELIVERY_METHOD.poll}.`);
      }
    }
    if (requested !== undefined) {
      if (!Array.isArray(requested) || requested.some((e) => typeof e !== 'string')) {
        throw bad('events_requested must be an array of event type URIs.');
      }
      stream.eventsRequested = requested.slice(0, 50);
    }
    if (description !== undefined) {
      if (typeof description !== 'string') throw bad('description must be a string.');
      stream.description = description.slice(0, 256);
    }
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
    ...(stream.description !== undefined && { description: stream.description }),
  };
}
