import { RevocableError } from '../errors.js';
import type { RevocationLog, RevocationSnapshot, Unsubscribe } from './log.js';
import type { RevocationEvent, RevocationRequest } from './rules.js';
import { DEFAULT_REVOCATION_POLICY, type RevocationPolicy, validateRequests } from './validate.js';

/** Options of a {@link BatchingRevocationLog}. */
export interface BatchingRevocationLogOptions {
  /** The same policy as the inner log's, so each caller's requests are judged alone first. */
  readonly policy?: Partial<RevocationPolicy>;
  /** Most requests written in one transaction. Default 1,000. */
  readonly maxBatch?: number;
  readonly clock?: () => number;
}

interface Pending {
  readonly requests: readonly RevocationRequest[];
  readonly resolve: (events: RevocationEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A {@link RevocationLog} that writes the appends made while another is in flight together, in one
 * transaction of the inner log. A durable log's gap-free `seq` makes appends queue on one counter
 * for the length of a commit; batching turns N commits into one, so throughput grows with load
 * while each caller still gets its own events, acknowledged only once durable.
 *
 * Contract: the inner log's, unchanged. Each caller's requests are validated alone, so one bad
 * request fails only its own call; callers' events are consecutive and in arrival order.
 *
 * @example
 * ```ts
 * const log = new BatchingRevocationLog(await SqlRevocationLog.open({ database }));
 * await Promise.all(logouts.map((rule) => log.append([{ rule, reason: 'logout', actor: 'system' }])));
 * ```
 */
export class BatchingRevocationLog implements RevocationLog {
  readonly #inner: RevocationLog;
  readonly #policy: RevocationPolicy;
  readonly #maxBatch: number;
  readonly #clock: () => number;
  #queue: Pending[] = [];
  #writing = false;

  constructor(inner: RevocationLog, options: BatchingRevocationLogOptions = {}) {
    this.#inner = inner;
    this.#policy = { ...DEFAULT_REVOCATION_POLICY, ...options.policy };
    this.#maxBatch = options.maxBatch ?? 1000;
    this.#clock = options.clock ?? Date.now;
    if (!(Number.isInteger(this.#maxBatch) && this.#maxBatch > 0)) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'maxBatch must be a positive whole number.');
    }
  }

  append(requests: readonly RevocationRequest[]): Promise<RevocationEvent[]> {
    let checked: RevocationRequest[];
    try {
      // Queued rebuilt from their checked fields, so junk a caller sent is not held while it waits.
      checked = validateRequests(requests, this.#clock(), this.#policy).map(({ rule, reason, actor }) => ({
        rule,
        reason,
        actor,
      }));
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ requests: checked, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch: Pending[] = [];
        let size = 0;
        while (
          this.#queue.length > 0 &&
          (batch.length === 0 || size + this.#queue[0]!.requests.length <= this.#maxBatch)
        ) {
          const next = this.#queue.shift()!;
          batch.push(next);
          size += next.requests.length;
        }
        await this.#write(batch);
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: Pending[]): Promise<void> {
    try {
      const events = await this.#inner.append(batch.flatMap((pending) => pending.requests));
      let at = 0;
      for (const pending of batch) {
        pending.resolve(events.slice(at, at + pending.requests.length));
        at += pending.requests.length;
      }
    } catch (err) {
      // A request that turned invalid between our check and the inner one (its clock moved) must not
      // fail its neighbours: write the callers one by one.
      if (batch.length > 1 && err instanceof RevocableError && err.code === 'ERR_REVOCATION_INVALID') {
        for (const pending of batch) await this.#write([pending]);
        return;
      }
      for (const pending of batch) pending.reject(err);
    }
  }

  readAfter(seq: number, limit?: number): Promise<RevocationEvent[]> {
    return this.#inner.readAfter(seq, limit);
  }

  snapshot(): Promise<RevocationSnapshot> {
    return this.#inner.snapshot();
  }

  purge(now?: number): Promise<number> {
    return this.#inner.purge(now);
  }

  lastSeq(): Promise<number> {
    return this.#inner.lastSeq();
  }

  oldestSeq(): Promise<number> {
    return this.#inner.oldestSeq();
  }

  subscribe(listener: (event: RevocationEvent) => void): Unsubscribe {
    return this.#inner.subscribe(listener);
  }

  async close(): Promise<void> {
    while (this.#writing) await new Promise((resolve) => setTimeout(resolve, 1));
    await this.#inner.close();
  }
}
