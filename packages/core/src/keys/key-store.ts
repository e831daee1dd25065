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
}

function clone(record: KeyRecord): KeyRecord {
  return structuredClone(record);
}
