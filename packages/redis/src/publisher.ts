import { RevocableError, type RevocationEvent, type RevocationLog, type Unsubscribe } from '@revocable/core';
import { isAlreadyAdded, type RedisClient, type StreamCommands, streamCommands } from './redis-client.js';
import { decodeRange, eventEntryId, eventFields, heartbeatFields, parseEntryId } from './stream-entry.js';
import { streamKey } from './stream-key.js';

/**
 * Options of a {@link RedisFeedPublisher}.
 *
 * @example
 * ```ts
 * const options: RedisFeedPublisherOptions = {
 *   log,
 *   client: new Redis(process.env.REDIS_URL!, PUBLISHER_REDIS_OPTIONS),
 *   issuer: 'https://auth.example',
 *   maxLength: 100_000,
 * };
 * ```
 */
export interface RedisFeedPublisherOptions {
  /** The durable log to tail: the source of truth. */
  readonly log: RevocationLog;
  /**
   * An `ioredis` client (`Redis` or `Cluster`), owned by the caller: the publisher never closes it.
   * Suggested options: {@link PUBLISHER_REDIS_OPTIONS}.
   */
  readonly client: RedisClient;
  /** The issuer (`iss`) whose stream this is: part of the key (see {@link streamKey}). */
  readonly issuer: string;
  /** Key prefix inside the hash tag. Default `revocable`. */
  readonly keyPrefix?: string;
  /** How often a heartbeat (the log's `lastSeq`) goes into the stream, and the log is re-read for anything missed, ms. Default 1,000. */
  readonly heartbeatMs?: number;
  /**
   * Approximate cap on stream entries (`XADD … MAXLEN ~ n`, heartbeats included). A replica that falls
   * further behind re-bootstraps from a snapshot. Default 100,000.
   */
  readonly maxLength?: number;
  /** Events per pipelined write. Default 500. */
  readonly batchSize?: number;
  /** Longest wait between retries while Redis fails, ms (backoff starts at 50 ms). Default 2,000. */
  readonly maxBackoffMs?: number;
  /** Receives failures (Redis or log unreachable); the publisher keeps retrying. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Figures for metrics.
 *
 * @example
 * ```ts
 * const { publishedSeq, healthy } = publisher.stats();
 * ```
 */
export interface RedisFeedPublisherStats {
  /** The last `seq` known to be in the stream (-1 before the publisher found its position). */
  readonly publishedSeq: number;
  /** Events this publisher wrote. */
  readonly published: number;
  readonly heartbeats: number;
  /** Failed attempts (each one retried). */
  readonly failures: number;
  /** Whether the last attempt to write succeeded. */
  readonly healthy: boolean;
}

/**
 * `ioredis` options suited to the publisher's client: fail commands fast while Redis is away (the
 * publisher retries from its last published `seq` itself) and reconnect within a second once it is back.
 *
 * @example
 * ```ts
 * const client = new Redis(process.env.REDIS_URL!, PUBLISHER_REDIS_OPTIONS);
 * ```
 */
export const PUBLISHER_REDIS_OPTIONS = {
  maxRetriesPerRequest: 1,
  retryStrategy: (times: number): number => Math.min(50 * 2 ** times, 1000),
} as const;

const PENDING_LIMIT_BATCHES = 20;

/**
 * Publishes a {@link RevocationLog} to a Redis stream for {@link RedisFeedSource} replicas: every
 * committed event is `XADD`ed with the id `<seq>-0`, in `seq` order, with heartbeats carrying the log's
 * `lastSeq` in between, and the stream trimmed with `MAXLEN ~`.
 *
 * Redis is the fan-out, never the acknowledgement: the log's `append` has already answered (and the
 * event is durable) before the publisher sees it. Events arrive through `subscribe` and, so that
 * nothing committed is skipped (a missed notification, another process's append, a Redis outage), a
 * periodic catch-up reads the log after the last published `seq`. Failed writes are retried from that
 * `seq` with backoff; re-adding an event is refused by Redis (explicit ids), so retries and several
 * publishers on one stream never duplicate an entry. On start, the position is the stream's top entry
 * (or the log's `lastSeq` for an empty stream: replicas catch up from their fallback source).
 *
 * @example
 * ```ts
 * const publisher = new RedisFeedPublisher({ log, client: new Redis(url, PUBLISHER_REDIS_OPTIONS), issuer: 'https://auth.example' });
 * publisher.start();
 * // ... on shutdown
 * await publisher.stop();
 * ```
 */
export class RedisFeedPublisher {
  readonly #log: RevocationLog;
  readonly #redis: StreamCommands;
  readonly #key: string;
  readonly #heartbeatMs: number;
  readonly #maxLength: number;
  readonly #batchSize: number;
  readonly #maxBackoffMs: number;
  readonly #onError: (error: unknown) => void;
  #pending: RevocationEvent[] = [];
  #cursor = -1;
  #firstSeen = Number.POSITIVE_INFINITY;
  #beatSeq = -1;
  #beatN = 0;
  #published = 0;
  #heartbeats = 0;
  #failures = 0;
  #healthy = false;
  #backoff = 0;
  #catchUpDue = true;
  #heartbeatDue = false;
  #dirty = false;
  #running: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #beatTimer: NodeJS.Timeout | undefined;
  #unsubscribe: Unsubscribe | undefined;
  #stopped = true;

