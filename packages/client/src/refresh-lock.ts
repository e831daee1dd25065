/** Runs tasks one at a time across every tab of the origin that uses the same lock name. */
export interface RefreshLock {
  run<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * The part of the Web Locks API the client uses (`navigator.locks`).
 *
 * @example
 * ```ts
 * const locks: LockManagerLike = navigator.locks;
 * await locks.request('revocable:refresh', { mode: 'exclusive' }, async () => rotate());
 * ```
 */
export interface LockManagerLike {
  request<T>(name: string, options: { mode: 'exclusive' }, callback: () => Promise<T>): Promise<T>;
}

/** One task at a time inside this tab (a promise chain). */
export class TabMutex implements RefreshLock {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => {});
    return result;
  }
}

/** The Web Locks API: the browser grants the lock to one tab (or worker) of the origin at a time. */
export function webLock(locks: LockManagerLike, name: string): RefreshLock {
  return { run: (task) => locks.request(name, { mode: 'exclusive' }, task) };
}
