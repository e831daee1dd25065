import { RevocableError } from '../errors.js';

/** Options of {@link SeenTokenIds}. */
export interface SeenTokenIdsOptions {
  /** Most ids held at once; past it the oldest is forgotten first. Default 10,000. */
  readonly maxEntries?: number;
  readonly clock?: () => number;
}

/**
 * A bounded in-memory memory of token ids (`jti`) already accepted, each kept until its own time
 * (for a logout token: the end of its acceptance window), for replay protection. Memory is bounded by
 * `maxEntries`: when full, the entry recorded first is dropped, which for ids that share one window
 * length is also the one closest to expiry. Per process: behind a load balancer each process has its
 * own memory, and a replay sent to another process is caught only there; the acceptance window bounds
 * what a replay can achieve.
 *
 * @example
 * ```ts
 * const seen = new SeenTokenIds({ maxEntries: 1000 });
 * seen.remember('jti-1', Date.now() + 120_000); // true
 * seen.remember('jti-1', Date.now() + 120_000); // false: a replay
 * ```
 */
export class SeenTokenIds {
  readonly #until = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #clock: () => number;

  constructor(options: SeenTokenIdsOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries <= 0) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'maxEntries must be a positive whole number.');
    }
    this.#maxEntries = maxEntries;
    this.#clock = options.clock ?? Date.now;
  }

  /** How many ids are held. */
  get size(): number {
    return this.#until.size;
  }

  /**
   * Records `id` until `until` (epoch ms). Returns `false`, and changes nothing, when `id` is already
   * held and not yet past its time: the caller has a replay.
   */
  remember(id: string, until: number): boolean {
    const now = this.#clock();
    this.#dropExpired(now);
    const held = this.#until.get(id);
    if (held !== undefined && held > now) return false;
    this.#until.delete(id);
    while (this.#until.size >= this.#maxEntries) {
      const oldest = this.#until.keys().next().value;
      if (oldest === undefined) break;
      this.#until.delete(oldest);
    }
    this.#until.set(id, until);
    return true;
  }

  /** Forgets `id` (e.g. the work it guarded failed and a retry must be accepted). */
  forget(id: string): void {
    this.#until.delete(id);
  }

  #dropExpired(now: number): void {
    // Entries are in insertion order, which is close to expiry order; stop at the first live one so a
    // call costs O(expired entries), not O(size).
    for (const [id, until] of this.#until) {
      if (until > now) return;
      this.#until.delete(id);
    }
  }
}
