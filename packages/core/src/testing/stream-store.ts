import { afterEach, describe, expect, it } from 'vitest';
import type { RevocableError, StreamRecord, StreamStore } from '../index.js';

/** A fresh, empty store on its own storage, and how to release it. */
export interface StreamStoreUnderTest {
  readonly store: StreamStore;
  /** Another handle on the same storage (its own connection or pool), for races across processes. */
  readonly another?: () => Promise<StreamStore>;
  /** Closes the store and opens it again on the same storage (a restart); absent for memory. */
  readonly reopen?: () => Promise<StreamStore>;
  readonly cleanup?: () => Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 30_000;

function streamOf(streamId: string, owner = 'api', status: StreamRecord['status'] = 'enabled'): StreamRecord {
  return {
    streamId,
    owner,
    method: 'urn:ietf:rfc:8936',
    endpointUrl: `https://auth.example/ssf/poll/${streamId}`,
    authorizationHeader: null,
    eventsRequested: ['https://schemas.openid.net/secevent/caep/event-type/session-revoked'],
    description: null,
    status,
    reason: null,
    startSeq: 7,
    createdAt: T0,
    updatedAt: T0,
  };
}

const event = (n: number, order = n) => ({
  jti: `jti-${n}`,
  set: `h.p${n}.s`,
  dedupeKey: `seq:${n}`,
  order,
});

/**
 * Registers the `StreamStore` contract (see `StreamStore` in `@revocable/core`) as a vitest suite
 * against one backend: streams kept and found, the owner limit, queue order, exactly one claimer per
 * SET, acknowledgement, paused streams holding and disabled ones dropping, dedupe across processes,
 * and (with `reopen`) everything surviving a restart.
 *
 * @example
 * ```ts
 * import { describeStreamStoreContract } from '@revocable/core/testing';
 * describeStreamStoreContract('memory', async () => ({ store: new MemoryStreamStore() }));
 * ```
 */
export function describeStreamStoreContract(name: string, open: () => Promise<StreamStoreUnderTest>): void {
  describe(`StreamStore contract: ${name}`, () => {
    let current: StreamStoreUnderTest | undefined;
    const fresh = async () => {
      current = await open();
      return current;
    };
    afterEach(async () => {
      await current?.cleanup?.();
      current = undefined;
    });

    it('keeps a stream, finds it by id and lists it by owner, and answers undefined for an unknown id', async () => {
      const { store } = await fresh();
      expect(await store.createStream({ ...streamOf('s1'), authorizationHeader: 'Bearer x' }, 10)).toBe(
        'created',
      );
      await store.createStream(streamOf('s2', 'other'), 10);
      expect(await store.getStream('s1')).toEqual({
        ...streamOf('s1'),
        authorizationHeader: 'Bearer x',
      });
      expect(await store.getStream('nope')).toBeUndefined();
      expect((await store.listStreams('api')).map((s) => s.streamId)).toEqual(['s1']);
      expect((await store.listStreams()).map((s) => s.streamId).sort()).toEqual(['s1', 's2']);
    });

    it("answers 'limit' and stores nothing when the owner already has maxPerOwner streams", async () => {
      const { store } = await fresh();
      expect(await store.createStream(streamOf('a'), 2)).toBe('created');
      expect(await store.createStream(streamOf('b'), 2)).toBe('created');
      expect(await store.createStream(streamOf('c'), 2)).toBe('limit');
      expect(await store.getStream('c')).toBeUndefined();
      expect(await store.createStream(streamOf('d', 'other'), 2)).toBe('created');
    });

    it('updates delivery and status, answering undefined for an unknown stream', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      const updated = await store.updateStream('s', {
        method: 'urn:ietf:rfc:8935',
        endpointUrl: 'https://rp.example/push',
        authorizationHeader: 'Bearer y',
        eventsRequested: ['a', 'b'],
        description: 'd',
        updatedAt: T0 + 1,
      });
      expect(updated).toMatchObject({
        method: 'urn:ietf:rfc:8935',
        eventsRequested: ['a', 'b'],
        startSeq: 7,
      });
      expect(await store.getStream('s')).toEqual(updated);
      expect(await store.setStatus('s', 'paused', 'maintenance', T0 + 2)).toMatchObject({
        status: 'paused',
        reason: 'maintenance',
        updatedAt: T0 + 2,
      });
      expect((await store.getStream('s'))?.status).toBe('paused');
      expect(await store.setStatus('nope', 'paused', null, T0)).toBeUndefined();
      expect(await store.updateStream('nope', { ...updated!, updatedAt: T0 })).toBeUndefined();
    });

    it('hands out queued SETs in queue order, leased: a second claim gets none until the lease ends', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      expect(await store.enqueue('s', event(3), T0)).toBe(true);
      expect(await store.enqueue('s', event(1), T0)).toBe(true);
      expect(await store.enqueue('s', event(2), T0)).toBe(true);
      const first = await store.claim('s', 2, T0, LEASE);
      expect(first.events.map((e) => e.jti)).toEqual(['jti-1', 'jti-2']);
      expect(first.events[0]).toEqual({ streamId: 's', jti: 'jti-1', set: 'h.p1.s', attempts: 1 });
      expect(first.moreAvailable).toBe(true);
      expect((await store.claim('s', 10, T0 + 1, LEASE)).events.map((e) => e.jti)).toEqual(['jti-3']);
      expect(await store.claim('s', 10, T0 + LEASE - 1, LEASE)).toEqual({ events: [], moreAvailable: false });
      const again = await store.claim('s', 10, T0 + LEASE, LEASE);
      expect(again.events.map((e) => [e.jti, e.attempts])).toEqual([
        ['jti-1', 2],
        ['jti-2', 2],
      ]);
    });

    it('never hands out an acknowledged SET again, and counts only what it marked', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      await store.createStream(streamOf('t'), 10);
      await store.enqueue('s', event(1), T0);
      await store.enqueue('s', event(2), T0);
      await store.enqueue('t', event(9), T0);
      await store.claim('s', 10, T0, LEASE);
      expect(await store.acknowledge('s', ['jti-1', 'jti-1', 'unknown', 'jti-9'], T0)).toBe(1);
      expect(await store.acknowledge('s', ['jti-1'], T0)).toBe(0);
      const later = await store.claim('s', 10, T0 + LEASE, LEASE);
      expect(later.events.map((e) => e.jti)).toEqual(['jti-2']);
      expect((await store.claim('t', 10, T0, LEASE)).events.map((e) => e.jti)).toEqual(['jti-9']);
    });

