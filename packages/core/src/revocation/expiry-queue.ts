/**
 * A binary min-heap of items ordered by the epoch-ms time they can be forgotten, so purging takes
 * only what is due, a bounded number at a time.
 */
export class ExpiryQueue<T> {
  readonly #times: number[] = [];
  readonly #items: T[] = [];

  get size(): number {
    return this.#times.length;
  }

  push(at: number, item: T): void {
    const times = this.#times;
    const items = this.#items;
    let i = times.length;
    times.push(at);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= at) break;
      times[i] = times[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = at;
    items[i] = item;
  }

  /** The earliest time in the queue, or `Infinity` when empty. */
  peekTime(): number {
    return this.#times[0] ?? Number.POSITIVE_INFINITY;
  }

  /** Removes and returns the earliest item; `undefined` when empty. */
  pop(): T | undefined {
    const times = this.#times;
    const items = this.#items;
    if (times.length === 0) return undefined;
    const top = items[0];
    const lastTime = times.pop()!;
    const lastItem = items.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && times[right]! < times[left]! ? right : left;
        if (times[child]! >= lastTime) break;
        times[i] = times[child]!;
        items[i] = items[child]!;
        i = child;
      }
      times[i] = lastTime;
      items[i] = lastItem;
    }
    return top;
  }

  clear(): void {
    this.#times.length = 0;
    this.#items.length = 0;
  }
}
