import type { RefreshLock } from './refresh-lock.js';
import type { Grant } from './tab-channel.js';

/** What the coordinator needs from the client. */
export interface RefreshDeps {
  /** The cross-tab lock. */
  readonly lock: RefreshLock;
  /** Where tabs note that a rotation happened (no secret: a counter); `undefined` when there is none. */
  readonly storage: Storage | undefined;
  /** The key of that note. */
  readonly markerKey: string;
  /** The token this tab holds now (its own, or one another tab shared). */
  current(): Grant | null;
  /** Resolves with a grant other than `stale` once one arrives from another tab, or `null` after `ms`. */
  waitForGrant(stale: string | null, ms: number): Promise<Grant | null>;
  /** Rotates the refresh cookie at the service and shares the result with the other tabs. */
  rotate(): Promise<Grant>;
}

/** How long a tab waits for the token of a rotation another tab has just noted. */
export const PEER_GRANT_WAIT_MS = 1500;

/**
 * Single-flight refresh: one rotation at a time across every tab, and none at all when another tab
 * already rotated while this one waited for the lock. Two tabs that both hold token T and both ask
 * for a refresh end with one rotation: the first rotates and shares T'; the second, once it has the
 * lock, sees T' (or, having waited for the lock or seen the rotation note, waits for T') and uses it. Because the lock serialises
 * rotations and tabs share one cookie jar, even a tab that must rotate itself sends the newest
 * refresh cookie, never a spent one: no reuse detection.
 */
export class SingleFlightRefresh {
  readonly #deps: RefreshDeps;
  #inFlight: Promise<Grant> | null = null;

  constructor(deps: RefreshDeps) {
    this.#deps = deps;
  }

  /** A grant newer than `stale` (the token the caller found wanting; `null` when it had none). */
  refresh(stale: string | null): Promise<Grant> {
    if (this.#inFlight) return this.#inFlight;
    const seen = this.#marker();
    const flight = this.#deps.lock
      .run(async (waited) => {
        const held = this.#deps.current();
        if (held !== null && held.token !== stale) return held;
        // Another tab had the lock, or noted a rotation since this call began: its token may still
        // be on its way (BroadcastChannel and localStorage can lag behind the lock grant).
        if (waited || this.#marker() !== seen) {
          const shared = await this.#deps.waitForGrant(stale, PEER_GRANT_WAIT_MS);
          if (shared !== null) return shared;
        }
        const grant = await this.#deps.rotate();
        this.#bump();
        return grant;
      })
      .finally(() => {
        if (this.#inFlight === flight) this.#inFlight = null;
      });
    this.#inFlight = flight;
    return flight;
  }

  #marker(): string | null {
    try {
      return this.#deps.storage?.getItem(this.#deps.markerKey) ?? null;
    } catch {
      return null;
    }
  }

  #bump(): void {
    try {
      this.#deps.storage?.setItem(
        this.#deps.markerKey,
        `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`,
      );
    } catch {
      /* no note: a waiting tab rotates once more, which is still safe under the lock */
    }
  }
}
