import { RevocableError } from '../errors.js';
import type { RevocationLog, RevocationSnapshot, Unsubscribe } from './log.js';
import type { RevocationEvent, RevocationRequest } from './rules.js';
import {
  checkPurgeTime,
  checkReadAfter,
  DEFAULT_REVOCATION_POLICY,
  type RevocationPolicy,
  validateRequests,
} from './validate.js';

/** Options of a {@link MemoryRevocationLog}. */
export interface MemoryRevocationLogOptions {
  readonly policy?: Partial<RevocationPolicy>;
  readonly clock?: () => number;
  /** Receives what a subscriber's listener throws. Default: a process warning. */
  readonly onListenerError?: (error: unknown) => void;
}

function warnListenerError(error: unknown): void {
  process.emitWarning(new Error('A revocation log listener threw.', { cause: error }));
}

/**
 * A {@link RevocationLog} in process memory: for unit tests and single-process setups that accept
 * losing revocations on restart (they still expire with the tokens). Not durable.
 *
 * Listeners are called synchronously inside `append`, after the events are stored, each in its own
 * `try`: what one throws goes to `onListenerError` and fails neither the append nor the others.
 * Events are frozen, and shared between the log, the caller and the listeners.
 *
 * @example
 * ```ts
 * const log = new MemoryRevocationLog();
 * await log.append([{ rule: { kind: 'token', tokenId: jti, expiresAt: exp * 1000 }, reason: 'logout', actor: 'user:u1' }]);
 * ```
 */
export class MemoryRevocationLog implements RevocationLog {
  readonly #events: RevocationEvent[] = [];
  readonly #listeners = new Set<(event: RevocationEvent) => void>();
  readonly #policy: RevocationPolicy;
  readonly #clock: () => number;
  readonly #onListenerError: (error: unknown) => void;
  #lastSeq = 0;
  #closed = false;

  constructor(options: MemoryRevocationLogOptions = {}) {
    this.#policy = { ...DEFAULT_REVOCATION_POLICY, ...options.policy };
    this.#clock = options.clock ?? Date.now;
    this.#onListenerError = options.onListenerError ?? warnListenerError;
  }

  async append(requests: readonly RevocationRequest[]): Promise<RevocationEvent[]> {
    this.#open();
    const now = this.#clock();
    const events = validateRequests(requests, now, this.#policy).map(
      ({ rule, reason, actor, forgetAfter }): RevocationEvent =>
        Object.freeze({ seq: ++this.#lastSeq, rule, reason, actor, recordedAt: now, forgetAfter }),
    );
    this.#events.push(...events);
    for (const event of events) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(event);
        } catch (error) {
          this.#onListenerError(error);
        }
      }
    }
    return events;
  }

  async readAfter(seq: number, limit = 1000): Promise<RevocationEvent[]> {
    this.#open();
    checkReadAfter(seq, limit);
    const start = lowerBound(this.#events, seq + 1);
    return this.#events.slice(start, start + Math.max(0, limit));
  }

  async snapshot(): Promise<RevocationSnapshot> {
    this.#open();
    const now = this.#clock();
    return { events: this.#events.filter((e) => e.forgetAfter > now), seq: this.#lastSeq, takenAt: now };
  }

  async purge(now?: number): Promise<number> {
    this.#open();
    checkPurgeTime(now);
    const at = now ?? this.#clock();
    // Compacts in place (no spread: the log may hold more events than a call's arguments can).
    const events = this.#events;
    let kept = 0;
    for (const event of events) if (event.forgetAfter > at) events[kept++] = event;
    const removed = events.length - kept;
    events.length = kept;
    return removed;
  }

  async lastSeq(): Promise<number> {
    this.#open();
    return this.#lastSeq;
  }

  async oldestSeq(): Promise<number> {
    this.#open();
    return this.#events[0]?.seq ?? this.#lastSeq + 1;
  }

  subscribe(listener: (event: RevocationEvent) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }

  #open(): void {
    if (this.#closed) throw new RevocableError('ERR_LOG_UNAVAILABLE', 'The revocation log is closed.');
  }
}

function lowerBound(events: readonly RevocationEvent[], seq: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
