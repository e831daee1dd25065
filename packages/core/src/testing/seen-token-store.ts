import { afterEach, describe, expect, it } from 'vitest';
import type { RevocableError, SeenTokenStore } from '../index.js';

/** A fresh, empty store on its own storage, reading time from `clock`, and how to release it. */
export interface SeenTokenStoreUnderTest {
  readonly store: SeenTokenStore;
  /** Another handle on the same storage (its own connection or pool), same clock, for races across instances. */
  readonly another?: () => Promise<SeenTokenStore>;
  readonly cleanup?: () => Promise<void>;
}

/** What the suite gives `open`: the clock the store must read "now" from. */
export interface OpenSeenTokenStoreOptions {
  readonly clock: () => number;
}

const T0 = Date.UTC(2026, 0, 1);
const SCOPE = 'ssf:https://transmitter.example';

/**
 * Registers the `SeenTokenStore` contract (see `SeenTokenStore` in `@revocable/core`) as a vitest
 * suite against one backend: the first caller wins and replays lose, exactly one of concurrent callers
 * wins, scopes are apart, expired ids are reclaimable, `forget` and `purgeExpired`.
 *
 * @example
 * ```ts
 * import { describeSeenTokenStoreContract } from '@revocable/core/testing';
 * describeSeenTokenStoreContract('memory', async ({ clock }) => ({ store: new MemorySeenTokenStore({ clock }) }));
 * ```
 */
export function describeSeenTokenStoreContract(
  name: string,
  open: (options: OpenSeenTokenStoreOptions) => Promise<SeenTokenStoreUnderTest>,
): void {
  describe(`SeenTokenStore contract: ${name}`, () => {
    let current: SeenTokenStoreUnderTest | undefined;
    let now = T0;
    const fresh = async () => {
      now = T0;
      current = await open({ clock: () => now });
      return current;
    };
    afterEach(async () => {
      await current?.cleanup?.();
      current = undefined;
    });

    it('answers true to the first caller and false to a replay of the same id', async () => {
      const { store } = await fresh();
      expect(await store.remember(SCOPE, 'jti-1', T0 + 60_000)).toBe(true);
      expect(await store.remember(SCOPE, 'jti-1', T0 + 60_000)).toBe(false);
      expect(await store.remember(SCOPE, 'jti-2', T0 + 60_000)).toBe(true);
    });

    it('keeps scopes apart, and compares scope and id exactly', async () => {
      const { store } = await fresh();
      expect(await store.remember('a', 'b:c', T0 + 60_000)).toBe(true);
      expect(await store.remember('a:b', 'c', T0 + 60_000)).toBe(true);
      expect(await store.remember('A', 'b:c', T0 + 60_000)).toBe(true);
      expect(await store.remember('a', 'B:c', T0 + 60_000)).toBe(true);
      expect(await store.remember('a', 'b:c', T0 + 60_000)).toBe(false);
      const long = `é${'x'.repeat(4000)}\u{1F600}`;
      expect(await store.remember(long, long, T0 + 60_000)).toBe(true);
      expect(await store.remember(long, long, T0 + 60_000)).toBe(false);
    });

    it('lets exactly one of 50 concurrent callers win', async () => {
      const { store } = await fresh();
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => store.remember(SCOPE, 'race', T0 + 60_000)),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
    });

    it('lets exactly one of 50 concurrent callers on two handles of the storage win', async (context) => {
      const under = await fresh();
      if (under.another === undefined) {
        context.skip();
        return;
      }
      const stores = [under.store, await under.another()];
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 2]!.remember(SCOPE, 'race', T0 + 60_000)),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
      expect(await stores[1]!.remember(SCOPE, 'race', T0 + 60_000)).toBe(false);
    });

    it('holds an id while until > now, and reclaims it at until, holding it until the new until', async () => {
      const { store } = await fresh();
      expect(await store.remember(SCOPE, 'jti', T0 + 1_000)).toBe(true);
      now = T0 + 999;
      expect(await store.remember(SCOPE, 'jti', T0 + 5_000)).toBe(false);
      now = T0 + 1_000;
      expect(await store.remember(SCOPE, 'jti', T0 + 5_000)).toBe(true);
      now = T0 + 4_999;
      expect(await store.remember(SCOPE, 'jti', T0 + 9_000)).toBe(false);
      now = T0 + 5_000;
      expect(await store.remember(SCOPE, 'jti', T0 + 9_000)).toBe(true);
    });

    it('lets exactly one of concurrent callers reclaim an expired id', async () => {
      const { store } = await fresh();
      await store.remember(SCOPE, 'jti', T0 + 1_000);
      now = T0 + 2_000;
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => store.remember(SCOPE, 'jti', T0 + 60_000)),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
    });

    it('never lets a replay extend the first until', async () => {
      const { store } = await fresh();
      await store.remember(SCOPE, 'jti', T0 + 1_000);
      expect(await store.remember(SCOPE, 'jti', T0 + 600_000)).toBe(false);
      now = T0 + 1_000;
      expect(await store.remember(SCOPE, 'jti', T0 + 2_000)).toBe(true);
    });

    it('forgets an id so the next caller wins, and forgets an unknown id quietly', async () => {
      const { store } = await fresh();
      await store.remember(SCOPE, 'jti', T0 + 60_000);
      await store.remember('other', 'jti', T0 + 60_000);
      await store.forget(SCOPE, 'jti');
      await store.forget(SCOPE, 'never-seen');
      expect(await store.remember(SCOPE, 'jti', T0 + 60_000)).toBe(true);
      expect(await store.remember('other', 'jti', T0 + 60_000)).toBe(false);
    });

    it('purges expired ids only, answering how many, and still refuses live ones', async () => {
      const { store } = await fresh();
      await store.remember(SCOPE, 'old-1', T0 + 1_000);
      await store.remember('other', 'old-2', T0 + 2_000);
      await store.remember(SCOPE, 'live', T0 + 3_000);
      expect(await store.purgeExpired(T0 + 2_000)).toBe(2);
      expect(await store.purgeExpired(T0 + 2_000)).toBe(0);
      now = T0 + 2_500;
      expect(await store.remember(SCOPE, 'live', T0 + 60_000)).toBe(false);
      expect(await store.remember(SCOPE, 'old-1', T0 + 60_000)).toBe(true);
    });

    it('refuses empty or non-string scopes and ids and a non-finite until with ERR_CONFIG_INVALID', async () => {
      const { store } = await fresh();
      const bad: [unknown, unknown, unknown][] = [
        ['', 'jti', T0 + 1],
        [SCOPE, '', T0 + 1],
        [SCOPE, 42, T0 + 1],
        [undefined, 'jti', T0 + 1],
        [SCOPE, 'jti', Number.NaN],
        [SCOPE, 'jti', Number.POSITIVE_INFINITY],
        [SCOPE, 'jti', '1000'],
      ];
      for (const [scope, id, until] of bad) {
        const error = (await (store.remember as (...args: unknown[]) => Promise<boolean>)(
          scope,
          id,
          until,
        ).catch((e: unknown) => e)) as RevocableError;
        expect(error.code).toBe('ERR_CONFIG_INVALID');
      }
      const forgot = (await (store.forget as (...args: unknown[]) => Promise<void>)('', 'jti').catch(
        (e: unknown) => e,
      )) as RevocableError;
      expect(forgot.code).toBe('ERR_CONFIG_INVALID');
      expect(await store.remember(SCOPE, 'jti', T0 + 60_000)).toBe(true);
    });
  });
}
