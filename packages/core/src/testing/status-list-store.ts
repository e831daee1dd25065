import { afterEach, describe, expect, it } from 'vitest';
import type { StatusListEntry, StatusListStore } from '../internal.js';

/** A fresh, empty store on its own storage, and how to release it. */
export interface StatusListStoreUnderTest {
  readonly store: StatusListStore;
  /** Another handle on the same storage (its own connection or pool), for claims racing across processes. */
  readonly another?: () => Promise<StatusListStore>;
  readonly cleanup?: () => Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const MARGIN = 60_000;

function entry(idx: number, over: Partial<StatusListEntry> = {}): StatusListEntry {
  const expiresAt = T0 + 600_000;
  return {
    list: '1',
    idx,
    iss: 'https://auth.example',
    sub: `user-${idx}`,
    sid: `sid-${idx}`,
    kid: 'k1',
    jti: `jti-${idx}`,
    issuedAt: T0 + 123,
    expiresAt,
    freeAt: expiresAt + MARGIN,
    ...over,
  };
}

/**
 * Registers the `StatusListStore` contract (see `StatusListStore` in `@revocable/core/internal`) as a
 * vitest suite against one backend: claims where exactly one caller gets a free index, recycling only
 * once `freeAt` has passed, reading in `seq` order, purging, and refusing malformed entries.
 *
 * @example
 * ```ts
 * import { describeStatusListStoreContract } from '@revocable/core/testing';
 * describeStatusListStoreContract('memory', async () => ({ store: new MemoryStatusListStore() }));
 * ```
 */
export function describeStatusListStoreContract(
  name: string,
  open: () => Promise<StatusListStoreUnderTest>,
): void {
  describe(`StatusListStore contract: ${name}`, () => {
    let current: StatusListStoreUnderTest | undefined;
    afterEach(async () => {
      await current?.cleanup?.();
      current = undefined;
    });

    it('starts empty', async () => {
      current = await open();
      expect(await current.store.readAfter(0)).toEqual([]);
      expect(await current.store.lastSeq()).toBe(0);
    });

    it('records a claimed entry exactly, with a seq, and reads it back', async () => {
      current = await open();
      const { store } = current;
      const given = entry(7, { sid: null });
      const recorded = await store.claim(given, T0);
      expect(recorded).toEqual({ ...given, seq: expect.any(Number) });
      expect(recorded!.seq).toBeGreaterThan(0);
      expect(await store.readAfter(0)).toEqual([recorded]);
      expect(await store.lastSeq()).toBe(recorded!.seq);
    });

    it('drops members an entry does not define', async () => {
      current = await open();
      const given = { ...entry(1), extra: 'dropped' } as StatusListEntry;
      const recorded = await current.store.claim(given, T0);
      expect(recorded).not.toHaveProperty('extra');
      expect(await current.store.readAfter(0)).toEqual([recorded]);
    });

    it('answers undefined for an index held until its freeAt, changing nothing', async () => {
      current = await open();
      const { store } = current;
      const first = await store.claim(entry(3), T0);
      const other = entry(3, { jti: 'other', sub: 'someone-else' });
      expect(await store.claim(other, T0 + 1)).toBeUndefined();
      expect(await store.claim(other, first!.freeAt - 1)).toBeUndefined();
      expect(await store.readAfter(0)).toEqual([first]);
    });

    it('gives an index to another token from its freeAt on, replacing the old entry', async () => {
      current = await open();
      const { store } = current;
      const first = await store.claim(entry(3), T0);
      const later = entry(3, {
        jti: 'later',
        expiresAt: first!.freeAt + 600_000,
        freeAt: first!.freeAt + 660_000,
      });
      const second = await store.claim(later, first!.freeAt);
      expect(second).toEqual({ ...later, seq: expect.any(Number) });
      expect(second!.seq).toBeGreaterThan(first!.seq);
      expect(await store.readAfter(0)).toEqual([second]);
      expect(await store.readAfter(first!.seq)).toEqual([second]);
    });

    it('keeps lists apart: one index in two lists is two entries', async () => {
      current = await open();
      const { store } = current;
      const a = await store.claim(entry(5, { list: 'a' }), T0);
      const b = await store.claim(entry(5, { list: 'b' }), T0);
      expect(a).toBeDefined();
      expect(b).toBeDefined();
      expect(await store.readAfter(0)).toEqual([a, b]);
    });

    it('reads after a seq, ascending, at most limit entries', async () => {
      current = await open();
      const { store } = current;
      const recorded = [];
      for (const idx of [40, 2, 31, 9, 17]) recorded.push(await store.claim(entry(idx), T0));
      expect(await store.readAfter(0)).toEqual(recorded);
      expect(await store.readAfter(0, 2)).toEqual(recorded.slice(0, 2));
      expect(await store.readAfter(recorded[1]!.seq, 2)).toEqual(recorded.slice(2, 4));
      expect(await store.readAfter(recorded[4]!.seq)).toEqual([]);
      expect(await store.readAfter(0, 0)).toEqual([]);
    });

    it('purges the entries whose freeAt has come, and only those', async () => {
      current = await open();
      const { store } = current;
      const early = await store.claim(entry(1, { expiresAt: T0 + 1000, freeAt: T0 + 2000 }), T0);
      const late = await store.claim(entry(2), T0);
      expect(await store.purge(T0 + 1999)).toBe(0);
      expect(await store.purge(T0 + 2000)).toBe(1);
      expect(await store.readAfter(0)).toEqual([late]);
      expect(await store.lastSeq()).toBeGreaterThanOrEqual(Math.max(early!.seq, late!.seq));
    });

    it('refuses malformed entries with ERR_STATUS_LIST_INVALID and records nothing', async () => {
      current = await open();
      const { store } = current;
      const bad: Partial<Record<keyof StatusListEntry, unknown>>[] = [
        { idx: -1 },
        { idx: 1.5 },
        { idx: 2 ** 32 },
        { list: '' },
        { list: 'a/b' },
        { list: 'x'.repeat(65) },
        { iss: '' },
        { sub: 42 },
        { sid: '' },
        { kid: undefined },
        { jti: '' },
        { issuedAt: 1.5 },
        { expiresAt: Number.NaN },
        { freeAt: T0 },
      ];
      for (const over of bad) {
        await expect(store.claim(entry(1, over as Partial<StatusListEntry>), T0)).rejects.toMatchObject({
          code: 'ERR_STATUS_LIST_INVALID',
        });
      }
      await expect(store.claim(entry(1), 1.5)).rejects.toMatchObject({ code: 'ERR_STATUS_LIST_INVALID' });
      await expect(store.readAfter(0.5)).rejects.toMatchObject({ code: 'ERR_STATUS_LIST_INVALID' });
      await expect(store.readAfter(0, -1)).rejects.toMatchObject({ code: 'ERR_STATUS_LIST_INVALID' });
      await expect(store.purge(Number.NaN)).rejects.toMatchObject({ code: 'ERR_STATUS_LIST_INVALID' });
      expect(await store.readAfter(0)).toEqual([]);
    });

    it('gives one free index to exactly one of 40 concurrent claims', async () => {
      current = await open();
      const { store } = current;
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => store.claim(entry(11, { jti: `racer-${i}` }), T0)),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await store.readAfter(0)).toEqual(winners);
    });

    it('gives one free index to exactly one claimer across two handles on the same storage', async () => {
      current = await open();
      if (current.another === undefined) return; // a backend of one process: the case above covers it
      const stores = [current.store, await current.another()];
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => stores[i % 2]!.claim(entry(12, { jti: `racer-${i}` }), T0)),
      );
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await stores[1]!.readAfter(0)).toEqual(winners);
    });

    it('makes concurrent claims visible in seq order: none is missing and seqs ascend', async () => {
      current = await open();
      const { store } = current;
      const handles = current.another === undefined ? [store] : [store, await current.another()];
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => handles[i % handles.length]!.claim(entry(100 + i), T0)),
      );
      const read = await store.readAfter(0);
      expect(read).toHaveLength(60);
      const seqs = read.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(read.map((e) => e.idx))).toEqual(new Set(results.map((r) => r!.idx)));
    });
  });
}
