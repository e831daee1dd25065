/** Limits of the login throttle. */
export interface ThrottlePolicy {
  /** Failures allowed per (account, IP) before a delay applies. Default 5. */
  readonly pairFailures: number;
  /** Failures allowed per account from all IPs before a delay applies. Default 50. */
  readonly accountFailures: number;
  /** Failures allowed per IP across all accounts before a delay applies. Default 50. */
  readonly ipFailures: number;
  /** First delay, ms; doubles with each further failure. Default 1,000. */
  readonly baseDelayMs: number;
  /** The delay never exceeds this, ms: nobody can lock an account for longer. Default 900,000 (15 min). */
  readonly maxDelayMs: number;
  /** Failures older than this are forgotten, ms. Default 3,600,000. */
  readonly windowMs: number;
  /** Most keys remembered (oldest dropped first). Default 100,000. */
  readonly maxKeys: number;
}

const DEFAULTS: ThrottlePolicy = {
  pairFailures: 5,
  accountFailures: 50,
  ipFailures: 50,
  baseDelayMs: 1000,
  maxDelayMs: 900_000,
  windowMs: 3_600_000,
  maxKeys: 100_000,
};

interface Counter {
  failures: number;
  lastFailure: number;
}

/**
 * Login throttling by (account, IP), by account and by IP, with exponential delays that are capped and
 * forgotten after a window: an attacker can slow logins to an account down, never lock it for good,
 * and a user logging in from their own IP is limited only by their own failures or a capped delay.
 * State is per process (documented: with several service processes, each throttles on its own).
 *
 * @example
 * ```ts
 * const wait = throttle.retryAfterMs(account, ip, Date.now());
 * if (wait > 0) throw tooMany(wait);
 * ```
 */
export class LoginThrottle {
  readonly #policy: ThrottlePolicy;
  readonly #counters = new Map<string, Counter>();

  constructor(policy: Partial<ThrottlePolicy> = {}) {
    this.#policy = { ...DEFAULTS, ...policy };
  }

  /** How long the caller must wait before trying again, ms (0 = go ahead). */
  retryAfterMs(account: string, ip: string, now: number): number {
    const p = this.#policy;
    return Math.max(
      this.#delay(`p\u0000${account}\u0000${ip}`, p.pairFailures, now),
      this.#delay(`a\u0000${account}`, p.accountFailures, now),
      this.#delay(`i\u0000${ip}`, p.ipFailures, now),
    );
  }

  failed(account: string, ip: string, now: number): void {
    for (const key of [`p\u0000${account}\u0000${ip}`, `a\u0000${account}`, `i\u0000${ip}`])
      this.#bump(key, now);
  }

  /** A successful login clears the (account, IP) pair, not the account or IP totals. */
  succeeded(account: string, ip: string): void {
    this.#counters.delete(`p\u0000${account}\u0000${ip}`);
  }

  #delay(key: string, allowed: number, now: number): number {
    const counter = this.#counters.get(key);
    if (!counter) return 0;
    if (now - counter.lastFailure > this.#policy.windowMs) {
      this.#counters.delete(key);
      return 0;
    }
    const over = counter.failures - allowed;
    if (over < 0) return 0;
    const delay = Math.min(this.#policy.maxDelayMs, this.#policy.baseDelayMs * 2 ** Math.min(over, 30));
    return Math.max(0, counter.lastFailure + delay - now);
  }

  #bump(key: string, now: number): void {
    const counter = this.#counters.get(key);
    if (counter && now - counter.lastFailure <= this.#policy.windowMs) {
      counter.failures++;
      counter.lastFailure = now;
      this.#counters.delete(key);
      this.#counters.set(key, counter);
      return;
    }
    if (this.#counters.size >= this.#policy.maxKeys) {
      const oldest = this.#counters.keys().next();
      if (!oldest.done) this.#counters.delete(oldest.value);
    }
    this.#counters.set(key, { failures: 1, lastFailure: now });
  }
}
