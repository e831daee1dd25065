import type { RevocationEvent } from '@revocable/core';
import { describe, expect, it } from 'vitest';
import { EventFeed, type EventSource } from '../src/event-feed.js';

function event(seq: number): RevocationEvent {
  return {
    seq,
    rule: { kind: 'subject', iss: 'https://auth.example', sub: `u${seq}`, cutoff: 1 },
    reason: 'logout_all',
    actor: 'test',
    recordedAt: 1,
    forgetAfter: Number.MAX_SAFE_INTEGER,
  } as RevocationEvent;
}

/** A source whose reads wait until the test lets them through. */
class HeldSource implements EventSource {
  readonly events: RevocationEvent[] = [];
  #release: (() => void) | undefined;
  #held = Promise.resolve();
  hold(): void {
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }
  release(): void {
    this.#release?.();
  }
  async readAfter(after: number, limit: number): Promise<RevocationEvent[]> {
    await this.#held;
    return this.events.filter((e) => e.seq > after).slice(0, limit);
  }
  async lastSeq(): Promise<number> {
    await this.#held;
    return this.events.at(-1)?.seq ?? 0;
  }
}

describe('EventFeed: an own commit reaches this process before the append resolves', () => {
  it('delivers at once when nothing is being read (control case)', async () => {
    const source = new HeldSource();
    const feed = new EventFeed(source, { pollIntervalMs: 0, onListenerError: () => {} });
    const seen: number[] = [];
    feed.subscribe((e) => seen.push(e.seq));
    await new Promise((resolve) => setTimeout(resolve, 10)); // the starting read is done
    source.events.push(event(1));
    await feed.committed([event(1)]);
    expect(seen).toEqual([1]);
    await feed.stop();
  });

  it('waits for a read in flight, then resolves with the own event delivered, in seq order', async () => {
    const source = new HeldSource();
    const feed = new EventFeed(source, { pollIntervalMs: 20, onListenerError: () => {} });
    const seen: number[] = [];
    feed.subscribe((e) => seen.push(e.seq));
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Another process committed seq 1; a poll is reading it (held) when this process commits seq 2.
    source.events.push(event(1));
    source.hold();
    await new Promise((resolve) => setTimeout(resolve, 40)); // a poll is now in flight, held
    source.events.push(event(2));
    let resolved = false;
    const acknowledged = feed.committed([event(2)]).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(resolved).toBe(false); // not acknowledged while its event has not reached the listener
    source.release();
    await acknowledged;
    expect(seen).toEqual([1, 2]);
    await feed.stop();
  });
});
