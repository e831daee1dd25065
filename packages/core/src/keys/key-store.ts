import type { Algorithm } from './algorithms.js';
import type { JWK } from './jwk.js';

/**
 * Where a key is in its life. A rotation publishes a `next` key (in the JWKS, not yet signing), then
 * makes it `active` (signing), and moves the old active key to `retired` (still verifying until its
 * last token expires, then removed).
 */
export type KeyState = 'next' | 'active' | 'retired';

/** A stored signing key. `privateJwk` is secret material: never log or return it from an API. */
export interface KeyRecord {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly state: KeyState;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds after which a retired key verifies nothing; absent unless retired. */
  readonly verifyUntil?: number;
  readonly privateJwk: JWK;
}

/**
 * Durable storage for the signing keys of a {@link KeyRing}.
 *
 * Contract (checked by the key-store conformance suite for every backend):
 * - `list()` returns every stored record, oldest `createdAt` first; an empty store returns `[]`.
 * - `put()` inserts or fully replaces the record with the same `kid`; it is atomic per record: a
 *   reader sees the old record or the new one, never a mix.
 * - `delete()` resolves `true` when a record was removed and `false` when none had that `kid`.
 * - `commit()` is a compare-and-set of the whole ring: it applies its deletes and puts together, and only
 *   when the store holds exactly the `expected` kids in those states (order ignored); it resolves `true`
 *   when applied, `false` (changing nothing) otherwise. Of concurrent commits made from the same
 *   expected state, from any number of processes, exactly one applies. `commit({ expected: [], put })`
 *   is the ring's insert-if-absent: of processes starting together on an empty store, one writes its
 *   keys and the others load them.
 * - Records come back equal to what was put (same JWK members and numbers).
 *
 * @example
 * ```ts
 * const store: KeyStore = new MemoryKeyStore();
 * const ring = await KeyRing.open({ store });
 * ```
 */
export interface KeyStore {
  list(): Promise<KeyRecord[]>;
  put(record: KeyRecord): Promise<void>;
  delete(kid: string): Promise<boolean>;
  commit(change: KeyChange): Promise<boolean>;
}

/** A stored key as a {@link KeyChange} expects to find it. */
export interface ExpectedKey {
  readonly kid: string;
  readonly state: KeyState;
}

/**
 * One atomic change of a key store, applied only when the store still holds what the writer saw.
 *
 * @example
 * ```ts
 * const seen = await store.list();
 * const applied = await store.commit({
 *   expected: seen.map(({ kid, state }) => ({ kid, state })),
 *   put: [{ ...active, state: 'retired', verifyUntil }, { ...next, state: 'active' }, newNext],
 * });
 * if (!applied) {
 *   // another process changed the keys first: list again and decide again
 * }
 * ```
 */
export interface KeyChange {
  /** Every key the store must hold, by kid and state, for the change to apply; `[]` for an empty store. */
  readonly expected: readonly ExpectedKey[];
  /** Records inserted or fully replaced (by `kid`), after the deletes. */
  readonly put?: readonly KeyRecord[];
  /** Kids removed. */
  readonly delete?: readonly string[];
}

/**
 * Whether stored keys are exactly the expected ones: the comparison {@link KeyStore.commit} makes.
 *
 * @example
 * ```ts
 * if (!holdsExactly(await trx.list(), change.expected)) return false;
 * ```
 */
export function holdsExactly(
  stored: readonly { readonly kid: string; readonly state: string }[],
  expected: readonly ExpectedKey[],
): boolean {
  const wanted = new Map(expected.map(({ kid, state }) => [kid, state]));
  return stored.length === wanted.size && stored.every(({ kid, state }) => wanted.get(kid) === state);
}

/**
 * A {@link KeyStore} in process memory: for tests and for processes that do not need keys to survive
 * a restart.
 *
 * @example
 * ```ts
 * const ring = await KeyRing.open({ store: new MemoryKeyStore() });
 * ```
 */
export class MemoryKeyStore implements KeyStore {
  readonly #records = new Map<string, KeyRecord>();

  async list(): Promise<KeyRecord[]> {
    return [...this.#records.values()].map(clone).sort((a, b) => a.createdAt - b.createdAt);
  }

  async put(record: KeyRecord): Promise<void> {
    this.#records.set(record.kid, clone(record));
  }

  async delete(kid: string): Promise<boolean> {
    return this.#records.delete(kid);
  }

  // Checks and applies in one synchronous step: no other call runs in between.
  async commit(change: KeyChange): Promise<boolean> {
    if (!holdsExactly([...this.#records.values()], change.expected)) return false;
    for (const kid of change.delete ?? []) this.#records.delete(kid);
    for (const record of change.put ?? []) this.#records.set(record.kid, clone(record));
    return true;
  }
}

function clone(record: KeyRecord): KeyRecord {
  return structuredClone(record);
}
