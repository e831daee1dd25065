import { randomUUID } from 'node:crypto';
import {
  type CaepEvent,
  caepEventOf,
  DELIVERY_METHOD,
  EVENT_TYPES,
  type KeyRing,
  pushSecurityEvent,
  type RevocationEvent,
  type RevocationLog,
  signSecurityEvent,
  type Unsubscribe,
} from '@revocable/core';
import type { SessionStore } from '@revocable/core/internal';
import type { Stream, StreamRegistry } from './streams.js';

/** What the transmitter reports to the service's log: never a SET, a secret or a push URL's query. */
export type TransmitterNotice = (
  level: 'info' | 'warn',
  facts: Readonly<Record<string, string | number | boolean | undefined>>,
  message: string,
) => void;

/** What the transmitter works with. */
export interface TransmitterParts {
  readonly issuer: string;
  readonly keys: KeyRing;
  /** The revocation log every revocation of the service goes through; subscribed to. */
  readonly log: RevocationLog;
  /** For the user of a revoked session. */
  readonly sessions: SessionStore;
  readonly streams: StreamRegistry;
  readonly notice?: TransmitterNotice;
  /** Waits between push attempts, ms. Default 1,000, 4,000, 16,000 (4 attempts). */
  readonly retryDelaysMs?: readonly number[];
  readonly fetch?: typeof globalThis.fetch;
}

/** SETs held for a poll stream at most; past it the oldest go. */
const MAX_QUEUED = 10_000;
/** The longest a poll with `returnImmediately: false` is held, ms. */
const LONG_POLL_MS = 10_000;

interface Queue {
  readonly sets: Map<string, string>;
  readonly waiters: Set<() => void>;
}

/** An RFC 8936 poll, as the poll endpoint received it (checked). */
export interface PollArguments {
  readonly ack: readonly string[];
  readonly setErrs: Readonly<Record<string, { readonly err?: unknown; readonly description?: unknown }>>;
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
}

/**
 * The service as a Shared Signals transmitter: follows the revocation log and sends each revocation a
 * CAEP event describes (see `caepEventOf`) to every enabled stream that asked for that event type, by
 * push (RFC 8935, with retries) or into the stream's poll queue (RFC 8936, held until acknowledged).
 * Also sends verification events on request.
 *
 * @example
 * ```ts
 * const transmitter = new SharedSignalsTransmitter({ issuer, keys, log: storage.log, sessions: storage.sessions, streams });
 * transmitter.start();
 * ```
 */
export class SharedSignalsTransmitter {
  readonly #parts: TransmitterParts;
  readonly #queues = new Map<string, Queue>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #unsubscribe: Unsubscribe | undefined;
  #stopped = false;

  constructor(parts: TransmitterParts) {
    this.#parts = parts;
  }

  start(): void {
    this.#unsubscribe ??= this.#parts.log.subscribe((event) => this.#track(this.#onRevocation(event)));
  }

  /** Stops following the log, releases waiting polls, and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    for (const queue of this.#queues.values()) for (const wake of queue.waiters) wake();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Sends a verification event (SSF 1.0 §8.1.4) on the stream, with the receiver's `state`. */
  verify(stream: Stream, state: string | undefined): void {
    const event = state === undefined ? {} : { state };
    this.#track(
      this.#send(stream, {
        eventType: EVENT_TYPES.verification,
        event,
        subject: { format: 'opaque', id: stream.streamId },
      }),
    );
  }

  /** Drops the poll queue of a deleted stream. */
  forget(stream: Stream): void {
    const queue = this.#queues.get(stream.streamId);
    for (const wake of queue?.waiters ?? []) wake();
    this.#queues.delete(stream.streamId);
  }

  /**
   * Answers one RFC 8936 poll: drops the acknowledged SETs, reports the receiver's `setErrs`, and
   * returns up to `maxEvents` SETs not yet acknowledged (waiting up to 10 s for one when
   * `returnImmediately` is false).
   */
  async poll(
    stream: Stream,
    request: PollArguments,
  ): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
    const queue = this.#queueOf(stream.streamId);
    for (const jti of request.ack) queue.sets.delete(jti);
    for (const [jti, problem] of Object.entries(request.setErrs)) {
      queue.sets.delete(jti);
      this.#parts.notice?.(
        'warn',
        { stream_id: stream.streamId, jti: jti.slice(0, 64), err: String(problem.err ?? '').slice(0, 64) },
        'A receiver refused a polled SET.',
      );
    }
    if (queue.sets.size === 0 && !request.returnImmediately && request.maxEvents > 0 && !this.#stopped) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          queue.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, LONG_POLL_MS);
        queue.waiters.add(wake);
      });
    }
    const sets: Record<string, string> = {};
    let count = 0;
    for (const [jti, set] of queue.sets) {
      if (count === request.maxEvents) break;
      sets[jti] = set;
      count++;
    }
    return { sets, moreAvailable: queue.sets.size > count };
  }

  #track(work: Promise<unknown>): void {
    const running = work.catch(() => undefined).finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  async #onRevocation(event: RevocationEvent): Promise<void> {
    const streams = this.#parts.streams.all().filter((s) => s.status === 'enabled');
    if (streams.length === 0) return;
    const sessionOwner =
      event.rule.kind === 'session'
        ? (await this.#parts.sessions.getSession(event.rule.sid).catch(() => undefined))?.sub
        : undefined;
    const caep = caepEventOf(event, { sessionOwner });
    if (caep === undefined) return;
    await Promise.all(
      streams
        .filter((stream) => stream.eventsRequested.includes(caep.eventType))
        .map((stream) => this.#send(stream, caep, String(event.seq))),
    );
  }

  async #send(stream: Stream, caep: CaepEvent, txn?: string): Promise<void> {
    const jti = randomUUID();
    const set = signSecurityEvent(this.#parts.keys, {
      iss: this.#parts.issuer,
      aud: stream.owner,
      jti,
      ...(txn !== undefined && { txn }),
      ...caep,
    });
    if (stream.method === DELIVERY_METHOD.poll) {
      const queue = this.#queueOf(stream.streamId);
      queue.sets.set(jti, set);
      while (queue.sets.size > MAX_QUEUED) queue.sets.delete(queue.sets.keys().next().value!);
      for (const wake of queue.waiters) wake();
      return;
    }
    await this.#push(stream, jti, set);
  }

  async #push(stream: Stream, jti: string, set: string): Promise<void> {
    const delays = this.#parts.retryDelaysMs ?? [1_000, 4_000, 16_000];
    for (let attempt = 0; ; attempt++) {
      const result = await pushSecurityEvent(stream.endpointUrl, set, {
        authorization: stream.authorizationHeader,
        ...(this.#parts.fetch && { fetch: this.#parts.fetch }),
      });
      if (result.delivered) return;
      const last = !result.retry || attempt >= delays.length || this.#stopped;
      if (last) {
        this.#parts.notice?.(
          'warn',
          { stream_id: stream.streamId, jti, status: result.status, err: result.err, attempts: attempt + 1 },
          result.retry ? 'A SET could not be pushed; given up.' : 'The receiver refused a pushed SET.',
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }

  #queueOf(streamId: string): Queue {
    let queue = this.#queues.get(streamId);
    if (queue === undefined) {
      queue = { sets: new Map(), waiters: new Set() };
      this.#queues.set(streamId, queue);
    }
    return queue;
  }
}
