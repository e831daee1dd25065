import type { Unsubscribe } from '../revocation/log.js';
import type { Replica } from '../revocation/replica.js';
import type { RevocationEvent } from '../revocation/rules.js';
import type { FeedMessage, FeedSource } from './source.js';

/** Options of a {@link ReplicaFollower}. */
export interface ReplicaFollowerOptions {
  /** Called with failures of the source (never with token data). */
  readonly onError?: (error: unknown) => void;
  /** Events read per catch-up request. Default 1,000. */
  readonly batchSize?: number;
}

/**
 * Keeps a {@link Replica} in step with a {@link FeedSource}: bootstraps from a snapshot, applies events
 * in `seq` order, answers a gap (an event or heartbeat ahead of the replica) with a catch-up read, and
 * ignores duplicates. The replica is marked fresh only when it is known to be complete.
 *
 * @example
 * ```ts
 * const follower = new ReplicaFollower(replica, new LogFeedSource(log));
 * await follower.start();
 * // ... later
 * follower.stop();
 * ```
 */
export class ReplicaFollower {
  readonly #replica: Replica;
  readonly #source: FeedSource;
  readonly #onError: (error: unknown) => void;
  readonly #batchSize: number;
  #stopFollowing: Unsubscribe | undefined;
  #catchingUp: Promise<void> | undefined;
  #again = false;
  #reload = false;
  #stopped = false;

  constructor(replica: Replica, source: FeedSource, options: ReplicaFollowerOptions = {}) {
    this.#replica = replica;
    this.#source = source;
    this.#onError = options.onError ?? (() => {});
    this.#batchSize = options.batchSize ?? 1000;
  }

  /** Loads a snapshot, then follows the feed. Resolves once the replica is bootstrapped. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#replica.load(await this.#source.snapshot());
    this.#stopFollowing = this.#source.follow(
      this.#replica.lastSeq,
      (message) => this.#receive(message),
      this.#onError,
    );
    await this.catchUp();
  }

  /** Stops following; the replica keeps its state (and will go stale). */
  stop(): void {
    this.#stopped = true;
    this.#stopFollowing?.();
    this.#stopFollowing = undefined;
  }

  /** Reads every event after the replica's `lastSeq` from the source; single-flight. */
  catchUp(): Promise<void> {
    if (this.#catchingUp) {
      this.#again = true;
      return this.#catchingUp;
    }
    this.#catchingUp = this.#drain().finally(() => {
      this.#catchingUp = undefined;
    });
    return this.#catchingUp;
  }

  /**
   * Replaces the replica's state with a fresh snapshot, then catches up: for a feed that can no longer
   * supply the events after `lastSeq` (a trimmed Redis stream). Counted in `Replica.stats().bootstraps`.
   * A snapshot older than the replica is not loaded (the replica only catches up). Shares the
   * single flight of {@link ReplicaFollower.catchUp}, cutting short a catch-up in progress.
   *
   * @example
   * ```ts
   * const follower = new ReplicaFollower(replica, source);
   * await follower.rebootstrap();
   * ```
   */
  rebootstrap(): Promise<void> {
    this.#reload = true;
    return this.catchUp();
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      if (this.#reload) {
        const snapshot = await this.#source.snapshot();
        this.#reload = false;
        if (snapshot.seq >= this.#replica.lastSeq && !this.#stopped) this.#replica.load(snapshot);
      }
      for (;;) {
        const events: RevocationEvent[] = await this.#source.readAfter(
          this.#replica.lastSeq,
          this.#batchSize,
        );
        for (const event of events) this.#replica.apply(event);
        if (events.length < this.#batchSize || this.#reload) break;
      }
    } while ((this.#again || this.#reload) && !this.#stopped);
    this.#replica.markFresh();
  }

  #receive(message: FeedMessage): void {
    if (this.#stopped) return;
    const last = this.#replica.lastSeq;
    if (message.type === 'event') {
      const { seq } = message.event;
      if (seq <= last) return;
      if (seq === last + 1 && this.#catchingUp === undefined) {
        this.#replica.apply(message.event);
        this.#replica.markFresh();
        return;
      }
    } else if (message.seq <= last && this.#catchingUp === undefined) {
      this.#replica.markFresh();
      return;
    }
    this.catchUp().catch(this.#onError);
  }
}
