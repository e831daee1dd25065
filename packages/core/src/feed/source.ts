import type { RevocationSnapshot, Unsubscribe } from '../revocation/log.js';
import type { RevocationEvent } from '../revocation/rules.js';

/**
 * One message on a feed: an event of the log, or a heartbeat saying the log was at `seq` as of `at`
 * (epoch ms, the source's clock): every event acknowledged before `at` has a `seq` at or below `seq`.
 * A replica that has applied up to `seq` is fresh as of `at` (bounded by its own clock); see
 * `ReplicaFollower`. A heartbeat read from a backlog is old news, and counts as such.
 */
export type FeedMessage =
  | { readonly type: 'event'; readonly event: RevocationEvent }
  | { readonly type: 'heartbeat'; readonly seq: number; readonly at: number };

/**
 * Where a replica's events come from: the log in the same process, the service over HTTP (snapshot +
 * Server-Sent Events), or Redis Streams.
 *
 * Contract:
 * - `snapshot()` and `readAfter()` behave as on {@link RevocationLog}.
 * - `follow(afterSeq, onMessage)` delivers live messages for events after `afterSeq` (it may also
 *   deliver older or repeated ones: the follower ignores them) and a heartbeat at least every few
 *   seconds, its `at` taken before its `seq` was read; it reconnects by itself after a failure,
 *   reporting it through `onError`, and resumes after the last `seq` it delivered. A connection that
 *   stays silent for longer than a few heartbeats counts as failed (a half-open connection gives no
 *   error). The returned function stops it.
 */
export interface FeedSource {
  snapshot(): Promise<RevocationSnapshot>;
  readAfter(seq: number, limit?: number): Promise<RevocationEvent[]>;
  follow(
    afterSeq: number,
    onMessage: (message: FeedMessage) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe;
}
