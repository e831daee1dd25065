import {
  type FeedMessage,
  type FeedSource,
  RevocableError,
  type RevocationEvent,
  type RevocationSnapshot,
  type Unsubscribe,
} from '@revocable/core';
import type { RedisClient } from './redis-client.js';
import { streamKey } from './stream-key.js';
import { StreamReader } from './stream-reader.js';

/**
 * Options of a {@link RedisFeedSource}.
 *
 * @example
 * ```ts
 * const options: RedisFeedSourceOptions = {
 *   client: new Redis(process.env.REDIS_URL!),
 *   issuer: 'https://auth.example',
 *   fallback: new HttpFeedSource({ url: 'https://auth.example', clientId: 'api', clientSecret }),
 *   fallbackAfterMs: 3000,
 * };
 * ```
 */
export interface RedisFeedSourceOptions {
  /**
   * An `ioredis` client (`Redis` or `Cluster`). Each `follow` opens its own connection with
   * `client.duplicate()` for the blocking reads, and closes it when stopped; the client itself is
   * only read from, never closed. Do not give it a `commandTimeout` below `blockMs`.
   */
  readonly client: RedisClient;
  /** The issuer (`iss`) whose stream to read: part of the key (see {@link streamKey}). */
  readonly issuer: string;
  /** Key prefix inside the hash tag, as given to the publisher. Default `revocable`. */
  readonly keyPrefix?: string;
  /**
   * Where snapshots and catch-up reads come from, and the source of truth while Redis is silent: the
   * log itself ({@link LogFeedSource}) or the service ({@link HttpFeedSource}). Its `follow` is not used.
   */
  readonly fallback: FeedSource;
  /** Longest a blocking `XREAD` waits before it is issued again, ms. Default 2,000. */
  readonly blockMs?: number;
  /** Entries per `XREAD`. Default 1,000. */
  readonly batchSize?: number;
  /**
   * When nothing (no event, no heartbeat) came from Redis for this long, ms, the source polls the
   * fallback's `readAfter` instead, every `fallbackPollMs`, until Redis speaks again: a Redis outage
   * then costs latency, not freshness. 0 disables it (replicas go stale while Redis is away). Default 3,000.
   */
  readonly fallbackAfterMs?: number;
  /** Poll interval while on the fallback, ms. Default 1,000. */
  readonly fallbackPollMs?: number;
  /** Longest wait between attempts after a failed read, ms (backoff starts at 50 ms). Default 2,000. */
  readonly maxBackoffMs?: number;
}

/**
 * Why a follower must load a fresh snapshot.
 *
 * @example
 * ```ts
 * source.onFellBehind(({ afterSeq, oldestSeq }) => log.warn({ afterSeq, oldestSeq }, 'replica re-bootstraps'));
 * ```
 */
export interface FellBehind {
  /** The last `seq` this source delivered before the hole. */
  readonly afterSeq: number;
  /** The oldest `seq` the stream still holds. */
  readonly oldestSeq: number;
}

/**
 * Figures for metrics, over every `follow` of this source.
 *
 * @example
 * ```ts
 * const { fellBehind, fallbackPolls } = source.stats();
 * ```
 */
export interface RedisFeedSourceStats {
  /** Events and heartbeats read from Redis. */
  readonly events: number;
  readonly heartbeats: number;
  /** Times a reader found the events it needed trimmed away (each answered by a re-bootstrap). */
  readonly fellBehind: number;
  /** Reads of the fallback while Redis was silent. */
  readonly fallbackPolls: number;
  /** Failed reads (Redis or fallback), each retried. */
  readonly errors: number;
}

/** Mutable counters shared by a source and its readers. */
export interface SourceCounters {
  events: number;
  heartbeats: number;
  fellBehind: number;
  fallbackPolls: number;
  errors: number;
}

/**
 * A {@link FeedSource} on Redis Streams, for replicas in many API processes: live events and
 * heartbeats from the stream written by a {@link RedisFeedPublisher}; snapshots and catch-up reads
 * from the `fallback` source, because Redis is the fan-out, never the source of truth.
 *
 * `follow` reads with blocking `XREAD` on a dedicated connection, from the last entry id it has seen,
 * and resumes from that id after any disconnect: no gap (a hole is reported to the follower as an
 * event ahead of it, which it fills from the fallback) and no double effect (the follower ignores
 * repeats). When the entries it needs were trimmed away (or lost with a Redis restart), it tells
 * {@link RedisFeedSource.onFellBehind} listeners, so the follower re-bootstraps from a snapshot
 * ({@link createRedisFollower} wires that). When an idle read finds the stream's top below the last id
 * it read (Redis restarted empty and a new publisher writes from lower ids), it reads again from its
 * replica's position. While Redis is silent it polls the fallback instead.
 *
 * @example
 * ```ts
 * const source = new RedisFeedSource({
 *   client: new Redis(process.env.REDIS_URL!),
 *   issuer: 'https://auth.example',
 *   fallback: new HttpFeedSource({ url: 'https://auth.example', clientId: 'api', clientSecret }),
 * });
 * const follower = new ReplicaFollower(replica, source);
 * source.onFellBehind(() => void follower.rebootstrap());
 * await follower.start();
 * ```
 */
export class RedisFeedSource implements FeedSource {
  readonly #options: RedisFeedSourceOptions;
  readonly #key: string;
  readonly #listeners = new Set<(info: FellBehind) => void>();
  readonly #counters: SourceCounters = {
    events: 0,
    heartbeats: 0,
    fellBehind: 0,
    fallbackPolls: 0,
    errors: 0,
  };

  constructor(options: RedisFeedSourceOptions) {
    if (options?.fallback === undefined || typeof options.fallback.readAfter !== 'function') {
      throw new RevocableError('ERR_CONFIG_INVALID', 'RedisFeedSource needs a fallback FeedSource.');
    }
    for (const name of ['blockMs', 'batchSize', 'fallbackPollMs', 'maxBackoffMs'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw new RevocableError('ERR_CONFIG_INVALID', `${name} must be a positive whole number.`);
      }
    }
    const after = options.fallbackAfterMs;
    if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0)) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'fallbackAfterMs must be a whole number, 0 or more.');
    }
    this.#options = options;
    this.#key = streamKey({
      issuer: options.issuer,
      ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }),
    });
  }

  /** The stream key it reads. */
  get key(): string {
    return this.#key;
  }

  snapshot(): Promise<RevocationSnapshot> {
    return this.#options.fallback.snapshot();
  }

  readAfter(seq: number, limit?: number): Promise<RevocationEvent[]> {
    return this.#options.fallback.readAfter(seq, limit);
  }

  follow(
    afterSeq: number,
    onMessage: (message: FeedMessage) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    const reader = new StreamReader({
      options: this.#options,
      key: this.#key,
      counters: this.#counters,
      onMessage,
      onError: onError ?? (() => {}),
      onFellBehind: (info) => {
        for (const listener of this.#listeners) listener(info);
      },
    });
    reader.start(afterSeq);
    return () => reader.stop();
  }

  /**
   * Calls `listener` when a reader finds that the events it needs are no longer in the stream; the
   * answer is {@link ReplicaFollower.rebootstrap}. Returns a function that removes the listener.
   *
   * @example
   * ```ts
   * const off = source.onFellBehind(() => void follower.rebootstrap());
   * ```
   */
  onFellBehind(listener: (info: FellBehind) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): RedisFeedSourceStats {
    return { ...this.#counters };
  }
}
