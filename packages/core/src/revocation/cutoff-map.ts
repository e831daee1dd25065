import { ExpiryQueue } from './expiry-queue.js';

interface Cutoff {
  cutoff: number;
  forgetAfter: number;
}

/**
 * Cutoffs keyed by issuer and an id within it (a `sid`, a `sub`, or `''` for the whole issuer): a token
 * of that scope issued at or before the cutoff (epoch ms) is revoked. A later cutoff supersedes an
 * earlier one; entries are purged once forgettable.
 */
export class CutoffMap {
  readonly #byIssuer = new Map<string, Map<string, Cutoff>>();
  readonly #expiries = new ExpiryQueue<[string, string]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Records a cutoff, keeping the latest one for the scope. */
  raise(iss: string, id: string, cutoff: number, forgetAfter: number): void {
    let scoped = this.#byIssuer.get(iss);
    if (scoped === undefined) {
      scoped = new Map();
      this.#byIssuer.set(iss, scoped);
    }
    const existing = scoped.get(id);
    if (existing === undefined) {
      scoped.set(id, { cutoff, forgetAfter });
      this.#size++;
    } else {
      if (cutoff <= existing.cutoff && forgetAfter <= existing.forgetAfter) return;
      existing.cutoff = Math.max(existing.cutoff, cutoff);
      existing.forgetAfter = Math.max(existing.forgetAfter, forgetAfter);
    }
    this.#expiries.push(forgetAfter, [iss, id]);
  }

  /** True when a token of this scope issued at `issuedAtMs` is at or before the scope's cutoff. */
  revokes(iss: string, id: string, issuedAtMs: number): boolean {
    const cutoff = this.#byIssuer.get(iss)?.get(id);
    return cutoff !== undefined && issuedAtMs <= cutoff.cutoff;
  }

  /** The cutoff for a scope, or `undefined`. */
  get(iss: string, id: string): number | undefined {
    return this.#byIssuer.get(iss)?.get(id)?.cutoff;
  }

  /** The earliest time an entry may become forgettable (`Infinity` when none): `purge` has work at or after it. */
  get nextForgetAt(): number {
    return this.#expiries.peekTime();
  }

  /** Forgets up to `budget` entries whose time has come; returns how many were removed. */
  purge(now: number, budget: number): number {
    let removed = 0;
    for (let n = 0; n < budget && this.#expiries.peekTime() <= now; n++) {
      const [iss, id] = this.#expiries.pop()!;
      const scoped = this.#byIssuer.get(iss);
      const entry = scoped?.get(id);
      if (scoped === undefined || entry === undefined || entry.forgetAfter > now) continue;
      scoped.delete(id);
      if (scoped.size === 0) this.#byIssuer.delete(iss);
      this.#size--;
      removed++;
    }
    return removed;
  }

  clear(): void {
    this.#byIssuer.clear();
    this.#expiries.clear();
    this.#size = 0;
  }
}
