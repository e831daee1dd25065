import { afterEach, describe, expect, it } from 'vitest';
import type { FeedMessage, FeedSource } from '../feed/source.js';
import type { RevocationEvent, RevocationRequest } from '../revocation/rules.js';

/** A feed source over a fresh, empty log, and the means to drive and break it. */
export interface FeedSourceUnderTest {
  readonly source: FeedSource;
  /** Appends through the log the source reads (the issuer's side); resolves once committed. */
  append(requests: readonly RevocationRequest[]): Promise<RevocationEvent[]>;
  /** The heartbeat interval of the source's origin, ms: the suite waits a few of these at most. */
  readonly heartbeatMs: number;
  /**
   * For a source that reads over a connection: make it go silent without closing (a half-open
   * connection: no byte, no error), and back. Absent for an in-process source.
   */
  readonly connection?: {
    silence(): Promise<void>;
    restore(): Promise<void>;
    /** How long after `silence()` the source may take to notice and reconnect, ms. */
    readonly noticeWithinMs: number;
  };
  cleanup?(): Promise<void>;
}

const RULE_ISS = 'https://feed-conformance.example';
let counter = 0;

/** A `subject` rule for a fresh subject (so events are told apart by their subject). */
function request(): RevocationRequest {
  counter++;
  return {
    rule: { kind: 'subject', iss: RULE_ISS, sub: `feed-user-${counter}`, cutoff: Date.now() },
    reason: 'admin',
    actor: 'feed-conformance',
  };
}

async function until(what: string, deadlineMs: number, done: () => boolean): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Messages a follow delivered, and helpers to read them as the follower does. */
class Collected {
  readonly messages: FeedMessage[] = [];
  readonly errors: unknown[] = [];
  onMessage = (message: FeedMessage) => void this.messages.push(message);
  onError = (error: unknown) => void this.errors.push(error);
  /** Event seqs after `after`, deduplicated, in delivery order (what a follower applies). */
  seqsAfter(after: number): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    for (const m of this.messages) {
      if (m.type !== 'event' || m.event.seq <= after || seen.has(m.event.seq)) continue;
      seen.add(m.event.seq);
      out.push(m.event.seq);
    }
    return out;
  }
  heartbeats() {
    return this.messages.filter((m) => m.type === 'heartbeat');
  }
}

/**
 * Registers the `FeedSource` contract (see `FeedSource` in `@revocable/core`) as a vitest suite
 * against one source: snapshot and catch-up reads, live delivery in order, resume after a `seq`,
 * heartbeats that vouch for freshness, stopping, and — for a source that reads over a connection — a
 * connection that goes silent without closing.
 *
 * @example
 * ```ts
 * import { describeFeedSourceContract } from '@revocable/core/testing';
 *
 * describeFeedSourceContract('in-process log', async () => {
 *   const log = new MemoryRevocationLog();
 *   return { source: new LogFeedSource(log, { heartbeatMs: 100 }), append: (r) => log.append(r), heartbeatMs: 100 };
 * });
 * ```
 */
