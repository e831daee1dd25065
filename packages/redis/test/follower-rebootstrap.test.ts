// ReplicaFollower.rebootstrap (packages/core/src/feed/follower.ts), added for trimmed Redis streams.
import {
  type FeedMessage,
  type FeedSource,
  Replica,
  ReplicaFollower,
  type RevocationEvent,
  type RevocationSnapshot,
} from '@revocable/core';
import { describe, expect, it } from 'vitest';

function event(seq: number): RevocationEvent {
  const expiresAt = Date.now() + 600_000;
  return {
    seq,
    rule: { kind: 'token', tokenId: `jti-${seq}`, expiresAt },
    reason: 'logout',
    actor: 'user:u1',
    recordedAt: Date.now(),
    forgetAfter: expiresAt,
  };
}

/** A source whose history is 1..lastSeq; snapshots and reads are counted and can be made to fail. */
class ScriptedSource implements FeedSource {
  lastSeq: number;
  snapshots = 0;
  reads: number[] = [];
  failNextSnapshot = false;
  onRead: (() => void) | undefined;

  constructor(lastSeq: number) {
    this.lastSeq = lastSeq;
  }

  async snapshot(): Promise<RevocationSnapshot> {
    this.snapshots++;
    if (this.failNextSnapshot) {
      this.failNextSnapshot = false;
      throw new Error('snapshot failed');
    }
    const events = Array.from({ length: this.lastSeq }, (_, i) => event(i + 1));
    return { events, seq: this.lastSeq, takenAt: Date.now() };
  }

  async readAfter(seq: number, limit = 1000): Promise<RevocationEvent[]> {
    this.reads.push(seq);
    this.onRead?.();
    const events: RevocationEvent[] = [];
    for (let s = seq + 1; s <= this.lastSeq && events.length < limit; s++) events.push(event(s));
    return events;
  }

  follow(_afterSeq: number, _onMessage: (message: FeedMessage) => void) {
    return () => {};
  }
}

describe('ReplicaFollower.rebootstrap', () => {
  it('loads a fresh snapshot, counts a bootstrap, then reads after it', async () => {
    const source = new ScriptedSource(5);
    const replica = new Replica({ purgeIntervalMs: 0 });
    const follower = new ReplicaFollower(replica, source);
    await follower.start();
    source.lastSeq = 500;
    source.reads = [];
    await follower.rebootstrap();
    expect(replica.lastSeq).toBe(500);
    expect(replica.stats().bootstraps).toBe(2);
    expect(source.reads).toEqual([500]);
    follower.stop();
  });

  it('does not load a snapshot older than the replica: it only catches up', async () => {
    const source = new ScriptedSource(10);
    const replica = new Replica({ purgeIntervalMs: 0 });
    const follower = new ReplicaFollower(replica, source);
    await follower.start();
    const snapshot = source.snapshot.bind(source);
    source.snapshot = async () => ({ ...(await snapshot()), events: [], seq: 3 });
    source.lastSeq = 12;
    await follower.rebootstrap();
    expect(replica.stats().bootstraps).toBe(1);
    expect(replica.lastSeq).toBe(12);
    follower.stop();
  });

  it('cuts a long catch-up short', async () => {
    const source = new ScriptedSource(0);
    const replica = new Replica({ purgeIntervalMs: 0 });
    const follower = new ReplicaFollower(replica, source, { batchSize: 10 });
    await follower.start();
    source.lastSeq = 20_000;
    let asked = false;
    source.onRead = () => {
      if (source.reads.length === 3 && !asked) {
        asked = true;
        void follower.rebootstrap();
      }
    };
    await follower.catchUp();
    expect(replica.lastSeq).toBe(20_000);
    expect(replica.stats().bootstraps).toBe(2);
    expect(source.reads.length).toBeLessThan(10);
    follower.stop();
  });

  it('keeps the request when the snapshot fails, and loads one on the next catch-up', async () => {
    const source = new ScriptedSource(2);
    const replica = new Replica({ purgeIntervalMs: 0 });
    const follower = new ReplicaFollower(replica, source);
    await follower.start();
    source.lastSeq = 50;
    source.failNextSnapshot = true;
    await expect(follower.rebootstrap()).rejects.toThrow('snapshot failed');
    expect(replica.stats().bootstraps).toBe(1);
    await follower.catchUp();
    expect(replica.stats().bootstraps).toBe(2);
    expect(replica.lastSeq).toBe(50);
    follower.stop();
  });
});
