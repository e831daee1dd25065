import type { RevocationEvent, Unsubscribe } from '@revocable/core';

/** Where an {@link EventFeed} reads from: the log's own storage. */
export interface EventSource {
  /** Committed events with `seq > after`, ascending, at most `limit`. */
  readAfter(after: number, limit: number): Promise<RevocationEvent[]>;
  /** The highest committed `seq`. */
  lastSeq(): Promise<number>;
}

/** Options of an {@link EventFeed}. */
export interface EventFeedOptions {
  /** How often to look for events of other processes while anyone listens, in ms; 0 turns polling off. */
  readonly pollIntervalMs: number;
  /** Receives what a listener throws, so one bad listener stops neither the others nor an append. */
  readonly onListenerError: (error: unknown) => void;
}

const PAGE = 1_000;
/** Longest an append waits for a read in flight to deliver its own events to this process's listeners. */
const OWN_DELIVERY_WAIT_MS = 1_000;
const DONE: Promise<void> = Promise.resolve();

/**
 * Delivers a shared log's events to this process's listeners, in `seq` order, each once.
 *
 * Own appends are delivered straight after their commit, without a query, when they follow the last
 * delivered `seq`. Anything else (another process's append, or an own commit that overtook a read) is
 * read back from storage, which stays correct because a `seq` is taken under the counter row's lock:
 * commit order is `seq` order, so nothing below a visible `seq` can appear later. While anyone listens
 * a timer (unref'd) polls every `pollIntervalMs` for other processes' appends.
 *
 * The first listener starts the feed at the newest committed `seq` (queried) or just before this
 * process's first commit after the call, whichever is lower; later listeners join at the feed's
 * position. A reader that must not miss an event resumes with `readAfter(seq)` rather than trusting
 * a subscription alone.
 *
 * @example
 * ```ts
 * const feed = new EventFeed(source, { pollIntervalMs: 100, onListenerError: console.error });
 * const unsubscribe = feed.subscribe((event) => replica.apply(event));
 * ```
 */
export class EventFeed {
  readonly #source: EventSource;
  readonly #options: EventFeedOptions;
  readonly #listeners = new Set<{ readonly listener: (event: RevocationEvent) => void }>();
  /** The last `seq` delivered; undefined until the first listener's starting point is known. */
  #cursor: number | undefined;
  /** The first own commit seen while the starting point was being looked up. */
  #firstOwnWhileStarting: number | undefined;
  /** Bumped when the last listener leaves, so a read started before it is ignored. */
  #epoch = 0;
  #pumping: Promise<void> | undefined;
  #pumpAgain = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  /** Appends waiting for their own events to reach this process's listeners. */
  readonly #waiters = new Set<{ readonly seq: number; resolve(): void }>();

  constructor(source: EventSource, options: EventFeedOptions) {
    this.#source = source;
    this.#options = options;
  }

  /** Calls `listener` with every event committed after this call, in `seq` order. */
  subscribe(listener: (event: RevocationEvent) => void): Unsubscribe {
    if (this.#stopped) return () => undefined;
    const entry = { listener };
    this.#listeners.add(entry);
    if (this.#listeners.size === 1) {
      this.#cursor = undefined;
      this.#firstOwnWhileStarting = undefined;
      this.#pump();
      if (this.#options.pollIntervalMs > 0) {
        this.#timer = setInterval(() => this.#pump(), this.#options.pollIntervalMs);
        this.#timer.unref();
      }
    }
    return () => {
      if (!this.#listeners.delete(entry) || this.#listeners.size > 0) return;
      this.#reset();
    };
  }

  /**
   * Tells the feed about events this process just committed, in `seq` order. Resolves once this
   * process's listeners have them (at once when nothing is being read; after the read in flight
   * otherwise, since events of other processes may come first), or after `OWN_DELIVERY_WAIT_MS` at
   * most: an append is acknowledged only when this process's own replica already rejects what it
   * revoked.
   */
  committed(events: readonly RevocationEvent[]): Promise<void> {
    if (this.#stopped || this.#listeners.size === 0 || events.length === 0) return DONE;
    const last = events[events.length - 1]!.seq;
    if (this.#cursor === undefined) {
      this.#firstOwnWhileStarting ??= events[0]!.seq;
      this.#pump();
      return this.#delivered(last);
    }
    const fresh = events.filter((event) => event.seq > this.#cursor!);
    if (fresh.length === 0) return DONE;
    if (this.#pumping === undefined && fresh[0]!.seq === this.#cursor + 1) {
      for (const event of fresh) this.#deliver(event);
      return DONE;
    }
    this.#pump();
    return this.#delivered(last);
  }

  /** Resolves when the cursor reaches `seq`, the feed stops, or the wait bound passes. */
  #delivered(seq: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => settle(), OWN_DELIVERY_WAIT_MS);
      timer.unref();
      const waiter = { seq, resolve: () => settle() };
      const settle = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve();
      };
      this.#waiters.add(waiter);
    });
  }

  /** Stops the timer, drops every listener and waits for a read in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reset();
    await this.#pumping;
  }

  #reset(): void {
    for (const waiter of [...this.#waiters]) waiter.resolve();
    this.#listeners.clear();
    this.#epoch++;
    this.#cursor = undefined;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #pump(): void {
    if (this.#pumping !== undefined) {
      this.#pumpAgain = true;
      return;
    }
    const pumping = (async () => {
      do {
        this.#pumpAgain = false;
        await this.#catchUp(this.#epoch);
      } while (this.#pumpAgain && this.#listeners.size > 0);
    })()
      // A failed read is retried by the next poll or the next own commit.
      .catch(() => undefined)
      .finally(() => {
        if (this.#pumping === pumping) this.#pumping = undefined;
      });
    this.#pumping = pumping;
  }

  async #catchUp(epoch: number): Promise<void> {
    if (this.#listeners.size === 0) return;
    let cursor: number;
    if (this.#cursor !== undefined) {
      cursor = this.#cursor;
    } else {
      const last = await this.#source.lastSeq();
      if (epoch !== this.#epoch) return;
      const firstOwn = this.#firstOwnWhileStarting;
      cursor = firstOwn === undefined ? last : Math.min(last, firstOwn - 1);
      this.#cursor = cursor;
    }
    for (;;) {
      const page = await this.#source.readAfter(cursor, PAGE);
      if (epoch !== this.#epoch) return;
      for (const event of page) {
        if (event.seq <= cursor) continue;
        cursor = event.seq;
        this.#deliver(event);
      }
      if (page.length < PAGE) return;
    }
  }

  #deliver(event: RevocationEvent): void {
    this.#cursor = event.seq;
    for (const { listener } of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#options.onListenerError(error);
      }
    }
    for (const waiter of [...this.#waiters]) if (waiter.seq <= event.seq) waiter.resolve();
  }
}
