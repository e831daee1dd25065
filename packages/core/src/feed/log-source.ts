import type { RevocationLog, RevocationSnapshot, Unsubscribe } from '../revocation/log.js';
import type { RevocationEvent } from '../revocation/rules.js';
import type { FeedMessage, FeedSource } from './source.js';

/** Options of a {@link LogFeedSource}. */
export interface LogFeedSourceOptions {
  /** Heartbeat interval in ms. Default 1,000. */
  readonly heartbeatMs?: number;
}

/**
 * The in-process feed: a replica in the same process as the {@link RevocationLog} (the embedded
 * service, tests). Events arrive through the log's `subscribe`; heartbeats report the log's `lastSeq`
 * and the time just before it was read (a heartbeat is what keeps a replica fresh).
 *
 * @example
 * ```ts
 * const follower = new ReplicaFollower(replica, new LogFeedSource(log));
 * await follower.start();
 * ```
 */
export class LogFeedSource implements FeedSource {
  readonly #log: RevocationLog;
  readonly #heartbeatMs: number;

  constructor(log: RevocationLog, options: LogFeedSourceOptions = {}) {
    this.#log = log;
    this.#heartbeatMs = options.heartbeatMs ?? 1000;
  }

  snapshot(): Promise<RevocationSnapshot> {
    return this.#log.snapshot();
  }

  readAfter(seq: number, limit?: number): Promise<RevocationEvent[]> {
    return this.#log.readAfter(seq, limit);
  }

  follow(
    _afterSeq: number,
    onMessage: (message: FeedMessage) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    const unsubscribe = this.#log.subscribe((event) => onMessage({ type: 'event', event }));
    const beat = () => {
      // The time is taken first: every event acknowledged before it is at or below the seq read next.
      const at = Date.now();
      this.#log.lastSeq().then(
        (seq) => onMessage({ type: 'heartbeat', seq, at }),
        (error: unknown) => onError?.(error),
      );
    };
    const timer = setInterval(beat, this.#heartbeatMs);
    timer.unref();
    beat();
    return () => {
      clearInterval(timer);
      unsubscribe();
    };
  }
}