  constructor(options: RedisFeedPublisherOptions) {
    this.#log = options.log;
    this.#redis = streamCommands(options.client);
    this.#key = streamKey({
      issuer: options.issuer,
      ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }),
    });
    this.#heartbeatMs = positive(options.heartbeatMs ?? 1000, 'heartbeatMs');
    this.#maxLength = positive(options.maxLength ?? 100_000, 'maxLength');
    this.#batchSize = positive(options.batchSize ?? 500, 'batchSize');
    this.#maxBackoffMs = positive(options.maxBackoffMs ?? 2000, 'maxBackoffMs');
    this.#onError = options.onError ?? (() => {});
  }

  /** The stream key it writes. */
  get key(): string {
    return this.#key;
  }

  /** Starts tailing the log. Never fails: while Redis is down it keeps retrying. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#firstSeen = Number.POSITIVE_INFINITY;
    this.#cursor = -1;
    this.#unsubscribe = this.#log.subscribe((event) => this.#onEvent(event));
    this.#beatTimer = setInterval(() => {
      this.#heartbeatDue = true;
      this.#catchUpDue = true;
      this.#wake();
    }, this.#heartbeatMs);
    this.#beatTimer.unref();
    this.#wake();
  }

  /** Stops tailing and waits for a write in flight; leaves the client open. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#beatTimer);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#pending = [];
    await this.#running;
  }

  /**
   * Resolves once every event the log held when it was called is in the stream (retrying through
   * outages); rejects if the publisher is stopped first.
   *
   * @example
   * ```ts
   * await log.append([request]);
   * await publisher.flush();
   * ```
   */
  async flush(): Promise<void> {
    const target = await this.#log.lastSeq();
    while (this.#cursor < target) {
      if (this.#stopped) throw new RevocableError('ERR_LOG_UNAVAILABLE', 'The publisher is stopped.');
      this.#catchUpDue = true;
      this.#wake();
      await this.#running;
      if (this.#cursor < target) await delay(20);
    }
    // The cursor moves inside a write still in flight: let that write finish so stats() is settled.
    await this.#running;
  }

  stats(): RedisFeedPublisherStats {
    return {
      publishedSeq: this.#cursor,
      published: this.#published,
      heartbeats: this.#heartbeats,
      failures: this.#failures,
      healthy: this.#healthy,
    };
  }

  #onEvent(event: RevocationEvent): void {
    this.#firstSeen = Math.min(this.#firstSeen, event.seq);
    if (this.#pending.length >= this.#batchSize * PENDING_LIMIT_BATCHES) {
      // Far behind (Redis away): drop the copies and read from the log once it is back.
      this.#pending = [];
      this.#catchUpDue = true;
      return;
    }
    this.#pending.push(event);
    this.#wake();
  }

  #wake(): void {
    if (this.#stopped) return;
    // While a write is in flight, or a retry is waiting out its backoff, the pending work is picked up then.
    if (this.#running || this.#retryTimer !== undefined) {
      this.#dirty = true;
      return;
    }
    this.#running = this.#work().finally(() => {
      this.#running = undefined;
      if (this.#dirty && !this.#stopped && this.#retryTimer === undefined) this.#wake();
    });
  }

  async #work(): Promise<void> {
    try {
      do {
        this.#dirty = false;
        if (this.#cursor < 0) await this.#position();
        await this.#publishPending();
        if (this.#catchUpDue || this.#heartbeatDue) await this.#catchUp();
      } while (this.#dirty && !this.#stopped);
      this.#healthy = true;
      this.#backoff = 0;
    } catch (err) {
      this.#healthy = false;
      this.#failures++;
      this.#catchUpDue = true;
      if (this.#stopped) return;
      this.#onError(err);
      this.#backoff = Math.min(Math.max(this.#backoff * 2, 50), this.#maxBackoffMs);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.#wake();
      }, this.#backoff);
      this.#retryTimer.unref();
    }
  }

  async #position(): Promise<void> {
    const [top] = decodeRange(await this.#redis.call('XREVRANGE', this.#key, '+', '-', 'COUNT', 1));
    const last = await this.#log.lastSeq();
    const seq = top === undefined ? undefined : parseEntryId(top.id)?.seq;
    if (top !== undefined && (seq === undefined || seq > last)) {
      // Someone else's entries (another log, or not ours at all) are above ours: every write will be
      // refused, and replicas will fall back to their fallback source. Say so; keep going.
      this.#onError(
        new RevocableError(
          'ERR_CONFIG_INVALID',
          `The Redis stream ${this.#key} is ahead of the revocation log (top entry ${top.id}, log at ${last}): is another log publishing under the same issuer and key prefix?`,
        ),
      );
    }
    // An empty (or foreign) stream: start at the log's end, but never past an event seen since start().
    const fresh = Math.min(last, this.#firstSeen - 1);
    this.#cursor = seq === undefined || seq > last ? fresh : seq;
  }

  async #publishPending(): Promise<void> {
    while (this.#pending.length > 0 && !this.#stopped) {
      let start = 0;
      while (start < this.#pending.length && this.#pending[start]!.seq <= this.#cursor) start++;
      if (start > 0) this.#pending.splice(0, start);
      const first = this.#pending[0];
      if (first === undefined) return;
      if (first.seq !== this.#cursor + 1) {
        // A gap before the copies we hold (an append of another process, a dropped notification).
        this.#catchUpDue = true;
        await this.#catchUp();
        continue;
      }
      let end = 1;
      while (
        end < this.#pending.length &&
        end < this.#batchSize &&
        this.#pending[end]!.seq === first.seq + end
      ) {
        end++;
      }
      await this.#add(this.#pending.slice(0, end));
    }
  }

  async #catchUp(): Promise<void> {
    const heartbeat = this.#heartbeatDue;
    this.#catchUpDue = false;
    this.#heartbeatDue = false;
    try {
      // Taken before the log is read: every event acknowledged before `at` is at or below `last`.
      const at = Date.now();
      const last = await this.#log.lastSeq();
      while (this.#cursor < last && !this.#stopped) {
        const events = await this.#log.readAfter(this.#cursor, this.#batchSize);
        // Nothing readable up to `last`: the rest was purged (forgettable), so there is nothing to carry.
        if (events.length === 0) this.#cursor = last;
        else await this.#add(events);
      }
      if (heartbeat && !this.#stopped) await this.#beat(last, at);
    } catch (err) {
      this.#heartbeatDue ||= heartbeat;
      throw err;
    }
  }

  async #add(events: readonly RevocationEvent[]): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const event of events) {
      pipeline.call(
        'XADD',
        this.#key,
        'MAXLEN',
        '~',
        this.#maxLength,
        eventEntryId(event.seq),
        ...eventFields(event),
      );
    }
    const results = await pipeline.exec();
    if (results === null) throw unavailable('the pipeline was discarded');
    for (let i = 0; i < events.length; i++) {
      const [error] = results[i] ?? [unavailable('no reply')];
      if (error !== null && !isAlreadyAdded(error)) throw error;
      if (error === null) this.#published++;
      this.#cursor = Math.max(this.#cursor, events[i]!.seq);
    }
    this.#healthy = true;
  }

  async #beat(lastSeq: number, at: number): Promise<void> {
    // `<cursor>-<n>` with n from 1: `-0` stays reserved for the event. If another publisher holds a
    // higher id, let Redis pick the next free one (`<cursor>-*`); if it is past `cursor`, its own
    // heartbeats serve.
    this.#beatN = this.#beatSeq === this.#cursor ? this.#beatN + 1 : 1;
    this.#beatSeq = this.#cursor;
    const fields = heartbeatFields(lastSeq, at);
    const add = (id: string) =>
      this.#redis.call('XADD', this.#key, 'MAXLEN', '~', this.#maxLength, id, ...fields);
    try {
      await add(`${this.#cursor}-${this.#beatN}`);
    } catch (err) {
      if (!isAlreadyAdded(err)) throw err;
      try {
        const id = await add(`${this.#cursor}-*`);
        const n = typeof id === 'string' ? parseEntryId(id)?.n : undefined;
        if (n !== undefined) this.#beatN = Number(n);
      } catch (again) {
        if (!isAlreadyAdded(again)) throw again;
        return;
      }
    }
    this.#heartbeats++;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RevocableError('ERR_CONFIG_INVALID', `${name} must be a positive whole number.`);
  }
  return value;
}

function unavailable(message: string): RevocableError {
  return new RevocableError('ERR_LOG_UNAVAILABLE', `Redis feed: ${message}.`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
