import { randomUUID } from 'node:crypto';
import {
  type CaepEvent,
  caepEventOf,
  EVENT_TYPES,
  type KeyRing,
  type RevocationEvent,
  type RevocationLog,
  type StreamStore,
  signSecurityEvent,
  type Unsubscribe,
} from '@revocable/core';
import type { SessionStore } from '@revocable/core/internal';
import { PushDeliverer } from './push-deliverer.js';
import type { Stream, StreamRegistry } from './streams.js';
import { eventSubjectKeys } from './subjects.js';

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
  /** The revocation log every revocation of the service goes through; followed from the store's cursor. */
  readonly log: RevocationLog;
  /** For the user of a revoked session. */
  readonly sessions: SessionStore;
  readonly streams: StreamRegistry;
  /** Where streams' queued SETs live (shared by every process on the database). */
  readonly store: StreamStore;
  readonly notice?: TransmitterNotice;
  /** Waits between push attempts, ms (tests). */
  readonly retryDelaysMs?: readonly number[];
  readonly fetch?: typeof globalThis.fetch;
}

/** The longest a poll with `returnImmediately: false` is held, ms. */
const LONG_POLL_MS = 10_000;
/** How long a polled SET is held back from other polls while the receiver acknowledges it. */
const POLL_LEASE_MS = 30_000;
/** How often the store is looked at for SETs other processes queued or a retry made due, ms. */
const TICK_MS = 1_000;
/** Acknowledged SETs are kept this long (so a late process cannot queue them again), ms. */
const KEEP_ACKNOWLEDGED_MS = 86_400_000;
const CATCH_UP_BATCH = 500;

/** An RFC 8936 poll, as the poll endpoint received it (checked). */
export interface PollArguments {
  readonly ack: readonly string[];
  readonly setErrs: Readonly<Record<string, { readonly err?: unknown; readonly description?: unknown }>>;
  readonly maxEvents: number;
  readonly returnImmediately: boolean;
}

/**
 * The service as a Shared Signals transmitter: follows the revocation log and queues each revocation a
 * CAEP event describes (see `caepEventOf`) on every enabled or paused stream that asked for that event type, in
 * the `StreamStore`; pushes push streams' queues (RFC 8935, see `PushDeliverer`) and answers polls
 * (RFC 8936) from it. Every process of the service does this on the shared store: a revocation is
 * queued once (its log `seq` is the dedupe key), each SET is handed to one process at a time, and the
 * store's cursor lets a restarted process queue what was revoked while it was down.
 *
 * @example
 * ```ts
 * const transmitter = new SharedSignalsTransmitter({ issuer, keys, log, sessions, streams, store });
 * await transmitter.start();
 * ```
 */
export class SharedSignalsTransmitter {
  readonly #parts: TransmitterParts;
  readonly #pusher: PushDeliverer;
  readonly #waiters = new Set<() => void>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #unsubscribe: Unsubscribe | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** The highest log `seq` this process has queued for. */
  #done = 0;
  /** A revocation could not be queued: live events wait for a catch-up from the store's cursor. */
  #behind = false;
  #catchUpQueued = false;
  #lastPurge = 0;
  /** The last time given to `enqueue`: strictly increasing, so SETs of one `seq` keep their order. */
  #lastQueuedAt = 0;
  #stopped = false;

