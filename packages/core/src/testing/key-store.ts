import { afterEach, describe, expect, it } from 'vitest';
import type { KeyRecord, KeyStore } from '../index.js';

/** A fresh, empty store on its own storage, and how to reopen and release it. */
export interface KeyStoreUnderTest {
  readonly store: KeyStore;
  readonly reopen?: () => Promise<KeyStore>;
  readonly cleanup?: () => Promise<void>;
  /** Another handle on the same storage (its own connection or pool), for commits racing across instances. */
  readonly another?: () => Promise<KeyStore>;
}

const T0 = Date.UTC(2026, 0, 1);

function record(kid: string, over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    kid,
    alg: 'EdDSA',
    state: 'active',
    createdAt: T0,
    privateJwk: { kty: 'OKP', crv: 'Ed25519', x: `x-${kid}`, d: `d-${kid}` },
    ...over,
  };
}

/**
 * Registers the `KeyStore` contract (see `KeyStore` in `@revocable/core`) as a vitest suite against
 * one backend: lists, puts, deletes, and the compare-and-set `commit` that makes key creation
 * race-free.
 *
 * @example
 * ```ts
 * import { describeKeyStoreContract } from '@revocable/core/testing';
 * describeKeyStoreContract('memory', async () => ({ store: new MemoryKeyStore() }));
 * ```
 */
export function describeKeyStoreContract(name: string, open: () => Promise<KeyStoreUnderTest>): void {
  describe(`KeyStore contract: ${name}`, () => {
    let current: KeyStoreUnderTest | undefined;
    afterEach(async () => {
      await current?.cleanup?.();
      current = undefined;
    });

    it('starts empty, then lists records oldest first, equal to what was put', async () => {
      current = await open();
      const { store } = current;
      expect(await store.list()).toEqual([]);
      const newer = record('k2', { createdAt: T0 + 10, state: 'next' });
      const older = record('k1', { createdAt: T0 });
      await store.put(newer);
      await store.put(older);
      expect(await store.list()).toEqual([older, newer]);
    });

    it('replaces a record with the same kid, keeping optional members exact', async () => {
      current = await open();
      const { store } = current;
      await store.put(record('k1'));
      const retired = record('k1', { state: 'retired', verifyUntil: T0 + 660_000 });
      await store.put(retired);
      expect(await store.list()).toEqual([retired]);
    });

    it('deletes by kid, answering whether a record was removed', async () => {
      current = await open();
      const { store } = current;
      await store.put(record('k1'));
      expect(await store.delete('k1')).toBe(true);
      expect(await store.delete('k1')).toBe(false);
      expect(await store.list()).toEqual([]);
    });

    it('commits puts and deletes together when the store holds exactly the expected kids and states', async () => {
      current = await open();
      const { store } = current;
      await store.put(record('k1'));
      await store.put(record('k2', { state: 'next', createdAt: T0 + 1 }));
      const retired = record('k1', { state: 'retired', verifyUntil: T0 + 660_000 });
      const promoted = record('k2', { state: 'active', createdAt: T0 + 1 });
      const fresh = record('k3', { state: 'next', createdAt: T0 + 2 });
      const applied = await store.commit({
        expected: [
          { kid: 'k2', state: 'next' },
          { kid: 'k1', state: 'active' },
        ],
        put: [retired, promoted, fresh],
      });
      expect(applied).toBe(true);
      expect(await store.list()).toEqual([retired, promoted, fresh]);
      expect(
        await store.commit({
          expected: [
            { kid: 'k1', state: 'retired' },
            { kid: 'k2', state: 'active' },
            { kid: 'k3', state: 'next' },
          ],
          delete: ['k1'],
        }),
      ).toBe(true);
      expect(await store.list()).toEqual([promoted, fresh]);
    });

    it('changes nothing and answers false when the store differs from what the commit expected', async () => {
      current = await open();
      const { store } = current;
      await store.put(record('k1'));
      const before = await store.list();
      const k9 = record('k9', { state: 'next', createdAt: T0 + 9 });
      for (const expected of [
        [], // an insert-if-absent on a store that has keys
        [{ kid: 'k1', state: 'next' as const }], // another state
        [
          { kid: 'k1', state: 'active' as const },
          { kid: 'k2', state: 'next' as const },
        ], // a key the store does not hold
      ]) {
        expect(await store.commit({ expected, put: [k9], delete: ['k1'] })).toBe(false);
        expect(await store.list()).toEqual(before);
      }
    });

    it('applies exactly one of 20 concurrent commits from an empty store (insert-if-absent of a ring)', async () => {
      current = await open();
      const stores = [current.store];
      if (current.another) stores.push(await current.another());
      const rings = Array.from({ length: 20 }, (_, i) => [
        record(`a${i}`, { createdAt: T0 }),
        record(`n${i}`, { state: 'next', createdAt: T0 + 1 }),
      ]);
      const outcomes = await Promise.all(
        rings.map((put, i) => stores[i % stores.length]!.commit({ expected: [], put })),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const winner = rings[outcomes.indexOf(true)]!;
      expect(await current.store.list()).toEqual(winner);
    });

    it('keeps records across a reopen', async () => {
      current = await open();
      if (!current.reopen) return;
      await current.store.put(record('k1'));
      const again = await current.reopen();
      expect(await again.list()).toEqual([record('k1')]);
    });
  });
}
