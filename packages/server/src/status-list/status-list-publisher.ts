import {
  type KeyRing,
  type Replica,
  RevocableError,
  type RevocationEvent,
  type RevocationLog,
  signStatusListToken,
  type TokenFacts,
} from '@revocable/core';
import type { RecordedStatusListEntry, StatusListStore } from '@revocable/core/internal';
import { LiveEntries } from './live-entries.js';

/** Entries read from the store per query while following it. */
const READ_BATCH = 5_000;
/** Time between two purges of the store's freed entries, ms. */
const PURGE_EVERY_MS = 60_000;

/** What a {@link StatusListPublisher} needs. */
export interface StatusListPublisherOptions {
  /** The list's URI (`sub` of its token, `uri` in the tokens' claim). */
  readonly uri: string;
  /** The list's id in the store. */
  readonly listId: string;
  readonly size: number;
  readonly store: StatusListStore;
  /** The service's log: its events say which entries to look at again. */
  readonly log: RevocationLog;
  /** The replica following that log: it decides, rule by rule, whether a token is revoked. */
  readonly replica: Replica;
  /** The service's key ring: the list is signed with the key its access tokens are. */
  readonly keys: KeyRing;
  readonly intervalMs: number;
  readonly ttlSec: number;
  readonly clock?: () => number;
  /** Called with what a publication round could not do (a storage failure); it retries next round. */
  readonly onError?: (error: unknown) => void;
}

/** The Status List Token being served, and when it was signed. */
export interface PublishedStatusList {
  readonly token: string;
  /** `iat` of the token, epoch ms (whole seconds). */
  readonly issuedAt: number;
  readonly ttlSec: number;
}

/** Figures for tests and the bench. */
export interface StatusListPublisherStats {
  readonly entries: number;
  readonly revoked: number;
  /** Epoch ms of the last signing (0 before the first). */
  readonly publishedAt: number;
  readonly publications: number;
}

/**
 * Keeps one Token Status List and publishes it: follows the store's entries (every process's tokens)
 * and the revocation log's events (every path that revokes: logout, admin, CLI, other processes), and
 * each round flips to INVALID the entry of every live token a rule now covers, asking the service's
 * replica, so each rule kind matches exactly as it does for the service's own verifier. A round
 * re-signs the list when a bit changed, and at least every half `ttl` so a healthy service always
 * serves a fresh one.
 *
 * An event is acted on once the replica has applied it; while the replica is stale no round runs,
 * and once the served token is older than `ttl` (and a second), {@link StatusListPublisher.current} refuses with
 * `ERR_REVOCATION_STALE` (503): a verifier's own staleness policy then applies.
 *
 * @example
 * ```ts
 * const publisher = new StatusListPublisher({ uri, listId: '1', size: 1 << 20, store, log, replica, keys, intervalMs: 500, ttlSec: 30 });
 * await publisher.start();
 * reply.send(publisher.current().token);
 * ```
 */
export class StatusListPublisher {
  readonly #options: StatusListPublisherOptions;
  readonly #clock: () => number;
  readonly #entries: LiveEntries;
  /** Indexes to decide again at the next round. */
  readonly #unchecked = new Set<number>();
  /** Log events not acted on yet (the replica may not have applied them). */
  #pending: RevocationEvent[] = [];
  #cursor = 0;
  #bootstraps = -1;
  /** The entries' version the served list was signed at. */
  #signedVersion = -1;
  #published: PublishedStatusList | undefined;
  #publications = 0;
  #lastPurge = 0;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #round: Promise<void> | undefined;

  constructor(options: StatusListPublisherOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#entries = new LiveEntries(options.size, this.#clock());
  }

  /** The entries this process holds (the allocator draws free indexes from them). */
  get entries(): LiveEntries {
    return this.#entries;
  }

