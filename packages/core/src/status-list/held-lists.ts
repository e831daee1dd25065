import { RevocableError } from '../errors.js';
import type { Algorithm } from '../keys/algorithms.js';
import type { KeyResolver } from '../keys/verification-key.js';
import { fetchStatusListToken } from './fetch-token.js';
import type { StatusList } from './status-list.js';
import { verifyStatusListToken } from './verify-token.js';

/** A verified list and when to look for a newer one. */
export interface HeldList {
  readonly list: StatusList;
  readonly iat: number;
  /** Epoch ms of `exp` (`Infinity` without one). */
  readonly expiresAt: number;
  /** Epoch ms of the fetch that returned it (or last confirmed it). */
  readonly fetchedAt: number;
  readonly refreshAt: number;
}

/** Everything known about one list URI. */
export interface ListState {
  /** The URI exactly as tokens name it: the list's `sub` must equal it. */
  readonly uri: string;
  readonly url: URL;
  held: HeldList | undefined;
  inflight: Promise<void> | undefined;
  attemptedAt: number;
  lastError: RevocableError | undefined;
  usedAt: number;
}

/** How {@link HeldLists} fetches, verifies and keeps lists; checked by the {@link StatusListCheck}. */
export interface HeldListsOptions {
  readonly keys: KeyResolver;
  readonly issuer: string | undefined;
  readonly algorithms: readonly Algorithm[] | undefined;
  readonly maxStalenessMs: number;
  readonly minRefreshMs: number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxListBytes: number;
  readonly maxLists: number;
  readonly clockToleranceSec: number;
  readonly allowInsecureLocalhost: boolean;
  readonly fetch: typeof globalThis.fetch;
  readonly clock: () => number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The Status List Tokens a {@link StatusListCheck} holds, one state per list URI: fetched, verified
 * and kept with the time to look for a newer one. A fetch never rejects (its outcome is in `held` and
 * `lastError`); fetches of one list are shared and spaced by `minRefreshMs`; at most `maxLists` are
 * kept, the least recently used dropped first. Internal.
 */
export class HeldLists {
  readonly #options: HeldListsOptions;
  readonly #lists = new Map<string, ListState>();
  #fetches = 0;

  constructor(options: HeldListsOptions) {
    this.#options = options;
  }

  /** How many fetches were started, successful or not. */
  get fetches(): number {
    return this.#fetches;
  }

  stateOf(uri: string, now: number): ListState {
    const known = this.#lists.get(uri);
    if (known !== undefined) {
      known.usedAt = now;
      return known;
    }
    const state: ListState = {
      uri,
      url: this.#fetchableUrl(uri),
      held: undefined,
      inflight: undefined,
      attemptedAt: Number.NEGATIVE_INFINITY,
      lastError: undefined,
      usedAt: now,
    };
    if (this.#lists.size >= this.#options.maxLists) this.#evictLeastUsed();
    this.#lists.set(uri, state);
    return state;
  }

  #evictLeastUsed(): void {
    let oldest: [string, ListState] | undefined;
    for (const entry of this.#lists) {
      if (entry[1].inflight === undefined && (oldest === undefined || entry[1].usedAt < oldest[1].usedAt))
        oldest = entry;
    }
    if (oldest !== undefined) this.#lists.delete(oldest[0]);
  }

  #fetchableUrl(uri: string): URL {
    const url = URL.canParse(uri) ? new URL(uri) : undefined;
    if (url === undefined || !this.#isFetchable(url) || url.username !== '' || url.password !== '') {
      throw new RevocableError(
        'ERR_STATUS_LIST_INVALID',
        "The token's status list URI is not an https: URL this verifier may fetch.",
      );
    }
    return url;
  }

  #isFetchable(url: URL): boolean {
    return (
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && this.#options.allowInsecureLocalhost && LOOPBACK_HOSTS.has(url.hostname))
    );
  }

  refreshInBackground(state: ListState, now: number): void {
    if (state.inflight === undefined && now - state.attemptedAt >= this.#options.minRefreshMs) {
      this.start(state).catch(() => {});
    }
  }

  /** Waits for a fetch under way, or starts one unless the last attempt was within `minRefreshMs`. */
  async refresh(state: ListState): Promise<void> {
    if (state.inflight !== undefined) return state.inflight;
    if (this.#options.clock() - state.attemptedAt < this.#options.minRefreshMs) return;
    return this.start(state);
  }

  /** Starts a fetch; the promise never rejects (the outcome is in `held` and `lastError`). */
  start(state: ListState): Promise<void> {
    state.attemptedAt = this.#options.clock();
    this.#fetches++;
    const run = this.#fetchAndHold(state).finally(() => {
      state.inflight = undefined;
    });
    state.inflight = run;
    return run;
  }

  async #fetchAndHold(state: ListState): Promise<void> {
    try {
      const fetched = await fetchStatusListToken(state.url, {
        fetch: this.#options.fetch,
        timeoutMs: this.#options.timeoutMs,
        maxBytes: this.#options.maxBytes,
        fetchable: (url) => this.#isFetchable(url),
      });
      const now = this.#options.clock();
      const verified = await verifyStatusListToken(
        fetched.token,
        {
          keys: this.#options.keys,
          uri: state.uri,
          ...(this.#options.issuer !== undefined && { issuer: this.#options.issuer }),
          ...(this.#options.algorithms !== undefined && { algorithms: this.#options.algorithms }),
          clockToleranceSec: this.#options.clockToleranceSec,
          maxTokenLength: this.#options.maxBytes,
          maxListBytes: this.#options.maxListBytes,
        },
        now,
      );
      const { iat, exp, ttl } = verified.claims;
      if (state.held !== undefined && iat < state.held.iat) {
        throw new RevocableError(
          'ERR_STATUS_LIST_INVALID',
          'The status list fetched is older than the one held (a replayed or cached copy); keeping the newer one.',
        );
      }
      const expiresAt = exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000;
      const cacheMs =
        ttl !== undefined
          ? ttl * 1000
          : fetched.maxAgeSec !== undefined
            ? fetched.maxAgeSec * 1000
            : Infinity;
      const refreshAfter = Math.max(
        this.#options.minRefreshMs,
        Math.min(cacheMs, this.#options.maxStalenessMs / 2),
      );
      state.held = {
        list: verified.list,
        iat,
        expiresAt,
        fetchedAt: now,
        refreshAt: Math.min(now + refreshAfter, expiresAt),
      };
      state.lastError = undefined;
    } catch (err) {
      state.lastError =
        err instanceof RevocableError
          ? err
          : new RevocableError('ERR_REVOCATION_STALE', 'The status list could not be fetched.', undefined, {
              cause: err,
            });
    }
  }
}
