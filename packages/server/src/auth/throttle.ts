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
  /** Most keys remembered (oldest dropped first), counters and known pairs each. Default 100,000. */
  readonly maxKeys: number;
  /**
   * How long an (account, IP) pair that logged in successfully stays known, ms: a known pair is exempt
   * from the account-wide limit, so failures from elsewhere cannot keep the owner out. Default 30 days.
   */
  readonly knownPairMs: number;
}

const DEFAULTS: ThrottlePolicy = {
  pairFailures: 5,
  accountFailures: 50,
  ipFailures: 50,
  baseDelayMs: 1000,
  maxDelayMs: 900_000,
  windowMs: 3_600_000,
  maxKeys: 100_000,
  knownPairMs: 30 * 86_400_000,
};

interface Counter {
  failures: number;
  lastFailure: number;
}

/**
 * Login throttling by (account, IP), by account and by IP, with exponential delays that are capped and
 * forgotten after a window. An attempt is counted as a failure when it starts ({@link attempt}) and
 * taken back when it succeeds or cannot be checked ({@link abandoned}: storage failed), so concurrent guesses cannot all slip through before the first one
 * fails. An (account, IP) pair that has logged in before is exempt from the account-wide limit: an
 * attacker spraying guesses from many addresses can slow logins from new places down (by a capped
 * delay), never keep the owner out from where they usually log in. State is per process (documented:
 * with several service processes, each throttles on its own).
 *
 * @example
 * ```ts
 * const wait = throttle.attempt(account, ip, Date.now());
 * if (wait > 0) throw tooMany(wait);
 * if (await checkPassword()) throttle.succeeded(account, ip, Date.now());
 * ```
 */
export class LoginThrottle {
  readonly #policy: ThrottlePolicy;
  readonly #counters = new Map<string, Counter>();
  readonly #known = new Map<string, number>();

  constructor(policy: Partial<ThrottlePolicy> = {}) {
    this.#policy = { ...DEFAULTS, ...policy };
  }

  /** How long the caller must wait before trying again, ms (0 = go ahead). Records nothing. */
  retryAfterMs(account: string, ip: string, now: number): number {
    const p = this.#policy;
    const pair = pairKey(account, ip);
    return Math.max(
      this.#delay(pair, p.pairFailures, now),
      this.#isKnown(pair, now) ? 0 : this.#delay(`a\u0000${account}`, p.accountFailures, now),
      this.#delay(`i\u0000${ip}`, p.ipFailures, now),
    );
  }

  /**
   * Starts an attempt: when the caller must wait, answers how long (ms) and records nothing; otherwise
   * counts the attempt as a failure right away (the check and the count happen together, before any
   * password work) and answers 0. Call {@link succeeded} if the credentials turn out right.
   */
  attempt(account: string, ip: string, now: number): number {
    const wait = this.retryAfterMs(account, ip, now);
    if (wait === 0) this.failed(account, ip, now);
    return wait;
  }

  /** Records a failure for the pair, the account and the IP. */
  failed(account: string, ip: string, now: number): void {
    for (const key of [pairKey(account, ip), `a\u0000${account}`, `i\u0000${ip}`]) this.#bump(key, now);
  }

  /**
   * An attempt that could not be checked (the user store failed, so no password was compared): takes
   * back the failure its {@link attempt} counted on the pair, the account and the IP. A database
   * outage must not lock anybody out. Call it only after an {@link attempt} that answered 0.
   */
  abandoned(account: string, ip: string, _now: number): void {
    for (const key of [pairKey(account, ip), `a\u0000${account}`, `i\u0000${ip}`]) {
      const counter = this.#counters.get(key);
      if (counter && counter.failures > 0) counter.failures--;
    }
  }

  /**
   * A successful login: takes back the failure its {@link attempt} counted on the account and IP
   * totals (older failures stay), clears the pair, and remembers the pair as known.
   */
  succeeded(account: string, ip: string, now: number): void {
    const pair = pairKey(account, ip);
    this.#counters.delete(pair);
    for (const key of [`a\u0000${account}`, `i\u0000${ip}`]) {
      const counter = this.#counters.get(key);
      if (counter && counter.failures > 0) counter.failures--;
    }
    this.#known.delete(pair);
    if (this.#known.size >= this.#policy.maxKeys) {
      const oldest = this.#known.keys().next();
      if (!oldest.done) this.#known.delete(oldest.value);
    }
    this.#known.set(pair, now);
  }

  #isKnown(pair: string, now: number): boolean {
    const since = this.#known.get(pair);
    if (since === undefined) return false;
    if (now - since <= this.#policy.knownPairMs) return true;
    this.#known.delete(pair);
    return false;
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

function pairKey(account: string, ip: string): string {
  return `p\u0000${account}\u0000${ip}`;
}
