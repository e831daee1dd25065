import { RevocableError } from '../errors.js';
import type { RevocationLog, RevocationSnapshot, Unsubscribe } from './log.js';
import type { RevocationEvent, RevocationRequest } from './rules.js';
import { DEFAULT_REVOCATION_POLICY, type RevocationPolicy, validateRequests } from './validate.js';

/** Options of a {@link MemoryRevocationLog}. */
export interface MemoryRevocationLogOptions {
  readonly policy?: Partial<RevocationPolicy>;
  readonly clock?: () => number;
}

/**
 * A {@link RevocationLog} in process memory: for unit tests and single-process setups that accept
 * losing revocations on restart (they still expire with the tokens). Not durable.
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
  #lastSeq = 0;
  #closed = false;

  constructor(options: MemoryRevocationLogOptions = {}) {
    this.#policy = { ...DEFAULT_REVOCATION_POLICY, ...options.policy };
    this.#clock = options.clock ?? Date.now;
  }

  async append(requests: readonly RevocationRequest[]): Promise<RevocationEvent[]> {
    this.#open();
    const now = this.#clock();
    const forgetAfter = validateRequests(requests, now, this.#policy);
    const events = requests.map(
      (request, i): RevocationEvent => ({
        seq: ++this.#lastSeq,
        rule: structuredClone(request.rule),
        reason: request.reason,
        actor: request.actor,
        recordedAt: now,
        forgetAfter: forgetAfter[i]!,
      }),
    );
    this.#events.push(...events);
    for (const event of events) for (const listener of this.#listeners) listener(event);
    return events;
  }

  async readAfter(seq: number, limit = 1000): Promise<RevocationEvent[]> {
    this.#open();
    const start = lowerBound(this.#events, seq + 1);
    return this.#events.slice(start, start + Math.max(0, limit));
  }

  async snapshot(): Promise<RevocationSnapshot> {
    this.#open();
    const now = this.#clock();
    return { events: this.#events.filter((e) => e.forgetAfter > now), seq: this.#lastSeq, takenAt: now };
  }

  async purge(now = this.#clock()): Promise<number> {
    this.#open();
    const before = this.#events.length;
    const kept = this.#events.filter((e) => e.forgetAfter > now);
    this.#events.splice(0, this.#events.length, ...kept);
    return before - kept.length;
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
