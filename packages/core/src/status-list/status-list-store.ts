import { RevocableError } from '../errors.js';

/**
 * What a status list issuer keeps about one live token that carries `status.status_list`: where its
 * entry is (`list`, `idx`) and the facts every revocation rule kind matches on, so a `token`,
 * `session`, `subject`, `key` or `issuer` rule can flip the entry of every token it covers.
 */
export interface StatusListEntry {
  /** The list's id (the last segment of its URI). */
  readonly list: string;
  /** The token's index in the list. */
  readonly idx: number;
  readonly iss: string;
  readonly sub: string;
  /** The token's `sid`; `null` for a token without a session. */
  readonly sid: string | null;
  /** The `kid` of the key that signed the token. */
  readonly kid: string;
  /** The token's `jti`. */
  readonly jti: string;
  /** The token's `iat` in epoch milliseconds, as a verifier reads it (`Math.round(iat * 1000)`). */
  readonly issuedAt: number;
  /** The token's `exp` in epoch milliseconds. */
  readonly expiresAt: number;
  /**
   * From when the index may be given to another token, epoch ms: `expiresAt` plus the clock margin of
   * the revocation policy, so no verifier can still accept the old token when the index is reused.
   */
  readonly freeAt: number;
}

/** An entry as the store recorded it: `seq` orders the recordings. */
export interface RecordedStatusListEntry extends StatusListEntry {
  /**
   * Increases with every recording. A reader that has seen `seq` n has seen every entry recorded
   * before it (entries become visible in `seq` order); numbers may be skipped.
   */
  readonly seq: number;
}

/**
 * Where a status list issuer keeps its live entries, shared by every process on one database.
 *
 * Contract (checked by the status-list-store conformance suite for every backend: memory, SQLite,
 * PostgreSQL):
 * - `claim(entry, now)` records `entry` at (`list`, `idx`) when no entry there is held at `now` (none
 *   recorded, or the one recorded has `freeAt <= now`: it is replaced), and resolves the recorded
 *   entry with its `seq`; when the index is held it resolves `undefined` and changes nothing. Atomic:
 *   of any number of concurrent claims of one free index, from one process or several, exactly one
 *   resolves an entry. A malformed entry (an index that is not a whole number from 0, an empty
 *   string, a time that is not whole epoch milliseconds, `freeAt` before `expiresAt`) rejects with
 *   `ERR_STATUS_LIST_INVALID` and records nothing.
 * - `readAfter(seq, limit)` resolves the entries still recorded whose `seq` is greater than `seq`,
 *   ascending, at most `limit` (default 1,000) of them; `[]` when there is none. An entry replaced by
 *   a later claim or purged is not returned. Entries become visible in `seq` order: once a reader has
 *   seen `seq` n, no entry with a lower `seq` appears later. So a reader that pages from 0 and then
 *   keeps reading after the last `seq` it saw holds every entry recorded, and a replacement arrives as
 *   a later entry at the same (`list`, `idx`).
 * - `purge(now)` deletes the entries whose `freeAt <= now` and resolves how many it deleted.
 * - `lastSeq()` resolves the highest `seq` recorded (0 when none ever was).
 * - Storage failures reject with `ERR_LOG_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * const recorded = await store.claim({ list: '1', idx: 4242, iss, sub, sid, kid, jti, issuedAt, expiresAt, freeAt }, Date.now());
 * if (recorded === undefined) { ... } // another live token holds 4242: pick another index
 * ```
 */
export interface StatusListStore {
  claim(entry: StatusListEntry, now: number): Promise<RecordedStatusListEntry | undefined>;
  readAfter(seq: number, limit?: number): Promise<RecordedStatusListEntry[]>;
  purge(now: number): Promise<number>;
  lastSeq(): Promise<number>;
}

/**
 * Longest list id, in characters.
 *
 * @example
 * ```ts
 * if (id.length > MAX_STATUS_LIST_ID_LENGTH) throw new Error('list id too long');
 * ```
 */
export const MAX_STATUS_LIST_ID_LENGTH = 64;

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_STATUS_LIST_INVALID', message);
}

function wholeMs(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalid(`The status list entry's ${name} is not whole epoch milliseconds.`);
  }
  return value as number;
}

function text(value: unknown, name: string, max = 1024): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`The status list entry's ${name} is not a string of 1 to ${max} characters.`);
  }
  return value;
}

/**
 * The entry rebuilt from the fields a {@link StatusListEntry} defines (anything else is dropped), or
 * `ERR_STATUS_LIST_INVALID` saying which field is wrong. For store implementations.
 *
 * @example
 * ```ts
 * const entry = checkStatusListEntry(input); // then write `entry`, never `input`
 * ```
 */
export function checkStatusListEntry(entry: StatusListEntry): StatusListEntry {
  if (typeof entry !== 'object' || entry === null) throw invalid('The status list entry is not an object.');
  if (!/^[A-Za-z0-9_-]+$/.test(text(entry.list, 'list', MAX_STATUS_LIST_ID_LENGTH))) {
    throw invalid('The status list id holds characters other than letters, digits, "-" and "_".');
  }
  if (!Number.isSafeInteger(entry.idx) || entry.idx < 0 || entry.idx > 0xffff_ffff) {
    throw invalid("The status list entry's idx is not a whole number from 0 to 2^32 - 1.");
  }
  if (entry.sid !== null) text(entry.sid, 'sid');
  const expiresAt = wholeMs(entry.expiresAt, 'expiresAt');
  const freeAt = wholeMs(entry.freeAt, 'freeAt');
  if (freeAt < expiresAt) throw invalid("The status list entry's freeAt is before its expiresAt.");
  return {
    list: entry.list,
    idx: entry.idx,
    iss: text(entry.iss, 'iss'),
    sub: text(entry.sub, 'sub'),
    sid: entry.sid,
    kid: text(entry.kid, 'kid'),
    jti: text(entry.jti, 'jti'),
    issuedAt: wholeMs(entry.issuedAt, 'issuedAt'),
    expiresAt,
    freeAt,
  };
}

/**
 * Checks `readAfter`'s arguments: `seq` a whole number, `limit` a whole number from 0. Throws
 * `ERR_STATUS_LIST_INVALID`. For store implementations.
 *
 * @example
 * ```ts
 * const { seq, limit } = checkReadAfter(after, requested);
 * ```
 */
export function checkReadAfter(seq: number, limit: number): { seq: number; limit: number } {
  if (!Number.isSafeInteger(seq)) throw invalid('seq must be a whole number.');
  if (!Number.isSafeInteger(limit) || limit < 0) throw invalid('limit must be a whole number from 0.');
  return { seq, limit };
}

/**
 * Checks a `now` given to `claim` or `purge`: whole epoch milliseconds. For store implementations.
 *
 * @example
 * ```ts
 * const at = checkNow(now);
 * ```
 */
export function checkNow(now: number): number {
  return wholeMs(now, 'now');
}
