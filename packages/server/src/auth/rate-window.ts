/**
 * Counts events per key in fixed windows and says when a key is over its limit: used for
 * registrations per IP, which cost argon2id work and would otherwise be a cheap way to load the server.
 * Bounded: the oldest keys are dropped past `maxKeys`. State is per process.
 *
 * @example
 * ```ts
 * const registrations = new RateWindow({ limit: 20, windowMs: 3_600_000 });
 * const wait = registrations.take(ip, Date.now());
 * if (wait > 0) throw tooMany(wait);
 * ```
 */
export class RateWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(options: { limit: number; windowMs: number; maxKeys?: number }) {
    this.#limit = options.limit;
    this.#windowMs = options.windowMs;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  /** Counts one event for `key`; returns 0 when allowed, or the ms until the window resets. */
  take(key: string, now: number): number {
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.#windowMs) {
      if (!window && this.#windows.size >= this.#maxKeys) {
        const oldest = this.#windows.keys().next();
        if (!oldest.done) this.#windows.delete(oldest.value);
      }
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= this.#limit) return window.start + this.#windowMs - now;
    window.count++;
    return 0;
  }
}
