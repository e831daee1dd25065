import { RevocableError, type RuleKind } from '../errors.js';
import type { RevocationCheck, TokenFacts } from './check.js';
import { CutoffMap } from './cutoff-map.js';
import type { RevocationSnapshot } from './log.js';
import { checkRevocationPolicy } from './policy.js';
import type { RevocationEvent } from './rules.js';
import { MAX_INITIAL_CAPACITY, TokenIdTable } from './token-id-table.js';
import { DEFAULT_REVOCATION_POLICY, longestLifetimeOf, type RevocationPolicy } from './validate.js';

/** A full purge pass over an id table takes at most this fraction of the longest token lifetime. */
const PASS_FRACTION = 4;
/**
 * The scope of rules recorded without an issuer (see `UnscopedRule`): they match every issuer. No
 * rule can name it, since the log requires a non-empty `iss`.
 */
const EVERY_ISSUER = '';

/**
 * The scope a token, allow or key rule is kept in: its `iss`, or {@link EVERY_ISSUER} when it has none
 * (an older rule) or one no log would have stored (a damaged entry): the safe side.
 */
function scopeOf(iss: unknown): string {
  return typeof iss === 'string' ? iss : EVERY_ISSUER;
}

/**
 * What a replica does when its last word from the feed is older than `maxStalenessMs`:
 * - `fail-closed` (default): every verify fails with `ERR_REVOCATION_STALE` (HTTP 503);
 * - `fail-open`: tokens are judged on the stale state and accepted if no rule matches; each is counted;
 * - `introspect`: the synchronous check fails with `ERR_REVOCATION_STALE`, and the verifier's async
 *   `verify` asks `introspect` (e.g. the issuer's RFC 7662 endpoint) instead.
 */
export type StalePolicy = 'fail-closed' | 'fail-open' | 'introspect';

/**
 * Every {@link StalePolicy}, for configuration parsers.
 *
 * @example
 * ```ts
 * if (!STALE_POLICIES.includes(value as StalePolicy)) throw new Error('unknown stale policy');
 * ```
 */
export const STALE_POLICIES: readonly StalePolicy[] = Object.freeze([
  'fail-closed',
  'fail-open',
  'introspect',
]);

/** Options of a {@link Replica}. */
export interface ReplicaOptions {
  /** Longest time without news from the feed before the stale policy applies, ms. Default 30,000. */
  readonly maxStalenessMs?: number;
  /** Default `fail-closed`. */
  readonly stalePolicy?: StalePolicy;
  /** For `introspect`: resolves `true` when the issuer says the token is still active. */
  readonly introspect?: (facts: TokenFacts) => Promise<boolean>;
  /** Allowlist mode: accept only tokens whose id was recorded with an `allow` rule. */
  readonly allowlist?: boolean;
  /** Purge cadence in ms (an unref'd timer; 0 disables it, then call `purge` yourself). Default 1,000. */
  readonly purgeIntervalMs?: number;
  /**
   * Most slots (or due cutoffs) one purge step examines, so a step never stalls a request: the timer
   * runs a tick's steps one per macrotask. Default 8,192 (tens of microseconds).
   */
  readonly purgeBudget?: number;
  /**
   * The policy of the log this replica follows: give it the log's own. A verifier following the
   * replica takes its lifetime bound and its largest clock tolerance from it, and purging sweeps each
   * id table in full within a quarter of `maxTokenLifetimeMs`, whatever the table's size. Default
   * {@link DEFAULT_REVOCATION_POLICY} (10 minutes, 60 s), the default of every log.
   */
  readonly policy?: RevocationPolicy;
  /** @deprecated Use `policy` (`{ ...DEFAULT_REVOCATION_POLICY, maxTokenLifetimeMs }`); removed in the next release. */
  readonly maxTokenLifetimeMs?: number;
  readonly clock?: () => number;
}

