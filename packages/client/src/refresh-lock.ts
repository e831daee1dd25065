/** Runs tasks one at a time across every tab of the origin that uses the same lock name. */
export interface RefreshLock {
  /**
   * Runs `task` alone. `waited` is `true` when another holder had the lock (or was queued for it)
   * when this call asked: that holder may have just rotated, so the task should look for its token
   * before rotating again.
   */
  run<T>(task: (waited: boolean) => Promise<T>): Promise<T>;
}

/**
 * The part of the Web Locks API the client uses (`navigator.locks`): `ifAvailable` calls back with
 * `null` instead of waiting when another holder has the lock.
 *
 * @example
 * ```ts
 * const locks: LockManagerLike = navigator.locks;
 * await locks.request('revocable:refresh', { mode: 'exclusive' }, async () => rotate());
 * ```
 */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { mode: 'exclusive'; ifAvailable?: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>;
}

/** One task at a time inside this tab (a promise chain). */
export class TabMutex implements RefreshLock {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  run<T>(task: (waited: boolean) => Promise<T>): Promise<T> {
    const waited = this.#queued > 0;
    this.#queued++;
    const start = () => task(waited);
    const result = this.#tail.then(start, start).finally(() => {
      this.#queued--;
    });
    this.#tail = result.catch(() => {});
    return result;
  }
}

const TAKEN: unique symbol = Symbol('taken');

/**
 * The Web Locks API: the browser grants the lock to one tab (or worker) of the origin at a time. The
 * lock manager answers synchronously for every tab, unlike localStorage or BroadcastChannel, whose
 * news from another process may arrive after the lock does: so a call first asks with `ifAvailable`,
 * and a call that finds the lock taken knows it waited for another tab.
 */
export function webLock(locks: LockManagerLike, name: string): RefreshLock {
  return {
    run: async <T>(task: (waited: boolean) => Promise<T>): Promise<T> => {
      const first = await locks.request<T | typeof TAKEN>(
        name,
        { mode: 'exclusive', ifAvailable: true },
        async (lock) => (lock === null ? TAKEN : task(false)),
      );
      if (first !== TAKEN) return first;
      return locks.request(name, { mode: 'exclusive' }, () => task(true));
    },
  };
}
