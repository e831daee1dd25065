import { randomInt } from 'node:crypto';
import { RevocableError } from '../errors.js';

/** Options of a {@link TokenIdTable}. */
export interface TokenIdTableOptions {
  /** How many entries the table holds, at least, before it first grows (default 1024). */
  readonly initialCapacity?: number;
  /**
   * Seed of the fingerprint hash, a safe integer. Defaults to a random value per table, so fingerprints
   * differ between processes and cannot be precomputed. Fix it only in tests.
   */
  readonly seed?: number;
}

// Slot layout: three 32-bit words per slot in one buffer, so a probe touches one cache line:
// [fingerprint high (Int32), fingerprint low (Int32), expiry in whole seconds, rounded up (Uint32)].
// A high word of 0 never belongs to a real fingerprint: (0, 0) is an empty slot, (0, 1) a tombstone.
const STRIDE = 3;
const BYTES_PER_SLOT = STRIDE * 4;
const TOMBSTONE_LOW = 1;
const MAX_LOAD = 0.75;
const MIN_CAPACITY = 16;
const MAX_CAPACITY = 2 ** 27;
/**
 * The most entries `initialCapacity` may ask for (within the package: Replica presizes with it).
 *
 * @example
 * ```ts
 * const table = new TokenIdTable({ initialCapacity: Math.min(count, MAX_INITIAL_CAPACITY) });
 * ```
 */
export const MAX_INITIAL_CAPACITY = MAX_CAPACITY * MAX_LOAD;
const DEFAULT_INITIAL_CAPACITY = 1024;
const MAX_EXPIRY_SECONDS = 0xffff_ffff;
/** Old slots one `add` moves during a growth (see the class). */
const MIGRATE_STEP = 16;

// Set by the class's static block: the only way into its private state from outside, for the tests.
let inspect: (table: TokenIdTable) => TokenIdTableInternals;

/**
 * A compact set of token ids (`jti`) with the expiry after which each can be forgotten: a Replica
 * holds two in every API process, the revoked ids and, in allowlist mode, the ids recorded at issue
 * time. Checks are O(1) and allocate nothing.
 *
 * Each id lives in a scope, the issuer (`iss`) that minted it, so one id of two issuers is two
 * entries: `add(id, exp, scope)` is found by `has(id, now, scope)` with the same scope only. The scope
 * is hashed into the fingerprint's seed (no key string is built): the fingerprint of a pair is the id's
 * hash under a 64-bit seed derived from the scope, and the last scope's seed is kept, so calls for one
 * issuer in a row hash the issuer once. The default scope `''` is a scope of its own (the Replica keeps
 * rules recorded before rules named their issuer there).
 *
 * Layout: an open-addressing table with linear probing over one `ArrayBuffer` of 12-byte slots (a
 * 64-bit fingerprint of the id and its expiry as Uint32 seconds, rounded up so an entry is never
 * forgotten early). Ids themselves are not kept. When live entries plus tombstones would pass 75% of
 * the slots, `add` starts a new table without tombstones at the smallest power-of-two size (not below
 * the initial one) that the live entries fill at most half of: double when adds filled it, the same
 * when tombstones did, at most half the size after a mass expiry. So, past its initial size, it holds
 * 16 to 32 bytes per entry: 25.2 at 1M entries (2^21 slots), 20.1 at 10M (2^24 slots).
 *
 * Growth is incremental, so no call stalls the event loop: the old table stays readable, and each
 * later `add` moves the entries of the next 16 old slots into the new one (each `purgeStep` moves as
 * many as its budget allows, dropping expired ones). Lookups check the new table, then the old one;
 * an id is in one of them only. The new table has room for the adds a migration takes, so a growth
 * always completes before the next one. While it runs both tables are held: up to 48 bytes per entry
 * for the next (old slots / 16) adds.
 *
 * False positives: only the 64-bit fingerprint is compared, so an id that was never added is reported
 * present when its fingerprint equals a stored one. With n stored entries and a well-spread hash the
 * chance is about n / 2^64 per lookup: 5.4e-14 at 1M entries and 5.4e-13 at 10M (once in about
 * 1.8e12 lookups at 10M). What that means depends on the table: in the revoked-id table, a token is
 * refused as revoked although it was not (a false rejection); in allowlist mode's table, a token whose
 * id was never recorded is accepted as if it had been (the same n / 2^64 chance per lookup, n the
 * recorded ids), if no other rule revokes it. Two stored ids with one fingerprint share a slot with
 * the later expiry, so neither is forgotten early.
 *
 * The hash is a seeded 2×32-bit MurmurHash3-style hash over UTF-16 code units (any string: non-ASCII,
 * lone surrogates, any length). The seed is random per table unless given; it is not a cryptographic
 * PRF, which is enough because token ids are chosen by the issuer, not by the holder of a token.
 *
 * @example
 * ```ts
 * const revoked = new TokenIdTable({ initialCapacity: snapshot.length });
 * for (const { jti, exp } of snapshot) revoked.add(jti, exp * 1000);
 * if (revoked.has(claims.jti, Date.now())) throw new RevocableError('ERR_TOKEN_REVOKED', 'token revoked');
 * setInterval(() => revoked.purgeStep(Date.now(), 4096), 1000).unref();
 * ```
 */
