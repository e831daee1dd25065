import type { VerificationKey } from '../keys/verification-key.js';

/** A token whose signature and time-independent claims have been checked. */
export interface CachedVerification<T> {
  readonly result: T;
  readonly key: VerificationKey;
}

interface Entry<T> extends CachedVerification<T> {
  readonly token: string;
}

/**
 * The map key of a token: its last 43 characters, which are always signature bytes (every supported
 * signature is at least 32 bytes). Hashing 43 characters instead of the whole token (400+) is what
 * makes a hit cheap; the full text is compared on every hit, so a shared suffix only costs a miss.
 */
function keyOf(token: string): string {
  return token.length > 43 ? token.slice(-43) : token;
}

/**
 * A bounded map from exact token text to its verification, evicting the oldest entry when full.
 * The verifier still checks time claims, the key's life and revocation on every hit.
 */
export class VerifiedCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(token: string): CachedVerification<T> | undefined {
    const entry = this.#entries.get(keyOf(token));
    return entry !== undefined && entry.token === token ? entry : undefined;
  }

  set(token: string, entry: CachedVerification<T>): void {
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(keyOf(token), { ...entry, token });
  }

  delete(token: string): void {
    const key = keyOf(token);
    if (this.#entries.get(key)?.token === token) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