    it('makes a released SET available at the time given', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      await store.enqueue('s', event(1), T0);
      await store.claim('s', 10, T0, LEASE);
      await store.release('s', 'jti-1', T0 + 4_000);
      await store.release('s', 'unknown', T0);
      expect((await store.claim('s', 10, T0 + 3_999, LEASE)).events).toEqual([]);
      expect((await store.claim('s', 10, T0 + 4_000, LEASE)).events.map((e) => e.jti)).toEqual(['jti-1']);
    });

    it('queues once per dedupe key, also after acknowledgement, until purged', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      expect(await store.enqueue('s', event(1), T0)).toBe(true);
      expect(await store.enqueue('s', { ...event(1), jti: 'other-jti' }, T0)).toBe(false);
      await store.claim('s', 10, T0, LEASE);
      await store.acknowledge('s', ['jti-1'], T0 + 10);
      expect(await store.enqueue('s', { ...event(1), jti: 'third-jti' }, T0)).toBe(false);
      expect(await store.purgeAcknowledged(T0 + 10)).toBe(0);
      expect(await store.purgeAcknowledged(T0 + 11)).toBe(1);
      expect(await store.enqueue('s', { ...event(1), jti: 'fourth-jti' }, T0)).toBe(true);
    });

    it('queues nothing on an unknown or disabled stream', async () => {
      const { store } = await fresh();
      expect(await store.enqueue('nope', event(1), T0)).toBe(false);
      await store.createStream(streamOf('s', 'api', 'disabled'), 10);
      expect(await store.enqueue('s', event(1), T0)).toBe(false);
      await store.setStatus('s', 'enabled', null, T0);
      expect((await store.claim('s', 10, T0, LEASE)).events).toEqual([]);
    });

    it('holds SETs on a paused stream and hands them out, in order, once enabled', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      await store.enqueue('s', event(1), T0);
      await store.setStatus('s', 'paused', null, T0);
      expect(await store.enqueue('s', event(2), T0)).toBe(true);
      expect(await store.claim('s', 10, T0, LEASE)).toEqual({ events: [], moreAvailable: false });
      await store.setStatus('s', 'enabled', null, T0);
      expect((await store.claim('s', 10, T0, LEASE)).events.map((e) => e.jti)).toEqual(['jti-1', 'jti-2']);
    });

    it('drops every queued SET when a stream is disabled', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      await store.enqueue('s', event(1), T0);
      await store.setStatus('s', 'disabled', 'gone', T0);
      await store.setStatus('s', 'enabled', null, T0);
      expect((await store.claim('s', 10, T0, LEASE)).events).toEqual([]);
    });

    it('deletes a stream with its queue', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      await store.enqueue('s', event(1), T0);
      expect(await store.deleteStream('s')).toBe(true);
      expect(await store.deleteStream('s')).toBe(false);
      expect(await store.getStream('s')).toBeUndefined();
      await store.createStream(streamOf('s'), 10);
      expect((await store.claim('s', 10, T0, LEASE)).events).toEqual([]);
    });

    it('excludes subjects per stream up to a limit, takes them back, and forgets them with the stream', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      await store.createStream(streamOf('t'), 10);
      expect(await store.excludeSubject('s', 'user:a', 2)).toBe('excluded');
      expect(await store.excludeSubject('s', 'user:a', 2)).toBe('excluded');
      expect(await store.excludeSubject('s', 'user:b', 2)).toBe('excluded');
      expect(await store.excludeSubject('s', 'user:c', 2)).toBe('limit');
      expect(await store.excludeSubject('nope', 'user:a', 2)).toBe('not-found');
      expect(await store.anyExcluded('s', ['session:x', 'user:a'])).toBe(true);
      expect(await store.anyExcluded('s', ['user:c'])).toBe(false);
      expect(await store.anyExcluded('t', ['user:a'])).toBe(false);
      await store.includeSubject('s', 'user:a');
      await store.includeSubject('s', 'never-excluded');
      expect(await store.anyExcluded('s', ['user:a'])).toBe(false);
      await store.deleteStream('s');
      await store.createStream(streamOf('s'), 10);
      expect(await store.anyExcluded('s', ['user:b'])).toBe(false);
    });

    it('moves the cursor forward only', async () => {
      const { store } = await fresh();
      expect(await store.cursor()).toBe(0);
      await store.advanceCursor(5);
      await store.advanceCursor(3);
      expect(await store.cursor()).toBe(5);
    });

    it('gives each SET to exactly one of 20 concurrent claimers', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      for (let n = 1; n <= 30; n++) await store.enqueue('s', event(n), T0);
      const claims = await Promise.all(Array.from({ length: 20 }, () => store.claim('s', 3, T0, LEASE)));
      const jtis = claims.flatMap((c) => c.events.map((e) => e.jti));
      expect(jtis).toHaveLength(30);
      expect(new Set(jtis).size).toBe(30);
    });

    it('gives each SET to exactly one claimer, and queues each dedupe key once, across two handles', async (context) => {
      const under = await fresh();
      if (under.another === undefined) {
        context.skip();
        return;
      }
      const stores = [under.store, await under.another()];
      await stores[0]!.createStream(streamOf('s'), 10);
      const queued = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          stores[i % 2]!.enqueue('s', { ...event(i % 20), jti: `j${i}` }, T0),
        ),
      );
      expect(queued.filter(Boolean)).toHaveLength(20);
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % 2]!.claim('s', 2, T0, LEASE)),
      );
      // A claim may skip SETs another is taking; none is taken twice, and none is lost.
      const rest = await stores[1]!.claim('s', 20, T0, LEASE);
      const jtis = [...claims, rest].flatMap((c) => c.events.map((e) => e.jti));
      expect(jtis).toHaveLength(20);
      expect(new Set(jtis).size).toBe(20);
    });

    it('keeps streams, queued SETs, leases, acknowledgements and the cursor across a restart', async (context) => {
      const under = await fresh();
      if (under.reopen === undefined) {
        context.skip();
        return;
      }
      await under.store.createStream(streamOf('s'), 10);
      await under.store.enqueue('s', event(1), T0);
      await under.store.enqueue('s', event(2), T0);
      await under.store.enqueue('s', event(3), T0);
      await under.store.claim('s', 1, T0, LEASE);
      await under.store.acknowledge('s', ['jti-2'], T0);
      await under.store.advanceCursor(9);
      const store = await under.reopen();
      expect(await store.getStream('s')).toEqual(streamOf('s'));
      expect(await store.cursor()).toBe(9);
      expect((await store.claim('s', 10, T0, LEASE)).events.map((e) => e.jti)).toEqual(['jti-3']);
      expect((await store.claim('s', 10, T0 + LEASE, LEASE)).events.map((e) => e.jti)).toEqual([
        'jti-1',
        'jti-3',
      ]);
    });

    it('refuses empty ids and non-finite numbers with ERR_CONFIG_INVALID', async () => {
      const { store } = await fresh();
      await store.createStream(streamOf('s'), 10);
      const attempts: (() => Promise<unknown>)[] = [
        () => store.getStream(''),
        () => store.enqueue('s', { ...event(1), jti: '' }, T0),
        () => store.enqueue('s', event(1), Number.NaN),
        () => store.claim('s', Number.POSITIVE_INFINITY, T0, LEASE),
        () => store.claim('s', 1, T0, -1),
        () => store.acknowledge('s', [''], T0),
        () => store.advanceCursor(Number.NaN),
      ];
      for (const attempt of attempts) {
        const error = (await attempt().catch((e: unknown) => e)) as RevocableError;
        expect(error.code).toBe('ERR_CONFIG_INVALID');
      }
      expect(await store.enqueue('s', event(1), T0)).toBe(true);
    });
  });
}