  constructor(parts: TransmitterParts) {
    this.#parts = parts;
    this.#pusher = new PushDeliverer({
      store: parts.store,
      streams: parts.streams,
      ...(parts.notice && { notice: parts.notice }),
      ...(parts.retryDelaysMs && { retryDelaysMs: parts.retryDelaysMs }),
      ...(parts.fetch && { fetch: parts.fetch }),
    });
  }

  /** Follows the log (first queueing what was revoked since the store's cursor) and starts pushing. */
  start(): void {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = this.#parts.log.subscribe((event) => {
      this.#serially(() => this.#onRevocation(event));
    });
    this.#serially(() => this.#catchUp());
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
    this.#timer.unref();
  }

  /** Stops following the log, releases waiting polls, and waits for work in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearInterval(this.#timer);
    this.#wakePolls();
    await this.#chain;
    await this.#pusher.stop();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Queues a verification event (SSF 1.0 §8.1.4) on the stream, with the receiver's `state`. */
  async verify(stream: Stream, state: string | undefined): Promise<void> {
    await this.#queue(
      stream,
      {
        eventType: EVENT_TYPES.verification,
        event: state === undefined ? {} : { state },
        subject: { format: 'opaque', id: stream.streamId },
      },
      undefined,
    );
    this.#delivered();
  }

  /**
   * Queues a stream-updated event (SSF 1.0 §8.1.5) with the stream's new status and reason. A paused
   * stream holds it like any event; a disabled one takes none.
   */
  async streamUpdated(stream: Stream): Promise<void> {
    await this.#queue(
      stream,
      {
        eventType: EVENT_TYPES.streamUpdated,
        event: { status: stream.status, ...(stream.reason !== null && { reason: stream.reason }) },
        subject: { format: 'opaque', id: stream.streamId },
      },
      undefined,
    );
    this.#delivered();
  }

  /** Delivers what a stream held while paused, now that it is enabled (other processes: within 1 s). */
  resume(): void {
    this.#delivered();
  }

  /** Releases polls waiting on a deleted stream (its queue went with it). */
  forget(_stream: Stream): void {
    this.#wakePolls();
  }

  /**
   * Answers one RFC 8936 poll: marks the acknowledged SETs (and those the receiver reports in
   * `setErrs`) delivered, then hands out up to `maxEvents` SETs no other poll holds (waiting up to
   * 10 s for one when `returnImmediately` is false). A SET handed out and not acknowledged within
   * 30 s is handed out again.
   */
  async poll(
    stream: Stream,
    request: PollArguments,
  ): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> {
    const { store, notice } = this.#parts;
    const errs = Object.keys(request.setErrs);
    await store.acknowledge(stream.streamId, [...request.ack, ...errs], Date.now());
    for (const [jti, problem] of Object.entries(request.setErrs)) {
      notice?.(
        'warn',
        { stream_id: stream.streamId, jti: jti.slice(0, 64), err: String(problem.err ?? '').slice(0, 64) },
        'A receiver refused a polled SET.',
      );
    }
    const deadline = Date.now() + (request.returnImmediately ? 0 : LONG_POLL_MS);
    for (;;) {
      const claimed = await store.claim(stream.streamId, request.maxEvents, Date.now(), POLL_LEASE_MS);
      const waitFor = Math.min(deadline - Date.now(), TICK_MS);
      if (claimed.events.length > 0 || request.maxEvents === 0 || waitFor <= 0 || this.#stopped) {
        return {
          sets: Object.fromEntries(claimed.events.map((e) => [e.jti, e.set])),
          moreAvailable: claimed.moreAvailable,
        };
      }
      await this.#waitForQueue(waitFor);
    }
  }

  #serially(work: () => Promise<void>): void {
    this.#chain = this.#chain.then(work).catch((err: unknown) => {
      const wasBehind = this.#behind;
      this.#behind = true;
      if (wasBehind) return; // said once per outage; the catch-up is retried every second
      this.#parts.notice?.(
        'warn',
        {},
        `A revocation could not be queued for Shared Signals (retried from the store): ${(err as Error).message}`.slice(
          0,
          400,
        ),
      );
    });
  }

  async #catchUp(): Promise<void> {
    const { log, store } = this.#parts;
    let after = Math.max(await store.cursor(), this.#done);
    // Without streams nothing is owed: a stream made later starts at the log's last seq (read first).
    const last = await log.lastSeq();
    if ((await this.#parts.streams.all()).length === 0) after = Math.max(after, last);
    for (;;) {
      if (this.#stopped) return;
      const events = await log.readAfter(after, CATCH_UP_BATCH);
      for (const event of events) await this.#onRevocation(event, true);
      if (events.length < CATCH_UP_BATCH) break;
      after = events.at(-1)!.seq;
    }
    this.#behind = false;
  }

  async #onRevocation(event: RevocationEvent, catchingUp = false): Promise<void> {
    if (this.#stopped || event.seq <= this.#done || (this.#behind && !catchingUp)) return;
    const all = await this.#parts.streams.all();
    if (all.length === 0) {
      // No stream, nothing owed: no store write per revocation (a stream made later starts at the
      // log's last seq, and a catch-up without streams jumps there too).
      this.#done = event.seq;
      return;
    }
    // SSF 1.0 §8.1.2: a paused stream holds events for later (the store hands them out once it is
    // enabled, in order); a disabled one holds none.
    const streams = all.filter((s) => s.status !== 'disabled' && event.seq > s.startSeq);
    const caep = streams.length === 0 ? undefined : await this.#caepOf(event);
    if (caep !== undefined) {
      const keys = eventSubjectKeys(caep.subject);
      for (const stream of streams.filter((s) => s.eventsRequested.includes(caep.eventType))) {
        if (await this.#parts.store.anyExcluded(stream.streamId, keys)) continue; // the receiver removed it
        await this.#queue(stream, caep, event.seq);
      }
    }
    this.#done = event.seq;
    await this.#parts.store.advanceCursor(event.seq);
    if (caep !== undefined) this.#delivered();
  }

  async #caepOf(event: RevocationEvent): Promise<CaepEvent | undefined> {
    const sessionOwner =
      event.rule.kind === 'session'
        ? (await this.#parts.sessions.getSession(event.rule.sid).catch(() => undefined))?.sub
        : undefined;
    return caepEventOf(event, { sessionOwner });
  }

  /** Signs the SET for one stream and queues it; `seq` is the revocation's (absent: a verification). */
  async #queue(stream: Stream, caep: CaepEvent, seq: number | undefined): Promise<void> {
    const jti = randomUUID();
    const set = signSecurityEvent(this.#parts.keys, {
      iss: this.#parts.issuer,
      aud: stream.owner,
      jti,
      ...(seq !== undefined && { txn: String(seq) }),
      ...caep,
    });
    this.#lastQueuedAt = Math.max(Date.now(), this.#lastQueuedAt + 1);
    await this.#parts.store.enqueue(
      stream.streamId,
      { jti, set, dedupeKey: seq === undefined ? `jti:${jti}` : `seq:${seq}`, order: seq ?? this.#done },
      this.#lastQueuedAt,
    );
  }

  #delivered(): void {
    this.#wakePolls();
    this.#pusher.wake();
  }

  #tick(): void {
    if (this.#stopped) return;
    if (this.#behind && !this.#catchUpQueued) {
      // One catch-up waits at a time: a hung database must not pile them up.
      this.#catchUpQueued = true;
      this.#serially(async () => {
        this.#catchUpQueued = false;
        await this.#catchUp();
      });
    }
    this.#pusher.wake();
    const now = Date.now();
    if (now - this.#lastPurge > 600_000) {
      this.#lastPurge = now;
      const purging = this.#parts.store.purgeAcknowledged(now - KEEP_ACKNOWLEDGED_MS).catch(() => 0);
      this.#inFlight.add(purging);
      void purging.finally(() => this.#inFlight.delete(purging));
    }
  }

  #wakePolls(): void {
    for (const wake of this.#waiters) wake();
  }

  #waitForQueue(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waiters.add(wake);
    });
  }
}
