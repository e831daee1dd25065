import {
  checkNow,
  checkReadAfter,
  checkStatusListEntry,
  type RecordedStatusListEntry,
  type StatusListEntry,
  type StatusListStore,
} from './status-list-store.js';

/**
 * A {@link StatusListStore} in process memory, for tests and a single process without persistence.
 * Every call runs to its end before another starts, so claims are atomic by construction.
 *
 * @example
 * ```ts
 * const store: StatusListStore = new MemoryStatusListStore();
 * await store.claim(entry, Date.now());
 * ```
 */
export class MemoryStatusListStore implements StatusListStore {
  /** `list idx` → the entry recorded there. */
  readonly #entries = new Map<string, RecordedStatusListEntry>();
  /** Every recording in `seq` order; replaced and purged ones are skipped by `readAfter`, dropped by `purge`. */
  #recorded: RecordedStatusListEntry[] = [];
  #lastSeq = 0;

  async claim(entry: StatusListEntry, now: number): Promise<RecordedStatusListEntry | undefined> {
    const checked = checkStatusListEntry(entry);
    const at = checkNow(now);
    const key = `${checked.list} ${checked.idx}`;
    const held = this.#entries.get(key);
    if (held !== undefined && held.freeAt > at) return undefined;
    const recorded = Object.freeze({ ...checked, seq: ++this.#lastSeq });
    this.#entries.set(key, recorded);
    this.#recorded.push(recorded);
    return recorded;
  }

  async readAfter(seq: number, limit = 1000): Promise<RecordedStatusListEntry[]> {
    checkReadAfter(seq, limit);
    const found: RecordedStatusListEntry[] = [];
    for (let i = this.#firstAfter(seq); i < this.#recorded.length && found.length < limit; i++) {
      const entry = this.#recorded[i]!;
      if (this.#isCurrent(entry)) found.push(entry);
    }
    return found;
  }

  async purge(now: number): Promise<number> {
    const at = checkNow(now);
    let deleted = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.freeAt <= at) {
        this.#entries.delete(key);
        deleted++;
      }
    }
    this.#recorded = this.#recorded.filter((entry) => this.#isCurrent(entry));
    return deleted;
  }

  async lastSeq(): Promise<number> {
    return this.#lastSeq;
  }

  #isCurrent(entry: RecordedStatusListEntry): boolean {
    return this.#entries.get(`${entry.list} ${entry.idx}`) === entry;
  }

  /** The position of the first recording with a `seq` above `seq` (binary search: seqs ascend). */
  #firstAfter(seq: number): number {
    let low = 0;
    let high = this.#recorded.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#recorded[mid]!.seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
