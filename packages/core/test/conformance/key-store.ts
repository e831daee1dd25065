import type { KeyRecord, KeyStore } from '@revocable/core';
import { afterEach, describe, expect, it } from 'vitest';

/** A fresh, empty store on its own storage, and how to reopen and release it. */
export interface KeyStoreUnderTest {
  readonly store: KeyStore;
  readonly reopen?: () => Promise<KeyStore>;
  readonly cleanup?: () => Promise<void>;
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

/** Registers the `KeyStore` contract (see `packages/core/src/keys/key-store.ts`) against one backend. */
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

    it('keeps records across a reopen', async () => {
      current = await open();
      if (!current.reopen) return;
      await current.store.put(record('k1'));
      const again = await current.reopen();
      expect(await again.list()).toEqual([record('k1')]);
    });
  });
}
