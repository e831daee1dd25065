import { type FeedMessage, RevocableError } from '@revocable/core';
import type { FellBehind, RedisFeedSourceOptions, SourceCounters } from './feed-source.js';
import { type StreamCommands, streamCommands } from './redis-client.js';
import { compareEntryIds, decodeRange, decodeRead, parseEntryId, type StreamEntry } from './stream-entry.js';

/** What one `follow` of a {@link RedisFeedSource} is given. */
export interface StreamReaderSetup {
  readonly options: RedisFeedSourceOptions;
  readonly key: string;
  readonly counters: SourceCounters;
  readonly onMessage: (message: FeedMessage) => void;
  readonly onError: (error: unknown) => void;
  readonly onFellBehind: (info: FellBehind) => void;
}

// A blocking read that has not answered this long after its BLOCK time is on a dead connection.
const STUCK_GRACE_MS = 5000;

/**
 * One `follow`: a loop of blocking `XREAD`s on a dedicated connection from the last entry id seen,
 * plus a timer that polls the fallback source while Redis is silent and restarts a stuck connection.
 *
 * Freshness is the follower's to judge, from heartbeats: besides the publisher's own, this reader says
 * "the source was at `seq` as of `at`" when it knows it: after a read that reached the end of the stream
 * (fewer entries than `COUNT`), as of the newest event's `recordedAt` (the log's clock, so the old end of
 * a stream whose publisher has died does not pass for news); after a fallback read that returned
 * everything, as of the moment that read started.
 */
export class StreamReader {
  readonly #setup: StreamReaderSetup;
  readonly #blockMs: number;
  readonly #batchSize: number;
  readonly #fallbackAfterMs: number;
  readonly #maxBackoffMs: number;
  #conn: StreamCommands | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastId: string | undefined;
  #delivered = 0;
  /** `recordedAt` of the newest event delivered from the stream and not yet followed by the stream's end. */
  #unconfirmedAt: number | undefined;
  #lastNews = 0;
  #readingSince: number | undefined;
  #polling = false;
  #stopped = false;

  constructor(setup: StreamReaderSetup) {
    this.#setup = setup;
    this.#blockMs = setup.options.blockMs ?? 2000;
    this.#batchSize = setup.options.batchSize ?? 1000;
    this.#fallbackAfterMs = setup.options.fallbackAfterMs ?? 3000;
    this.#maxBackoffMs = setup.options.maxBackoffMs ?? 2000;
  }

