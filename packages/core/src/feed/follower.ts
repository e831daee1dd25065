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
  /**
   * The clock that bounds a heartbeat's time (a source whose clock runs ahead never makes the replica
   * fresh "in the future") and dates a complete catch-up read. Give it the replica's clock. Default `Date.now`.
   */
  readonly clock?: () => number;
}

/**
 * Keeps a {@link Replica} in step with a {@link FeedSource}: bootstraps from a snapshot, applies events
 * in `seq` order, answers a gap (an event or heartbeat ahead of the replica) with a catch-up read, and
 * ignores duplicates.
 *
 * The replica is marked fresh only as of a moment it is known to have been complete, judged by the
 * source's position, never by a message's arrival (a replica back from a cut-off reads old events first):
 * - a heartbeat `{ seq, at }` once the replica has applied up to `seq`: fresh as of `at` (the source's
 *   clock), bounded by now;
 * - a catch-up read that returned everything after `lastSeq` (fewer events than `batchSize`): fresh as of
 *   the moment that read started.
 *
 * An event applied live does not by itself make a stale replica fresh; a source that knows it has
 * delivered everything it holds says so with a heartbeat (the Redis source does at the end of its stream).
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
  readonly #clock: () => number;
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
    this.#clock = options.clock ?? Date.now;
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
    // When the last read that came back short (everything after lastSeq) was started.
    let completeAt: number | undefined;
    do {
      this.#again = false;
      completeAt = undefined;
      if (this.#reload) {
        const snapshot = await this.#source.snapshot();
        this.#reload = false;
        if (snapshot.seq >= this.#replica.lastSeq && !this.#stopped) this.#replica.load(snapshot);
      }
      for (;;) {
        const startedAt = this.#clock();
        const events: RevocationEvent[] = await this.#source.readAfter(
          this.#replica.lastSeq,
          this.#batchSize,
        );
        for (const event of events) this.#replica.apply(event);
        if (this.#reload) break;
        if (events.length < this.#batchSize) {
          completeAt = startedAt;
          break;
        }
      }
    } while ((this.#again || this.#reload) && !this.#stopped);
    if (completeAt !== undefined && !this.#stopped) this.#replica.markFresh(completeAt);
  }

  #receive(message: FeedMessage): void {
    if (this.#stopped) return;
    // For the replica's lag figure (`stats().behind`): how far the source is known to be.
    this.#replica.noteSourceSeq(message.type === 'event' ? message.event.seq : message.seq);
    const last = this.#replica.lastSeq;
    if (message.type === 'event') {
      const { seq } = message.event;
      if (seq <= last) return;
      if (seq === last + 1 && this.#catchingUp === undefined) {
        this.#replica.apply(message.event);
        return;
      }
    } else if (message.seq <= last) {
      // Everything the source held at `at` is applied. A clock ahead of ours counts as now.
      if (Number.isFinite(message.at)) this.#replica.markFresh(Math.min(message.at, this.#clock()));
      return;
    }
    this.catchUp().catch(this.#onError);
  }
}
