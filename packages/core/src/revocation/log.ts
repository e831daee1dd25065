import type { RevocationEvent, RevocationRequest } from './rules.js';

/** A consistent picture of the live rules at one point of the log. */
export interface RevocationSnapshot {
  /** Every event with `seq <= seq` not yet forgettable at `takenAt`, in `seq` order. */
  readonly events: RevocationEvent[];
  /** The last `seq` the snapshot includes (0 for an empty log). Tail from here with `readAfter`. */
  readonly seq: number;
  /** When it was taken, epoch milliseconds. */
  readonly takenAt: number;
}

/** Stops a subscription. */
export type Unsubscribe = () => void;

/**
 * The durable, ordered log of revocations: the source of truth every replica converges to.
 *
 * Contract (checked by one conformance suite for every backend: memory, SQLite, PostgreSQL):
 * - `append` validates every request first (`ERR_REVOCATION_INVALID`, nothing written when any is
 *   bad), then writes them in one atomic transaction and resolves only once they are durable: an
 *   acknowledged append survives a crash. It stores each request rebuilt from the fields its rule kind
 *   defines (anything else the caller sent is dropped). It assigns consecutive `seq` values (1, 2, 3…,
 *   never reused, no gap among acknowledged events, even under concurrent appends), `recordedAt`, and
 *   `forgetAfter` (see `forgetAfterOf`: a `token` rule is kept until its `expiresAt` plus the policy's
 *   clock margin).
 * - Appending a rule identical to a live one is harmless: it gets its own `seq`, and applying both
 *   has the effect of one.
 * - `readAfter(seq, limit)` returns the events with `seq` greater than `seq`, ascending, with no gap,
 *   at most `limit` of them; an empty array when there is nothing newer. Purged events are skipped
 *   (a reader that needs them must bootstrap from `snapshot`: see `oldestSeq`). A `seq` or `limit`
 *   that is not a whole number (or a negative `limit`) rejects with `ERR_REVOCATION_INVALID`.
 * - `snapshot()` returns the live rules and the `seq` they are complete up to: applying the snapshot
 *   and then `readAfter(snapshot.seq)` yields the same state as applying the whole history.
 * - `purge(now)` deletes only events whose `forgetAfter <= now` and resolves how many it deleted; a
 *   `now` that is not whole epoch milliseconds rejects with `ERR_REVOCATION_INVALID`.
 * - `subscribe(listener)` calls `listener` with every event appended after the call, in `seq` order,
 *   by this process or (for shared backends) others, at most a short poll interval late. What a
 *   listener throws goes to the backend's `onListenerError`: it fails no append and hides no event
 *   from the other listeners.
 * - `lastSeq()` is the highest acknowledged `seq` (0 when empty).
 * - After `close()`, other calls reject with `ERR_LOG_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const log: RevocationLog = new MemoryRevocationLog({ policy: { maxTokenLifetimeMs: 600_000, clockSkewMs: 60_000 } });
 * const [event] = await log.append([{ rule: { kind: 'subject', iss, sub: 'u1', cutoff: Date.now() }, reason: 'logout_all', actor: 'user:u1' }]);
 * ```
 */
export interface RevocationLog {
  append(requests: readonly RevocationRequest[]): Promise<RevocationEvent[]>;
  readAfter(seq: number, limit?: number): Promise<RevocationEvent[]>;
  snapshot(): Promise<RevocationSnapshot>;
  purge(now?: number): Promise<number>;
  lastSeq(): Promise<number>;
  /** The smallest `seq` still readable by `readAfter` (`lastSeq() + 1` when the log is empty). */
  oldestSeq(): Promise<number>;
  subscribe(listener: (event: RevocationEvent) => void): Unsubscribe;
  close(): Promise<void>;
}