  start(afterSeq: number): void {
    this.#delivered = afterSeq;
    this.#lastNews = Date.now();
    const conn = streamCommands(this.#setup.options.client).duplicate();
    conn.on('error', (error) => {
      if (!this.#stopped) this.#setup.onError(unavailable('the connection failed', error));
    });
    this.#conn = conn;
    const tick = Math.min(this.#setup.options.fallbackPollMs ?? 1000, 1000);
    this.#timer = setInterval(() => this.#tick(), tick);
    this.#timer.unref();
    void this.#loop(conn);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#conn?.disconnect();
  }

  async #loop(conn: StreamCommands): Promise<void> {
    let backoff = 0;
    while (!this.#stopped) {
      try {
        this.#lastId ??= await this.#startId(conn);
        const from = this.#lastId;
        this.#readingSince = Date.now();
        const reply = await conn.call(
          'XREAD',
          'COUNT',
          this.#batchSize,
          'BLOCK',
          this.#blockMs,
          'STREAMS',
          this.#setup.key,
          from,
        );
        this.#readingSince = undefined;
        if (this.#stopped) return;
        const entries = decodeRead(reply, this.#setup.key);
        await this.#checkHole(conn, from, entries);
        this.#deliver(entries);
        if (entries.length < this.#batchSize) this.#reachedEnd();
        if (entries.length === 0) await this.#checkRewound(conn);
        backoff = 0;
      } catch (err) {
        this.#readingSince = undefined;
        if (this.#stopped) return;
        this.#setup.counters.errors++;
        this.#setup.onError(unavailable('a read failed', err));
        backoff = Math.min(Math.max(backoff * 2, 50), this.#maxBackoffMs);
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  /** Resumes right after the stream's top entry when that is where the replica is (skips old heartbeats). */
  async #startId(conn: StreamCommands): Promise<string> {
    const [top] = decodeRange(await conn.call('XREVRANGE', this.#setup.key, '+', '-', 'COUNT', 1));
    if (top !== undefined && parseEntryId(top.id)?.seq === this.#delivered) return top.id;
    return `${this.#delivered}-0`;
  }

  /**
   * The first event read is ahead of the last one delivered: if the stream no longer holds entries
   * right after `from`, they were trimmed (or lost with Redis), and only a snapshot can fill the hole.
   */
  async #checkHole(conn: StreamCommands, from: string, entries: readonly StreamEntry[]): Promise<void> {
    const first = entries.find((entry) => entry.message?.type === 'event')?.message;
    if (first?.type !== 'event' || first.event.seq <= this.#delivered + 1) return;
    const [oldest] = decodeRange(await conn.call('XRANGE', this.#setup.key, '-', '+', 'COUNT', 1));
    const oldestId = oldest === undefined ? undefined : parseEntryId(oldest.id);
    const fromId = parseEntryId(from);
    if (oldestId === undefined || fromId === undefined || compareEntryIds(oldestId, fromId) <= 0) return;
    this.#setup.counters.fellBehind++;
    this.#setup.onFellBehind({ afterSeq: this.#delivered, oldestSeq: oldestId.seq });
  }

  /**
   * An idle read: if the stream's top entry is below the last id read, Redis lost the stream (a restart
   * without persistence) and a new publisher writes again from lower ids, e.g. heartbeats `<seq>-1`, `-2`…
   * under the `<seq>-5000` this reader reached. Read again from this replica's position, or those
   * heartbeats would go unseen until they passed the old id.
   */
  async #checkRewound(conn: StreamCommands): Promise<void> {
    const lastId = this.#lastId === undefined ? undefined : parseEntryId(this.#lastId);
    if (lastId === undefined) return;
    const [top] = decodeRange(await conn.call('XREVRANGE', this.#setup.key, '+', '-', 'COUNT', 1));
    const topId = top === undefined ? undefined : parseEntryId(top.id);
    if (topId === undefined || compareEntryIds(topId, lastId) >= 0 || this.#stopped) return;
    const position = `${this.#delivered}-0`;
    if (compareEntryIds(parseEntryId(position)!, lastId) < 0) this.#lastId = position;
  }

  #deliver(entries: readonly StreamEntry[]): void {
    for (const entry of entries) {
      if (this.#stopped) return;
      this.#advance(entry.id);
      const { message } = entry;
      if (message === undefined) continue;
      this.#lastNews = Date.now();
      if (message.type === 'event') {
        this.#setup.counters.events++;
        if (message.event.seq > this.#delivered) this.#unconfirmedAt = message.event.recordedAt;
      } else {
        this.#setup.counters.heartbeats++;
      }
      this.#emit(message);
    }
  }

  /** The stream held nothing after what was just delivered: the source is at `delivered`. */
  #reachedEnd(): void {
    const at = this.#unconfirmedAt;
    if (at === undefined || this.#stopped) return;
    this.#unconfirmedAt = undefined;
    if (typeof at === 'number' && Number.isFinite(at)) {
      this.#emit({ type: 'heartbeat', seq: this.#delivered, at });
    }
  }

  #emit(message: FeedMessage): void {
    if (message.type === 'event') this.#delivered = Math.max(this.#delivered, message.event.seq);
    try {
      this.#setup.onMessage(message);
    } catch (err) {
      this.#setup.onError(err);
    }
  }

  #advance(id: string): void {
    const next = parseEntryId(id);
    const current = this.#lastId === undefined ? undefined : parseEntryId(this.#lastId);
    if (next !== undefined && (current === undefined || compareEntryIds(next, current) > 0))
      this.#lastId = id;
  }

  #tick(): void {
    if (this.#stopped) return;
    const since = this.#readingSince;
    if (since !== undefined && Date.now() - since > this.#blockMs + STUCK_GRACE_MS) {
      // A half-open connection: drop it; ioredis reconnects and sends the read again.
      this.#readingSince = Date.now();
      this.#conn?.disconnect(true);
    }
    if (this.#fallbackAfterMs > 0 && !this.#polling && Date.now() - this.#lastNews >= this.#fallbackAfterMs) {
      this.#polling = true;
      void this.#poll().finally(() => {
        this.#polling = false;
      });
    }
  }

  /** Redis is silent: read what it would have carried from the fallback, then say how fresh that is. */
  async #poll(): Promise<void> {
    this.#setup.counters.fallbackPolls++;
    try {
      let startedAt: number;
      for (;;) {
        startedAt = Date.now();
        const events = await this.#setup.options.fallback.readAfter(this.#delivered, this.#batchSize);
        if (this.#stopped) return;
        for (const event of events) this.#emit({ type: 'event', event });
        if (events.length < this.#batchSize) break;
      }
      // That last read returned everything after `delivered`: complete as of the moment it started.
      this.#emit({ type: 'heartbeat', seq: this.#delivered, at: startedAt });
      this.#advance(`${this.#delivered}-0`);
    } catch (err) {
      if (this.#stopped) return;
      this.#setup.counters.errors++;
      this.#setup.onError(unavailable('the fallback source failed', err));
    }
  }
}

function unavailable(message: string, cause: unknown): RevocableError {
  return new RevocableError('ERR_LOG_UNAVAILABLE', `Redis feed: ${message}.`, undefined, { cause });
}
