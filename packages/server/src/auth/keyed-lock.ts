/**
 * Runs tasks one at a time per key, in arrival order; tasks under different keys run concurrently.
 * Holds an entry only while a key has tasks queued or running.
 *
 * @example
 * ```ts
 * const lock = new KeyedLock();
 * await lock.run(`${account}\u0000${ip}`, () => checkPassword());
 * ```
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `task` once every earlier task under `key` has settled; resolves or rejects as it does. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const current = (previous ?? Promise.resolve()).then(task, task);
    const tail = current.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with tasks queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
