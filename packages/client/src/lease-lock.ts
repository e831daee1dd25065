import { type RefreshLock, TabMutex } from './refresh-lock.js';

/** Timing of a {@link LeaseLock}; every value in ms. */
export interface LeaseTiming {
  /** A lease not renewed for this long is free again (its tab was closed mid-refresh). */
  readonly leaseMs: number;
  /** Wait after writing a claim before reading it back: a tab that wrote at the same time wins or loses here. */
  readonly settleMs: number;
  /** Wait between attempts while another tab holds the lease (plus up to as much again at random). */
  readonly pollMs: number;
}

const DEFAULT_TIMING: LeaseTiming = { leaseMs: 10_000, settleMs: 40, pollMs: 50 };

interface Lease {
  readonly owner: string;
  readonly until: number;
}

function readLease(storage: Storage, key: string): Lease | null {
  try {
    const value = JSON.parse(storage.getItem(key) ?? 'null') as Partial<Lease> | null;
    return typeof value?.owner === 'string' && typeof value.until === 'number'
      ? { owner: value.owner, until: value.until }
      : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The fallback when the Web Locks API is missing: a lease in localStorage. A tab claims a free (or
 * expired) lease, waits `settleMs`, and holds it only if its claim is still the one stored — two tabs
 * that claim at once both read back the last write, so one of them backs off. The lease is renewed
 * while the task runs and removed when it ends. localStorage holds only a random owner id and a time.
 */
export class LeaseLock implements RefreshLock {
  readonly #storage: Storage;
  readonly #key: string;
  readonly #owner: string;
  readonly #timing: LeaseTiming;
  readonly #now: () => number;
  readonly #tab = new TabMutex();

  constructor(
    storage: Storage,
    key: string,
    options: { timing?: Partial<LeaseTiming>; now?: () => number; owner?: string } = {},
  ) {
    this.#storage = storage;
    this.#key = key;
    this.#owner = options.owner ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    this.#timing = { ...DEFAULT_TIMING, ...options.timing };
    this.#now = options.now ?? Date.now;
  }

  run<T>(task: (waited: boolean) => Promise<T>): Promise<T> {
    return this.#tab.run(async (queued) => {
      const waited = (await this.#acquire()) || queued;
      const renew = setInterval(() => this.#claim(), this.#timing.leaseMs / 3);
      try {
        return await task(waited);
      } finally {
        clearInterval(renew);
        if (readLease(this.#storage, this.#key)?.owner === this.#owner) this.#storage.removeItem(this.#key);
      }
    });
  }

  #claim(): void {
    const lease: Lease = { owner: this.#owner, until: this.#now() + this.#timing.leaseMs };
    this.#storage.setItem(this.#key, JSON.stringify(lease));
  }

  /** Resolves once this tab holds the lease: `true` when another tab held or won it first. */
  async #acquire(): Promise<boolean> {
    for (let waited = false; ; waited = true) {
      const held = readLease(this.#storage, this.#key);
      if (held === null || held.until <= this.#now() || held.owner === this.#owner) {
        this.#claim();
        await sleep(this.#timing.settleMs);
        if (readLease(this.#storage, this.#key)?.owner === this.#owner) return waited;
      }
      await sleep(this.#timing.pollMs + Math.random() * this.#timing.pollMs);
    }
  }
}