  /**
   * Subscribes to the log, reads every live entry, publishes the first list, then runs a round every
   * `intervalMs`. A failed first round goes to `onError` like any other.
   */
  async start(): Promise<void> {
    this.#unsubscribe = this.#options.log.subscribe((event) => this.#pending.push(event));
    await this.round();
    this.#timer = setInterval(() => void this.round(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /**
   * One round: reads new entries, acts on the log's events the replica has applied, frees entries
   * past `freeAt`, decides the entries waiting, and re-signs the list when due. Concurrent calls share
   * one round. Failures go to `onError`; the next round tries again.
   */
  round(): Promise<void> {
    this.#round ??= this.#runRound()
      .catch((error: unknown) => this.#options.onError?.(error))
      .finally(() => {
        this.#round = undefined;
      });
    return this.#round;
  }

  /** Records an entry this process just claimed, so its index is known held before the next read. */
  note(entry: RecordedStatusListEntry): void {
    if (this.#entries.add(entry, this.#clock())) this.#unchecked.add(entry.idx);
  }

  /**
   * The token to serve. Throws `ERR_REVOCATION_STALE` when none was signed within `ttl` (the
   * replica or the store has been unavailable that long).
   */
  current(): PublishedStatusList {
    const published = this.#published;
    const { ttlSec, intervalMs } = this.#options;
    // A round re-signs at least every ttl/2; allow two rounds and the whole-second iat on top.
    const staleAfterMs = Math.max(ttlSec * 1000, 2 * intervalMs) + 1000;
    if (published === undefined || this.#clock() - published.issuedAt > staleAfterMs) {
      throw new RevocableError(
        'ERR_REVOCATION_STALE',
        'The status list could not be brought up to date; try again shortly.',
      );
    }
    return published;
  }

  stats(): StatusListPublisherStats {
    return {
      entries: this.#entries.size,
      revoked: this.#entries.revoked,
      publishedAt: this.#published?.issuedAt ?? 0,
      publications: this.#publications,
    };
  }

  /** Stops the rounds and the subscription; waits for a round under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#round;
  }

  async #runRound(): Promise<void> {
    await this.#follow();
    const now = this.#clock();
    this.#entries.sweep(now);
    if (now - this.#lastPurge >= PURGE_EVERY_MS) {
      this.#lastPurge = now;
      await this.#options.store.purge(now);
    }
    const replica = this.#options.replica;
    const stats = replica.stats();
    if (stats.stale) return;
    if (stats.bootstraps !== this.#bootstraps) {
      // A (re)loaded snapshot may hold rules whose events this process never saw: decide everything.
      this.#bootstraps = stats.bootstraps;
      for (const idx of this.#entries.indexes()) this.#unchecked.add(idx);
    }
    this.#takeApplied(replica.lastSeq);
    this.#decide();
    if (this.#entries.version !== this.#signedVersion || this.#dueForRefresh(now)) this.#sign(now);
  }

  /** Reads the entries recorded since the last read, in `seq` order. */
  async #follow(): Promise<void> {
    const now = this.#clock();
    for (;;) {
      const batch = await this.#options.store.readAfter(this.#cursor, READ_BATCH);
      for (const entry of batch) {
        this.#cursor = entry.seq;
        if (entry.list === this.#options.listId && this.#entries.add(entry, now)) {
          this.#unchecked.add(entry.idx);
        }
      }
      if (batch.length < READ_BATCH) return;
    }
  }

  /** Queues for a decision the entries each event the replica has applied may cover. */
  #takeApplied(appliedSeq: number): void {
    const later: RevocationEvent[] = [];
    for (const event of this.#pending) {
      if (event.seq > appliedSeq) later.push(event);
      else for (const idx of this.#entries.coveredBy(event.rule)) this.#unchecked.add(idx);
    }
    this.#pending = later;
  }

  /** Asks the replica about every entry waiting; an entry a rule covers turns INVALID. */
  #decide(): void {
    const replica = this.#options.replica;
    for (const idx of this.#unchecked) {
      const entry = this.#entries.get(idx);
      if (entry !== undefined) {
        const rule = replica.check(factsOf(entry));
        // `allowlist` says a token was not recorded at issue; a listed token was, so it is no revocation.
        if (rule !== undefined && rule !== 'allowlist') this.#entries.revoke(idx);
      }
      this.#unchecked.delete(idx);
    }
  }

  #dueForRefresh(now: number): boolean {
    return now - (this.#published?.issuedAt ?? 0) >= (this.#options.ttlSec * 1000) / 2;
  }

  #sign(now: number): void {
    const { ttlSec, uri, keys } = this.#options;
    const { token, claims } = signStatusListToken(
      keys,
      { uri, list: this.#entries.list, ttlSec, lifetimeSec: Math.max(10 * ttlSec, 300) },
      now,
    );
    this.#published = Object.freeze({ token, issuedAt: claims.iat * 1000, ttlSec });
    this.#publications++;
    this.#signedVersion = this.#entries.version;
  }
}

function factsOf(entry: RecordedStatusListEntry): TokenFacts {
  return {
    tokenId: entry.jti,
    iss: entry.iss,
    sub: entry.sub,
    sid: entry.sid ?? undefined,
    kid: entry.kid,
    issuedAtMs: entry.issuedAt,
    expiresAtMs: entry.expiresAt,
  };
}