export function describeFeedSourceContract(name: string, open: () => Promise<FeedSourceUnderTest>): void {
  describe(`FeedSource contract: ${name}`, () => {
    let current: FeedSourceUnderTest | undefined;
    const stops: Array<() => void> = [];
    const fresh = async () => {
      current = await open();
      return current;
    };
    const follow = (source: FeedSource, afterSeq: number) => {
      const collected = new Collected();
      stops.push(source.follow(afterSeq, collected.onMessage, collected.onError));
      return collected;
    };
    afterEach(async () => {
      for (const stop of stops.splice(0)) stop();
      await current?.cleanup?.();
      current = undefined;
    });

    it('reads a snapshot and catches up after a seq, in log order, as the log does', async () => {
      const { source, append } = await fresh();
      const events = await append([request(), request(), request()]);
      const snapshot = await source.snapshot();
      expect(snapshot.seq).toBeGreaterThanOrEqual(events.at(-1)!.seq);
      expect(snapshot.events.map((e) => e.seq)).toEqual(expect.arrayContaining(events.map((e) => e.seq)));
      const after = await source.readAfter(events[0]!.seq);
      expect(after.map((e) => e.seq)).toEqual(events.slice(1).map((e) => e.seq));
      expect(after.map((e) => e.rule)).toEqual(events.slice(1).map((e) => e.rule));
      expect(await source.readAfter(events[0]!.seq, 1)).toHaveLength(1);
      expect(await source.readAfter(events.at(-1)!.seq)).toEqual([]);
    });

    it('delivers every event appended while it follows, once applied in seq order, none missing', async () => {
      const { source, append, heartbeatMs } = await fresh();
      const start = (await source.snapshot()).seq;
      const collected = follow(source, start);
      await new Promise((resolve) => setTimeout(resolve, Math.min(heartbeatMs, 300))); // connected
      const appended: number[] = [];
      for (let i = 0; i < 5; i++) appended.push(...(await append([request()])).map((e) => e.seq));
      appended.push(...(await append([request(), request(), request()])).map((e) => e.seq));
      await until('all 8 events', 5_000 + 3 * heartbeatMs, () => collected.seqsAfter(start).length >= 8);
      expect(collected.seqsAfter(start)).toEqual(appended);
    });

    it('resumes after a seq: its live events and a catch-up read after that seq leave no gap', async () => {
      const { source, append, heartbeatMs } = await fresh();
      const before = await append([request(), request(), request()]);
      const resumeAt = before[0]!.seq;
      const collected = follow(source, resumeAt);
      const missed = await source.readAfter(resumeAt);
      const later = await append([request(), request()]);
      await until('the live events', 5_000 + 3 * heartbeatMs, () =>
        later.every((e) => collected.seqsAfter(resumeAt).includes(e.seq)),
      );
      const applied = new Set([...missed.map((e) => e.seq), ...collected.seqsAfter(resumeAt)]);
      const expected = [...before.slice(1), ...later].map((e) => e.seq);
      expect([...applied].sort((a, b) => a - b)).toEqual(expected);
    });

    it('sends heartbeats that vouch for every event acknowledged before their time', async () => {
      const { source, append, heartbeatMs } = await fresh();
      const collected = follow(source, (await source.snapshot()).seq);
      const [event] = await append([request()]);
      const acknowledgedAt = Date.now();
      await until('a heartbeat taken after the append', 5_000 + 4 * heartbeatMs, () =>
        collected.heartbeats().some((h) => h.type === 'heartbeat' && h.at > acknowledgedAt),
      );
      for (const beat of collected.heartbeats()) {
        if (beat.type !== 'heartbeat') continue;
        expect(beat.at).toBeLessThanOrEqual(Date.now());
        if (beat.at > acknowledgedAt) expect(beat.seq).toBeGreaterThanOrEqual(event!.seq);
      }
    });

    it('delivers nothing more once stopped', async () => {
      const { source, append, heartbeatMs } = await fresh();
      const collected = new Collected();
      const stop = source.follow((await source.snapshot()).seq, collected.onMessage, collected.onError);
      await until('a first message', 5_000 + 3 * heartbeatMs, () => collected.messages.length > 0);
      stop();
      const count = collected.messages.length;
      await append([request()]);
      await new Promise((resolve) => setTimeout(resolve, 2 * heartbeatMs + 200));
      expect(collected.messages.length).toBe(count);
    });

    it('survives a connection that goes silent without closing: it delivers what it missed, and goes on', async (context) => {
      const under = await fresh();
      if (under.connection === undefined) {
        context.skip(); // an in-process source has no connection to lose
        return;
      }
      const { source, append, heartbeatMs, connection } = under;
      const start = (await source.snapshot()).seq;
      const collected = follow(source, start);
      await until('a first message', 5_000 + 3 * heartbeatMs, () => collected.messages.length > 0);
      await connection.silence();
      const [missed] = await append([request()]);
      await until('the event appended during the silence', connection.noticeWithinMs, () =>
        collected.seqsAfter(start).includes(missed!.seq),
      );
      await connection.restore();
      const [after] = await append([request()]);
      await until('an event appended after the silence', 5_000 + 3 * heartbeatMs, () =>
        collected.seqsAfter(start).includes(after!.seq),
      );
    });
  });
}