export class TokenIdTable {
  readonly #seedHigh: number;
  readonly #seedLow: number;
  /** The last non-empty scope given, and the seed its ids are hashed with. */
  #scope = '';
  #scopeHigh = 0;
  #scopeLow = 0;
  readonly #minCapacity: number;
  // The current table: every add goes here.
  #slots!: Int32Array;
  #expiry!: Uint32Array;
  #mask = 0;
  #threshold = 0;
  /** Live entries in the current table. */
  #inTable = 0;
  #tombstones = 0;
  /** The next slot `purgeStep` examines; it walks downwards and wraps. */
  #cursor = 0;
  /** Live entries in both tables. */
  #live = 0;
  // During a growth, the table being emptied into the current one (read, and tombstoned as its
  // entries leave); undefined otherwise.
  #oldSlots: Int32Array | undefined;
  #oldExpiry: Uint32Array | undefined;
  #oldMask = 0;
  /** The word index of the next old slot a migration step examines; it walks upwards. */
  #migrateAt = 0;
  /** Entries copied from an old table to a new one, ever (for the tests). */
  #moves = 0;

  /**
   * Creates an empty table.
   *
   * @example
   * ```ts
   * const table = new TokenIdTable(); // random seed, room for 1024 entries before it grows
   * const sized = new TokenIdTable({ initialCapacity: 1_000_000 }); // a snapshot load without regrowth
   * ```
   */
  constructor(options: TokenIdTableOptions = {}) {
    const { initialCapacity = DEFAULT_INITIAL_CAPACITY, seed } = options;
    if (!Number.isSafeInteger(initialCapacity) || initialCapacity < 0) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'initialCapacity must be a non-negative integer');
    }
    if (initialCapacity > MAX_INITIAL_CAPACITY) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        `initialCapacity must be at most ${MAX_INITIAL_CAPACITY}`,
      );
    }
    if (seed !== undefined && !Number.isSafeInteger(seed)) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'seed must be a safe integer');
    }
    const s = seed ?? randomInt(2 ** 48 - 1);
    this.#seedLow = fmix32(((s % 2 ** 32) | 0) ^ 0x5bd1e995);
    this.#seedHigh = fmix32(Math.floor(s / 2 ** 32) ^ this.#seedLow ^ 0x1b873593);
    let capacity = MIN_CAPACITY;
    while (initialCapacity > capacity * MAX_LOAD) capacity *= 2;
    this.#minCapacity = capacity;
    this.#allocate(capacity);
  }

  /**
   * Adds a token id of `scope` (its issuer; default `''`) with its expiry (epoch ms). Idempotent; an
   * existing entry keeps the later expiry.
   * The expiry is kept in whole seconds, rounded up (never earlier than given), except that one past
   * 2106-02-07T06:28:15Z is kept as that instant. O(1): during a growth (see the class) it also moves
   * the entries of at most 16 old slots.
   *
   * @throws {RevocableError} `ERR_REVOCATION_INVALID` when `expiresAtMs` is not a number, or the table
   * is full (2^27 slots, about 100M entries).
   *
   * @example
   * ```ts
   * table.add(claims.jti, claims.exp * 1000, claims.iss);
   * ```
   */
  add(tokenId: string, expiresAtMs: number, scope = ''): void {
    if (typeof expiresAtMs !== 'number' || Number.isNaN(expiresAtMs)) {
      throw new RevocableError(
        'ERR_REVOCATION_INVALID',
        'expiresAtMs must be a number of epoch milliseconds',
      );
    }
    let seconds =
      expiresAtMs <= 0
        ? 0
        : expiresAtMs >= MAX_EXPIRY_SECONDS * 1000
          ? MAX_EXPIRY_SECONDS
          : Math.ceil(expiresAtMs / 1000);
    if (this.#oldSlots !== undefined) this.#migrate(MIGRATE_STEP, Number.NaN);
    const low =
      scope.length === 0
        ? fingerprint(tokenId, this.#seedHigh, this.#seedLow)
        : this.#scopedFingerprint(tokenId, scope);
    const high = fingerprintHigh[0]!;
    const slots = this.#slots;
    const end = slots.length;
    let i = (low & this.#mask) * STRIDE;
    let tombstone = -1;
    for (;;) {
      const h = slots[i]!;
      if (h === high) {
        if (slots[i + 1] === low) {
          if (this.#expiry[i + 2]! < seconds) this.#expiry[i + 2] = seconds;
          return;
        }
      } else if (h === 0) {
        if (slots[i + 1] === 0) break;
        if (tombstone < 0) tombstone = i;
      }
      i += STRIDE;
      if (i === end) i = 0;
    }
    if (this.#oldSlots !== undefined) {
      // Not moved yet: take it out of the old table, keeping the later expiry, and add it here.
      const j = this.#findOld(high, low);
      if (j >= 0) {
        const old = this.#oldExpiry![j + 2]!;
        if (old > seconds) seconds = old;
        this.#oldSlots[j] = 0;
        this.#oldSlots[j + 1] = TOMBSTONE_LOW;
        this.#live--;
      }
    }
    if (tombstone >= 0) {
      this.#tombstones--;
      i = tombstone;
    } else if (this.#inTable + this.#tombstones >= this.#threshold) {
      this.#grow(this.#live + 1);
      i = this.#emptySlotFor(low);
    }
    this.#slots[i] = high;
    this.#slots[i + 1] = low;
    this.#expiry[i + 2] = seconds;
    this.#inTable++;
    this.#live++;
  }

  /**
   * True when the id is present in `scope` (default `''`) and not expired at nowMs (expired means
   * nowMs >= expiry). A `nowMs` that is not a number counts as "not expired" (fail closed).
   *
   * @example
   * ```ts
   * if (table.has(facts.tokenId, clock(), facts.iss)) return 'token';
   * ```
   */
  has(tokenId: string, nowMs: number, scope = ''): boolean {
    const low =
      scope.length === 0
        ? fingerprint(tokenId, this.#seedHigh, this.#seedLow)
        : this.#scopedFingerprint(tokenId, scope);
    const high = fingerprintHigh[0]!;
    const slots = this.#slots;
    const end = slots.length;
    let i = (low & this.#mask) * STRIDE;
    for (;;) {
      const h = slots[i]!;
      if (h === high) {
        if (slots[i + 1] === low) return !(nowMs >= this.#expiry[i + 2]! * 1000);
      } else if (h === 0 && slots[i + 1] === 0) {
        return this.#oldSlots !== undefined && this.#hasOld(high, low, nowMs);
      }
      i += STRIDE;
      if (i === end) i = 0;
    }
  }

  /**
   * Removes expired entries, examining at most `budget` slots, resuming where the previous call stopped
   * (a cursor that wraps). Returns how many entries it removed. During a growth it first spends the
   * budget moving the old table's entries (dropping the expired ones), then walks the new table.
   *
   * The cursor walks the slots downwards so a freed slot just before an empty one becomes empty, not a
   * tombstone; `budget` is capped at the slot count, so one call never sees a slot twice. A growth
   * restarts the cursor. Work is O(budget) and allocates nothing.
   *
   * @example
   * ```ts
   * // a few milliseconds of work per second at most, a full pass every slotCount / 4096 seconds
   * setInterval(() => metrics.purged.inc(table.purgeStep(Date.now(), 4096)), 1000).unref();
   * ```
   */
  purgeStep(nowMs: number, budget: number): number {
    let steps = budget > 0 ? Math.floor(budget) : 0;
    let removed = 0;
    if (this.#oldSlots !== undefined && steps > 0) {
      const remaining = (this.#oldSlots.length - this.#migrateAt) / STRIDE;
      const moved = Math.min(steps, remaining);
      removed += this.#migrate(moved, nowMs);
      steps -= moved;
    }
    const slots = this.#slots;
    const expiry = this.#expiry;
    const capacity = this.#mask + 1;
    const last = (capacity - 1) * STRIDE;
    if (steps > capacity) steps = capacity;
    let i = this.#cursor * STRIDE;
    while (steps-- > 0) {
      const next = i === last ? 0 : i + STRIDE;
      const nextEmpty = slots[next] === 0 && slots[next + 1] === 0;
      if (slots[i] !== 0) {
        if (nowMs >= expiry[i + 2]! * 1000) {
          slots[i] = 0;
          slots[i + 1] = nextEmpty ? 0 : TOMBSTONE_LOW;
          if (!nextEmpty) this.#tombstones++;
          this.#inTable--;
          this.#live--;
          removed++;
        }
      } else if (nextEmpty && slots[i + 1] === TOMBSTONE_LOW) {
        slots[i + 1] = 0;
        this.#tombstones--;
      }
      i = i === 0 ? last : i - STRIDE;
    }
    this.#cursor = i / STRIDE;
    return removed;
  }

  /**
   * Removes everything, and gives back the memory of any growth (the table returns to its initial size).
   *
   * @example
   * ```ts
   * table.clear(); // before loading a fresh snapshot
   * ```
   */
  clear(): void {
    this.#oldSlots = undefined;
    this.#oldExpiry = undefined;
    this.#allocate(this.#minCapacity);
    this.#live = 0;
  }

  /**
   * Entries held (expired ones not yet purged included).
   *
   * @example
   * ```ts
   * metrics.revokedTokenIds.set(table.size);
   * ```
   */
  get size(): number {
    return this.#live;
  }

  /**
   * The slots a full purge pass examines: the table's, plus, during a growth, the old table's slots
   * not yet moved. A caller that wants a full pass every P ms gives `purgeStep` a budget of
   * `slotCount × interval / P`.
   *
   * @example
   * ```ts
   * const budget = Math.ceil((table.slotCount * 1000) / 150_000); // a full pass every 2.5 minutes
   * ```
   */
  get slotCount(): number {
    const old = this.#oldSlots === undefined ? 0 : (this.#oldSlots.length - this.#migrateAt) / STRIDE;
    return this.#mask + 1 + old;
  }

  /**
   * Bytes held by the table's typed arrays (12 per slot; both tables during a growth).
   *
   * @example
   * ```ts
   * metrics.revocationTableBytes.set(table.byteLength);
   * ```
   */
  get byteLength(): number {
    return this.#slots.byteLength + (this.#oldSlots?.byteLength ?? 0);
  }

  static {
    inspect = (table) => ({
      capacity: table.#mask + 1,
      tombstones: table.#tombstones,
      cursor: table.#cursor,
      migrating: table.#oldSlots !== undefined,
      moves: table.#moves,
    });
  }

  /**
   * The fingerprint of `tokenId` in a non-empty scope: hashed under the scope's own seed, the table's
   * hash of the scope (kept for the next call), so no pair of scope and id shares an input with another.
   */
  #scopedFingerprint(tokenId: string, scope: string): number {
    if (scope !== this.#scope) {
      this.#scopeLow = fingerprint(scope, this.#seedHigh, this.#seedLow);
      this.#scopeHigh = fingerprintHigh[0]!;
      this.#scope = scope;
    }
    return fingerprint(tokenId, this.#scopeHigh, this.#scopeLow);
  }

  /** Makes `capacity` empty slots the current table (the old one, if any, is the caller's business). */
  #allocate(capacity: number): void {
    const buffer = new ArrayBuffer(capacity * BYTES_PER_SLOT);
    this.#slots = new Int32Array(buffer);
    this.#expiry = new Uint32Array(buffer);
    this.#mask = capacity - 1;
    this.#threshold = Math.floor(capacity * MAX_LOAD);
    this.#inTable = 0;
    this.#tombstones = 0;
    this.#cursor = capacity - 1;
  }

  /**
   * Starts a growth: a new current table for `entries` at no more than half load, at least the initial
   * size and half the current one; the current table becomes the old one, emptied by later steps.
   * Sizing keeps a migration inside the new table's room: it starts at most half full, and the adds
   * that finish a migration (old slots / 16, at most new slots / 8) fill it to at most 5/8, below the
   * 3/4 that would start the next growth. So the migration below never has work left in practice.
   */
  #grow(entries: number): void {
    if (this.#oldSlots !== undefined) this.#migrate(Number.POSITIVE_INFINITY, Number.NaN);
    const current = this.#mask + 1;
    let capacity = this.#minCapacity;
    while (entries > capacity / 2) capacity *= 2;
    if (capacity < current / 2) capacity = current / 2;
    if (capacity > MAX_CAPACITY) {
      throw new RevocableError('ERR_REVOCATION_INVALID', `the table is full (${this.#live} entries)`);
    }
    this.#oldSlots = this.#slots;
    this.#oldExpiry = this.#expiry;
    this.#oldMask = this.#mask;
    this.#migrateAt = 0;
    this.#allocate(capacity);
  }

  /**
   * Moves the entries of the next `budget` old slots into the current table, dropping those expired
   * at `nowMs` (none when it is NaN); ends the growth after the last slot. Returns how many it dropped.
   */
  #migrate(budget: number, nowMs: number): number {
    const old = this.#oldSlots!;
    const oldExpiry = this.#oldExpiry!;
    const end = old.length;
    let i = this.#migrateAt;
    const stop = budget >= (end - i) / STRIDE ? end : i + budget * STRIDE;
    let dropped = 0;
    for (; i < stop; i += STRIDE) {
      const high = old[i]!;
      if (high === 0) continue;
      const low = old[i + 1]!;
      const seconds = oldExpiry[i + 2]!;
      old[i] = 0;
      old[i + 1] = TOMBSTONE_LOW;
      if (nowMs >= seconds * 1000) {
        this.#live--;
        dropped++;
        continue;
      }
      const j = this.#emptySlotFor(low);
      this.#slots[j] = high;
      this.#slots[j + 1] = low;
      this.#expiry[j + 2] = seconds;
      this.#inTable++;
      this.#moves++;
    }
    if (i >= end) {
      this.#oldSlots = undefined;
      this.#oldExpiry = undefined;
    } else {
      this.#migrateAt = i;
    }
    return dropped;
  }

  /** The word index of a fingerprint in the old table, or -1. */
  #findOld(high: number, low: number): number {
    const old = this.#oldSlots!;
    let i = (low & this.#oldMask) * STRIDE;
    for (;;) {
      const h = old[i]!;
      if (h === high) {
        if (old[i + 1] === low) return i;
      } else if (h === 0 && old[i + 1] === 0) {
        return -1;
      }
      i += STRIDE;
      if (i === old.length) i = 0;
    }
  }

  #hasOld(high: number, low: number, nowMs: number): boolean {
    const j = this.#findOld(high, low);
    return j >= 0 && !(nowMs >= this.#oldExpiry![j + 2]! * 1000);
  }

  /** The first empty slot of `low`'s probe run; only for a fingerprint known to be absent. */
  #emptySlotFor(low: number): number {
    const slots = this.#slots;
    let i = (low & this.#mask) * STRIDE;
    while (slots[i] !== 0 || slots[i + 1] !== 0) {
      i += STRIDE;
      if (i === slots.length) i = 0;
    }
    return i;
  }
}

/** What the tests look at inside a table; not part of the package's API. */
export interface TokenIdTableInternals {
  readonly capacity: number;
  readonly tombstones: number;
  readonly cursor: number;
  readonly migrating: boolean;
  readonly moves: number;
}

/**
 * Internal state of a table, for tests only (not exported from the package).
 *
 * @internal
 * @example
 * ```ts
 * expect(inspectTokenIdTable(table).tombstones).toBe(0);
 * ```
 */
export function inspectTokenIdTable(table: TokenIdTable): TokenIdTableInternals {
  return inspect(table);
}

// The high word of the last fingerprint computed; `fingerprint` returns the low word. A typed array,
// not a returned pair or a module `let` (an int32 outside the Smi range would be boxed), so the hot
// path allocates nothing.
const fingerprintHigh = new Int32Array(1);

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;

/**
 * A 64-bit fingerprint of `id`: MurmurHash3 x86_128's block and finalization steps on two 32-bit
 * lanes, fed four UTF-16 code units (two per lane) per round. Sets `fingerprintHigh[0]` (never 0).
 */
function fingerprint(id: string, seedHigh: number, seedLow: number): number {
  let h1 = seedHigh;
  let h2 = seedLow;
  const n = id.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    let k1 = id.charCodeAt(i) | (id.charCodeAt(i + 1) << 16);
    let k2 = id.charCodeAt(i + 2) | (id.charCodeAt(i + 3) << 16);
    k1 = Math.imul(k1, C1);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), C2);
    h1 ^= k1;
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (Math.imul(h1 + h2, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(k2, C2);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), C3);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2 + h1, 5) + 0x0bcaa747) | 0;
  }
  const rest = n - i;
  if (rest > 0) {
    let k1 = id.charCodeAt(i) | (rest > 1 ? id.charCodeAt(i + 1) << 16 : 0);
    k1 = Math.imul(k1, C1);
    h1 ^= Math.imul((k1 << 15) | (k1 >>> 17), C2);
    if (rest > 2) {
      const k2 = Math.imul(id.charCodeAt(i + 2), C2);
      h2 ^= Math.imul((k2 << 16) | (k2 >>> 16), C3);
    }
  }
  h1 ^= n;
  h2 ^= n;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  fingerprintHigh[0] = h1 === 0 ? 1 : h1;
  return h2;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
