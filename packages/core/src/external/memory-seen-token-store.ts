import { RevocableError } from '../errors.js';
import { checkSeenTokenArguments, type SeenTokenStore } from './seen-token-store.js';

/** Options of {@link MemorySeenTokenStore}. */
export interface MemorySeenTokenStoreOptions {
  /** Most pairs held at once; past it the pair recorded first is dropped. Default 10,000. */
  readonly maxEntries?: number;
  /** The store's clock, epoch ms. Default `Date.now`. */
  readonly clock?: () => number;
}

/** One key per (scope, id) pair that no other pair shares, whatever characters either holds. */
function keyOf(scope: string, id: string): string {
  return `${scope.length}:${scope}${id}`;
}

/**
 * A {@link SeenTokenStore} in process memory: one process only (behind a load balancer, a replay sent
 * to another process is not caught; use the SQL store, `storage.seenTokens`, to share it). Bounded by
 * `maxEntries`: when full, the pair recorded first is dropped, which for pairs sharing one window
 * length is also the one closest to expiry — a flood of distinct ids can thus push out a live one.
 *
 * @example
 * ```ts
 * const seen = new MemorySeenTokenStore({ maxEntries: 1000 });
 * await seen.remember('ssf:https://idp.example', 'jti-1', Date.now() + 120_000); // true
 * await seen.remember('ssf:https://idp.example', 'jti-1', Date.now() + 120_000); // false: a replay
 * ```
 */
export class MemorySeenTokenStore implements SeenTokenStore {
  readonly #until = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #clock: () => number;

  constructor(options: MemorySeenTokenStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries <= 0) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'maxEntries must be a positive whole number.');
    }
    this.#maxEntries = maxEntries;
    this.#clock = options.clock ?? Date.now;
  }

  /** How many pairs are held (expired ones not yet dropped included). */
  get size(): number {
    return this.#until.size;
  }

  async remember(scope: string, id: string, until: number): Promise<boolean> {
    checkSeenTokenArguments(scope, id, until);
    const now = this.#clock();
    this.#dropExpiredFront(now);
    const key = keyOf(scope, id);
    const held = this.#until.get(key);
    if (held !== undefined && held > now) return false;
    this.#until.delete(key);
    while (this.#until.size >= this.#maxEntries) {
      const oldest = this.#until.keys().next().value;
      if (oldest === undefined) break;
      this.#until.delete(oldest);
    }
    this.#until.set(key, until);
    return true;
  }

  async forget(scope: string, id: string): Promise<void> {
    checkSeenTokenArguments(scope, id);
    this.#until.delete(keyOf(scope, id));
  }

  async purgeExpired(now: number): Promise<number> {
    let removed = 0;
    for (const [key, until] of this.#until) {
      if (until <= now) {
        this.#until.delete(key);
        removed++;
      }
    }
    return removed;
  }

  #dropExpiredFront(now: number): void {
    // Insertion order is close to expiry order; stopping at the first live pair keeps a call
    // O(expired pairs), not O(size). `purgeExpired` drops the rest.
    for (const [key, until] of this.#until) {
      if (until > now) return;
      this.#until.delete(key);
    }
  }
}
