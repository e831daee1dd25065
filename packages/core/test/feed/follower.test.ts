// ReplicaFollower (packages/core/src/feed/follower.ts): when a replica may count as fresh. Freshness comes
// from the source's position and clock, never from the mere arrival of a message.
import {
  type FeedMessage,
  type FeedSource,
  Replica,
  ReplicaFollower,
  type RevocationEvent,
  type RevocationSnapshot,
} from '@revocable/core';
import { afterEach, describe, expect, it } from 'vitest';

const MAX_STALENESS = 1000;

function event(seq: number): RevocationEvent {
  const expiresAt = Date.now() + 600_000;
  return {
    seq,
    rule: { kind: 'token', tokenId: `jti-${seq}`, expiresAt },
    reason: 'logout',
    actor: 'user:u1',
    recordedAt: 0,
    forgetAfter: expiresAt,
  };
}

/** A log of `lastSeq` events; the test pushes live messages itself. Each read takes `readMs` of the clock. */
class ScriptedSource implements FeedSource {
  lastSeq = 0;
  readMs = 0;
  readonly readsAt: number[] = [];
  push: (message: FeedMessage) => void = () => {};

  constructor(readonly clock: { t: number }) {}

  async snapshot(): Promise<RevocationSnapshot> {
    return { events: [], seq: 0, takenAt: this.clock.t };
  }

  async readAfter(seq: number, limit = 1000): Promise<RevocationEvent[]> {
    this.readsAt.push(this.clock.t);
    this.clock.t += this.readMs;
    const events: RevocationEvent[] = [];
    for (let s = seq + 1; s <= this.lastSeq && events.length < limit; s++) events.push(event(s));
    return events;
  }

  follow(_afterSeq: number, onMessage: (message: FeedMessage) => void) {
    this.push = onMessage;
    return () => {};
  }
}

const replicas: Replica[] = [];
afterEach(() => {
  for (const replica of replicas.splice(0)) replica.close();
});

async function setUp(batchSize?: number) {
  const clock = { t: 1_000_000 };
  const now = () => clock.t;
  const source = new ScriptedSource(clock);
  const replica = new Replica({ clock: now, purgeIntervalMs: 0, maxStalenessMs: MAX_STALENESS });
  replicas.push(replica);
  const follower = new ReplicaFollower(replica, source, {
    clock: now,
    ...(batchSize !== undefined && { batchSize }),
  });
  await follower.start();
  return { clock, source, replica, follower };
}

describe('a replica counts as fresh', () => {
  it('not because an in-order event arrived: a stale replica stays stale while it applies a backlog', async () => {
    const { clock, source, replica } = await setUp();
    clock.t += 5 * MAX_STALENESS;
    expect(replica.stats().stale).toBe(true);
    for (let seq = 1; seq <= 3; seq++) {
      source.lastSeq = seq;
      source.push({ type: 'event', event: event(seq) });
      expect(replica.lastSeq).toBe(seq);
      expect(replica.stats().stale).toBe(true);
    }
  });

  it("as of a heartbeat's time, once it has applied up to the heartbeat's seq", async () => {
    const { clock, source, replica } = await setUp();
    clock.t += 5 * MAX_STALENESS;
    source.lastSeq = 1;
    source.push({ type: 'event', event: event(1) });
    // Written long ago (read from a backlog): the replica was complete then, not now.
    source.push({ type: 'heartbeat', seq: 1, at: clock.t - 2 * MAX_STALENESS });
    expect(replica.stats().stale).toBe(true);
    source.push({ type: 'heartbeat', seq: 1, at: clock.t - 10 });
    expect(replica.stats()).toMatchObject({ stale: false, freshAt: clock.t - 10 });
  });

  it("no later than now when the source's clock is ahead", async () => {
    const { clock, source, replica } = await setUp();
    clock.t += 5 * MAX_STALENESS;
    source.push({ type: 'heartbeat', seq: 0, at: clock.t + 60_000 });
    expect(replica.stats().freshAt).toBe(clock.t);
    clock.t += MAX_STALENESS + 1;
    expect(replica.stats().stale).toBe(true);
  });

  it('not from a heartbeat ahead of it: that starts a catch-up, fresh as of its last, complete read', async () => {
    const { clock, source, replica } = await setUp(2);
    clock.t += 5 * MAX_STALENESS;
    source.lastSeq = 5;
    source.readMs = 400;
    source.readsAt.length = 0;
    source.push({ type: 'heartbeat', seq: 5, at: clock.t });
    expect(replica.stats().stale).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the catch-up the heartbeat started
    expect(replica.lastSeq).toBe(5);
    // Reads of 2, 2 and 1 events: only the last one, short, showed the end of the log.
    expect(source.readsAt).toHaveLength(3);
    expect(replica.stats().freshAt).toBe(source.readsAt[2]);
    expect(clock.t).toBe(source.readsAt[2]! + 400);
  });
});

describe('the lag figure', () => {
  it('tells the replica how far the source is, from heartbeats and events ahead of a gap', async () => {
    const { clock, source, replica } = await setUp();
    source.lastSeq = 7;
    source.readMs = 0;
    source.push({ type: 'heartbeat', seq: 5, at: clock.t });
    expect(replica.stats()).toMatchObject({ lastSeq: 0, sourceSeq: 5, behind: 5 });
    source.push({ type: 'event', event: event(7) });
    expect(replica.stats().sourceSeq).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the catch-up both started
    expect(replica.stats()).toMatchObject({ lastSeq: 7, behind: 0 });
  });
});