/** Figures for metrics and the console. */
export interface ReplicaStats {
  readonly tokens: number;
  readonly allowed: number;
  readonly sessions: number;
  readonly subjects: number;
  readonly keys: number;
  readonly issuers: number;
  readonly lastSeq: number;
  /** The highest `seq` the replica knows the source has: from events, snapshots and `noteSourceSeq`. */
  readonly sourceSeq: number;
  /** Events the replica is known to be missing: `sourceSeq - lastSeq`, at least 0. */
  readonly behind: number;
  /** When the log recorded the newest event applied or loaded, epoch ms of the log's clock (0: none). */
  readonly lastEventAt: number;
  /**
   * How long ago that was, by the replica's clock (`Infinity` before any event). While `behind` is 0
   * this is the time since the last revocation; while it is not, the replica lacks events recorded
   * since then, so it bounds how late it is.
   */
  readonly lastEventAgeMs: number;
  /** Epoch ms of the last news from the feed (0 before the first). */
  readonly freshAt: number;
  readonly stalenessMs: number;
  readonly stale: boolean;
  readonly purged: number;
  /** fail-open only: tokens accepted while stale (those a known rule rejected are not counted). */
  readonly staleAccepts: number;
  readonly bootstraps: number;
  readonly tokenTableBytes: number;
}

/**
 * The in-memory revocation state inside every API process: O(1) checks on the verify path, fed by a
 * snapshot and then the log's events in `seq` order (see {@link ReplicaFollower}).
 *
 * A rule matches a token of its issuer (`iss`) only, when: `token`/`allow` by id; `session`, `subject`,
 * `issuer` when the token's `iat` (in ms) is at or before the cutoff; `key` by `kid`. A `token`, `allow`
 * or `key` rule recorded without an issuer (an `UnscopedRule`, written by an older version)
 * matches its id or `kid` at every issuer, until it is forgotten. Tokens with a whole-second `iat` (most
 * external issuers) are read as issued at the start of that second, so a cutoff also rejects tokens
 * issued later in the same second: the safe side.
 *
 * @example
 * ```ts
 * const replica = new Replica({ maxStalenessMs: 10_000 });
 * replica.load(await log.snapshot());
 * const verifier = new Verifier({ keys, issuer, audience, revocation: replica });
 * ```
 */
export class Replica implements RevocationCheck {
  #tokens = new TokenIdTable();
  #allowed = new TokenIdTable();
  readonly #sessions = new CutoffMap();
  readonly #subjects = new CutoffMap();
  readonly #keys = new CutoffMap();
  readonly #issuers = new CutoffMap();
  /**
   * Until when (epoch ms, the latest `forgetAfter`) unscoped rules may sit in each id table: only then
   * does a check look an id up a second time, in {@link EVERY_ISSUER}'s scope.
   */
  #unscopedTokensUntil = 0;
  #unscopedAllowedUntil = 0;
  readonly #maxStalenessMs: number;
  readonly #policy: StalePolicy;
  readonly #revocationPolicy: RevocationPolicy;
  readonly #introspect: ((facts: TokenFacts) => Promise<boolean>) | undefined;
  readonly #allowlist: boolean;
  readonly #purgeBudget: number;
  /** A full purge pass over an id table is due within this many ms. */
  readonly #passMs: number;
  readonly #clock: () => number;
  readonly #timer: NodeJS.Timeout | undefined;
  /** The clock at the last purge tick: the slots owed grow with the time since. */
  #purgedAt: number;
  /** Slots of each id table the current purge tick still has to examine. */
  #tokenSlotsOwed = 0;
  #allowedSlotsOwed = 0;
  /** A timer tick's steps are running, one per macrotask. */
  #purging = false;
  #closed = false;
  #lastSeq = 0;
  #sourceSeq = 0;
  #lastEventAt = 0;
  #freshAt = 0;
  #purged = 0;
  #staleAccepts = 0;
  #bootstraps = 0;

  constructor(options: ReplicaOptions = {}) {
    this.#maxStalenessMs = options.maxStalenessMs ?? 30_000;
    this.#policy = options.stalePolicy ?? 'fail-closed';
    this.#introspect = options.introspect;
    this.#allowlist = options.allowlist ?? false;
    this.#purgeBudget = options.purgeBudget ?? 8192;
    if (options.policy !== undefined && options.maxTokenLifetimeMs !== undefined)
      throw new RevocableError('ERR_CONFIG_INVALID', 'Give policy, not maxTokenLifetimeMs as well.');
    this.#revocationPolicy = checkRevocationPolicy(
      options.policy ??
        (options.maxTokenLifetimeMs === undefined
          ? DEFAULT_REVOCATION_POLICY
          : { ...DEFAULT_REVOCATION_POLICY, maxTokenLifetimeMs: options.maxTokenLifetimeMs }),
    );
    this.#passMs = longestLifetimeOf(this.#revocationPolicy) / PASS_FRACTION;
    this.#clock = options.clock ?? Date.now;
    this.#purgedAt = this.#clock();
    if (!(Number.isSafeInteger(this.#purgeBudget) && this.#purgeBudget > 0))
      throw new RevocableError('ERR_CONFIG_INVALID', 'purgeBudget must be a positive whole number.');
    if (!(this.#maxStalenessMs > 0))
      throw new RevocableError('ERR_CONFIG_INVALID', 'maxStalenessMs must be positive.');
    if (!STALE_POLICIES.includes(this.#policy)) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        'stalePolicy must be fail-closed, fail-open or introspect.',
      );
    }
    if (this.#policy === 'introspect' && this.#introspect === undefined) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'The introspect policy needs an introspect function.');
    }
    const interval = options.purgeIntervalMs ?? 1000;
    if (!(interval >= 0 && Number.isFinite(interval)))
      throw new RevocableError('ERR_CONFIG_INVALID', 'purgeIntervalMs must be 0 or more.');
    if (interval > 0) {
      this.#timer = setInterval(() => this.#tick(), interval);
      this.#timer.unref();
    }
  }

  /**
   * The revocation policy this replica was made with (frozen): a verifier following it reads its
   * lifetime bound and clock tolerance from here. See {@link RevocationCheck.policy}.
   *
   * @example
   * ```ts
   * replica.policy.maxTokenLifetimeMs; // 600000
   * ```
   */
  get policy(): RevocationPolicy {
    return this.#revocationPolicy;
  }

  /** The last `seq` applied. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** {@inheritDoc RevocationCheck.check} */
  check(facts: TokenFacts): RuleKind | undefined {
    const now = this.#clock();
    if (now - this.#freshAt > this.#maxStalenessMs) {
      if (this.#policy !== 'fail-open') {
        throw new RevocableError(
          'ERR_REVOCATION_STALE',
          'Revocation state is too old to decide; try again shortly.',
        );
      }
      // fail-open counts the tokens it accepted on stale state, not the ones a known rule rejected.
      const rule = this.#match(facts, now);
      if (rule === undefined) this.#staleAccepts++;
      return rule;
    }
    return this.#match(facts, now);
  }

  #match(facts: TokenFacts, now: number): RuleKind | undefined {
    if (
      this.#tokens.size > 0 &&
      (this.#tokens.has(facts.tokenId, now, facts.iss) ||
        (now < this.#unscopedTokensUntil && this.#tokens.has(facts.tokenId, now, EVERY_ISSUER)))
    ) {
      return 'token';
    }
    const at = facts.issuedAtMs;
    if (
      facts.sid !== undefined &&
      this.#sessions.size > 0 &&
      this.#sessions.revokes(facts.iss, facts.sid, at)
    ) {
      return 'session';
    }
    if (this.#subjects.size > 0 && this.#subjects.revokes(facts.iss, facts.sub, at)) return 'subject';
    if (
      this.#keys.size > 0 &&
      (this.#keys.revokes(facts.iss, facts.kid, at) || this.#keys.revokes(EVERY_ISSUER, facts.kid, at))
    ) {
      return 'key';
    }
    if (this.#issuers.size > 0 && this.#issuers.revokes(facts.iss, '', at)) return 'issuer';
    if (
      this.#allowlist &&
      !this.#allowed.has(facts.tokenId, now, facts.iss) &&
      !(now < this.#unscopedAllowedUntil && this.#allowed.has(facts.tokenId, now, EVERY_ISSUER))
    ) {
      return 'allowlist';
    }
    return undefined;
  }

  /**
   * For the `introspect` policy: decides a token while the replica is stale by asking the issuer.
   * Local rules still apply first.
   */
  async resolveStale(facts: TokenFacts): Promise<RuleKind | undefined> {
    if (this.#policy !== 'introspect' || this.#introspect === undefined) {
      throw new RevocableError(
        'ERR_REVOCATION_STALE',
        'Revocation state is too old to decide; try again shortly.',
      );
    }
    const local = this.#match(facts, this.#clock());
    if (local !== undefined) return local;
    let active: boolean;
    try {
      active = await this.#introspect(facts);
    } catch (cause) {
      throw new RevocableError(
        'ERR_REVOCATION_STALE',
        'Revocation state is stale and introspection failed.',
        undefined,
        {
          cause,
        },
      );
    }
    return active ? undefined : 'token';
  }

  /**
   * Replaces the whole state with a snapshot and marks the replica fresh. The id tables are made at
   * the size the snapshot's `token` and `allow` rules need, so loading them starts no growth.
   */
  load(snapshot: RevocationSnapshot): void {
    const now = this.#clock();
    let tokens = 0;
    let allowed = 0;
    for (const { rule, forgetAfter } of snapshot.events) {
      if (forgetAfter <= now) continue;
      if (rule.kind === 'token') tokens++;
      else if (rule.kind === 'allow') allowed++;
    }
    this.#tokens = new TokenIdTable({ initialCapacity: Math.min(tokens, MAX_INITIAL_CAPACITY) });
    this.#allowed = new TokenIdTable({ initialCapacity: Math.min(allowed, MAX_INITIAL_CAPACITY) });
    this.#sessions.clear();
    this.#subjects.clear();
    this.#keys.clear();
    this.#issuers.clear();
    this.#unscopedTokensUntil = 0;
    this.#unscopedAllowedUntil = 0;
    this.#lastSeq = 0;
    for (const event of snapshot.events) this.#applyRule(event, now);
    this.#lastSeq = snapshot.seq;
    this.#sourceSeq = snapshot.seq;
    this.#lastEventAt = snapshot.events.at(-1)?.recordedAt ?? 0;
    this.#bootstraps++;
    this.markFresh();
  }

  /**
   * Applies one event. Events at or below `lastSeq` are ignored (duplicates are harmless); the caller
   * (the follower) is responsible for order and for filling gaps. Returns `true` when applied.
   */
  apply(event: RevocationEvent): boolean {
    if (event.seq <= this.#lastSeq) return false;
    this.#applyRule(event, this.#clock());
    this.#lastSeq = event.seq;
    if (event.seq > this.#sourceSeq) this.#sourceSeq = event.seq;
    this.#lastEventAt = event.recordedAt;
    return true;
  }

  /**
   * Records that the source has events up to `seq` (a heartbeat's `seq`, or an event that arrived ahead
   * of a gap), for the `behind` figure. Only raises it; values that are not whole numbers ≥ 0 are
   * ignored. Changes no rule and no freshness.
   *
   * @example
   * ```ts
   * // in a follower, for every message from the feed:
   * replica.noteSourceSeq(message.type === 'event' ? message.event.seq : message.seq);
   * ```
   */
  noteSourceSeq(seq: number): void {
    if (Number.isSafeInteger(seq) && seq > this.#sourceSeq) this.#sourceSeq = seq;
  }

  /** Records news from the feed: the replica is up to date as of now. */
  markFresh(at: number = this.#clock()): void {
    this.#freshAt = Math.max(this.#freshAt, at);
  }

  /**
   * One purge tick, run to the end here (the timer runs the same steps one per macrotask instead):
   * removes every due cutoff, and examines each id table's share of slots for the time since the last
   * tick (`slots × elapsed / (maxTokenLifetimeMs / 4)`, at least `purgeBudget`, at most one full
   * pass), in steps of `purgeBudget`. Returns how many entries it removed.
   *
   * @example
   * ```ts
   * const replica = new Replica({ purgeIntervalMs: 0 });
   * setInterval(() => metrics.purged.inc(replica.purge()), 1_000).unref();
   * ```
   */
  purge(now: number = this.#clock()): number {
    this.#owe(now);
    let removed = 0;
    do removed += this.#purgeStep(now);
    while (this.#purgeDue(now));
    return removed;
  }

  stats(): ReplicaStats {
    const now = this.#clock();
    const stalenessMs = this.#freshAt === 0 ? Number.POSITIVE_INFINITY : Math.max(0, now - this.#freshAt);
    return {
      tokens: this.#tokens.size,
      allowed: this.#allowed.size,
      sessions: this.#sessions.size,
      subjects: this.#subjects.size,
      keys: this.#keys.size,
      issuers: this.#issuers.size,
      lastSeq: this.#lastSeq,
      sourceSeq: this.#sourceSeq,
      behind: Math.max(0, this.#sourceSeq - this.#lastSeq),
      lastEventAt: this.#lastEventAt,
      lastEventAgeMs:
        this.#lastEventAt === 0 ? Number.POSITIVE_INFINITY : Math.max(0, now - this.#lastEventAt),
      freshAt: this.#freshAt,
      stalenessMs,
      stale: stalenessMs > this.#maxStalenessMs,
      purged: this.#purged,
      staleAccepts: this.#staleAccepts,
      bootstraps: this.#bootstraps,
      tokenTableBytes: this.#tokens.byteLength + this.#allowed.byteLength,
    };
  }

  /** Stops the purge timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  /** A timer tick: the steps of `purge`, one per macrotask, so requests run between them. */
  #tick(): void {
    if (this.#purging) return;
    const now = this.#clock();
    this.#owe(now);
    this.#purging = true;
    const step = (): void => {
      if (!this.#closed) this.#purgeStep(now);
      if (!this.#closed && this.#purgeDue(now)) setImmediate(step).unref();
      else this.#purging = false;
    };
    step();
  }

  /** Adds each id table's share of slots for the time since the last tick to what is owed. */
  #owe(now: number): void {
    const elapsed = now > this.#purgedAt ? now - this.#purgedAt : 0;
    if (now > this.#purgedAt) this.#purgedAt = now;
    const owed = (table: TokenIdTable, before: number): number => {
      const slots = table.slotCount;
      const share = Math.ceil((slots * elapsed) / this.#passMs);
      return Math.min(slots, before + Math.max(share, this.#purgeBudget));
    };
    this.#tokenSlotsOwed = owed(this.#tokens, this.#tokenSlotsOwed);
    this.#allowedSlotsOwed = owed(this.#allowed, this.#allowedSlotsOwed);
  }

  /** At most `purgeBudget` slots of each id table and due entries of each cutoff map. */
  #purgeStep(now: number): number {
    const budget = this.#purgeBudget;
    const tokens = Math.min(this.#tokenSlotsOwed, budget);
    const allowed = Math.min(this.#allowedSlotsOwed, budget);
    this.#tokenSlotsOwed -= tokens;
    this.#allowedSlotsOwed -= allowed;
    const removed =
      this.#tokens.purgeStep(now, tokens) +
      this.#allowed.purgeStep(now, allowed) +
      this.#sessions.purge(now, budget) +
      this.#subjects.purge(now, budget) +
      this.#keys.purge(now, budget) +
      this.#issuers.purge(now, budget);
    this.#purged += removed;
    return removed;
  }

  #purgeDue(now: number): boolean {
    return (
      this.#tokenSlotsOwed > 0 ||
      this.#allowedSlotsOwed > 0 ||
      this.#sessions.nextForgetAt <= now ||
      this.#subjects.nextForgetAt <= now ||
      this.#keys.nextForgetAt <= now ||
      this.#issuers.nextForgetAt <= now
    );
  }

  #applyRule(event: RevocationEvent, now: number): void {
    if (event.forgetAfter <= now) return;
    const { rule } = event;
    switch (rule.kind) {
      // Kept until forgetAfter (the token's exp plus the log's clock margin), not exp: a verifier
      // accepts a token for its clock tolerance past exp, and a revoked one must stay revoked then.
      case 'token': {
        const iss = scopeOf(rule.iss);
        this.#tokens.add(rule.tokenId, event.forgetAfter, iss);
        if (iss === EVERY_ISSUER)
          this.#unscopedTokensUntil = Math.max(this.#unscopedTokensUntil, event.forgetAfter);
        break;
      }
      case 'allow': {
        const iss = scopeOf(rule.iss);
        this.#allowed.add(rule.tokenId, event.forgetAfter, iss);
        if (iss === EVERY_ISSUER)
          this.#unscopedAllowedUntil = Math.max(this.#unscopedAllowedUntil, event.forgetAfter);
        break;
      }
      case 'session':
        this.#sessions.raise(rule.iss, rule.sid, rule.cutoff, event.forgetAfter);
        break;
      case 'subject':
        this.#subjects.raise(rule.iss, rule.sub, rule.cutoff, event.forgetAfter);
        break;
      case 'key':
        this.#keys.raise(scopeOf(rule.iss), rule.kid, Number.POSITIVE_INFINITY, event.forgetAfter);
        break;
      case 'issuer':
        this.#issuers.raise(rule.iss, '', rule.cutoff, event.forgetAfter);
        break;
    }
  }
}
