import { randomInt } from 'node:crypto';
import { type RevocationRule, StatusList, TOKEN_STATUS, type UnscopedRule } from '@revocable/core';
import type { RecordedStatusListEntry } from '@revocable/core/internal';

/** Random draws {@link LiveEntries.freeIndex} makes before it calls the list full. */
const FREE_INDEX_DRAWS = 64;

function addTo<K>(map: Map<K, Set<number>>, key: K, idx: number): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([idx]));
  else set.add(idx);
}

function removeFrom<K>(map: Map<K, Set<number>>, key: K, idx: number): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(idx);
  if (set.size === 0) map.delete(key);
}

/**
 * One status list as this process knows it: the live entries by index (with the indexes a rule can
 * name them by: token id, session, subject) and the list's bits. Entries come from the store in `seq`
 * order; a later entry at an index replaces the one there. An entry leaves at its `freeAt`, and its
 * bit goes back to VALID: the index may then be given to a new token.
 *
 * @example
 * ```ts
 * const entries = new LiveEntries(1 << 20, Date.now());
 * for (const entry of await store.readAfter(0)) entries.add(entry, Date.now());
 * for (const idx of entries.coveredBy(event.rule)) if (replica.check(factsOf(entries.get(idx)!))) entries.revoke(idx);
 * ```
 */
export class LiveEntries {
  readonly list: StatusList;
  readonly #byIdx = new Map<number, RecordedStatusListEntry>();
  readonly #byToken = new Map<string, number>();
  readonly #bySession = new Map<string, Set<number>>();
  readonly #bySubject = new Map<string, Set<number>>();
  /** `freeAt` in whole seconds → indexes to free then (checked against the entry held when it comes). */
  readonly #freeing = new Map<number, number[]>();
  #sweptSec: number;
  #revoked = 0;
  #version = 0;

  constructor(size: number, now: number) {
    this.list = new StatusList(size, 1);
    this.#sweptSec = Math.floor(now / 1000) - 1;
  }

  /** Live entries held. */
  get size(): number {
    return this.#byIdx.size;
  }

  /** Counts the changes of the list's bits: a list signed at one version needs no new signature. */
  get version(): number {
    return this.#version;
  }

  /** Entries whose bit is INVALID. */
  get revoked(): number {
    return this.#revoked;
  }

  get(idx: number): RecordedStatusListEntry | undefined {
    return this.#byIdx.get(idx);
  }

  /** Every live entry, for a full re-check. */
  indexes(): IterableIterator<number> {
    return this.#byIdx.keys();
  }

  /**
   * Takes an entry read from the store (or just claimed). Ignored when the index already holds this
   * entry or a later one, or when it is already free at `now`. Resolves whether it was taken; a
   * replaced entry's bit goes back to VALID.
   */
  add(entry: RecordedStatusListEntry, now: number): boolean {
    if (entry.idx >= this.list.size || entry.freeAt <= now) return false;
    const held = this.#byIdx.get(entry.idx);
    if (held !== undefined) {
      if (held.seq >= entry.seq) return false;
      this.#remove(held);
    }
    this.#byIdx.set(entry.idx, entry);
    this.#byToken.set(`${entry.iss}\n${entry.jti}`, entry.idx);
    if (entry.sid !== null) addTo(this.#bySession, `${entry.iss}\n${entry.sid}`, entry.idx);
    addTo(this.#bySubject, `${entry.iss}\n${entry.sub}`, entry.idx);
    const sec = Math.ceil(entry.freeAt / 1000);
    const due = this.#freeing.get(sec);
    if (due === undefined) this.#freeing.set(sec, [entry.idx]);
    else due.push(entry.idx);
    return true;
  }

  /** Marks an entry INVALID (a rule covers its token); resolves whether the bit changed. */
  revoke(idx: number): boolean {
    if (!this.#byIdx.has(idx) || this.list.get(idx) === TOKEN_STATUS.INVALID) return false;
    this.list.set(idx, TOKEN_STATUS.INVALID);
    this.#revoked++;
    this.#version++;
    return true;
  }

  /**
   * The indexes of the live entries `rule` may cover (by id, session, subject; every entry of its
   * issuer for `key` and `issuer` rules, and for rules written before rules named their issuer). The
   * rule's cutoff is not applied here: the caller asks the replica about each.
   */
  coveredBy(rule: RevocationRule | UnscopedRule): Iterable<number> {
    const r = rule as Partial<Record<'iss' | 'tokenId' | 'sid' | 'sub', string>> & { kind: string };
    switch (r.kind) {
      case 'token': {
        if (r.iss === undefined) return this.#everyEntry();
        const idx = this.#byToken.get(`${r.iss}\n${r.tokenId}`);
        return idx === undefined ? [] : [idx];
      }
      case 'session':
        return [...(this.#bySession.get(`${r.iss}\n${r.sid}`) ?? [])];
      case 'subject':
        return [...(this.#bySubject.get(`${r.iss}\n${r.sub}`) ?? [])];
      case 'key':
      case 'issuer':
        return this.#everyEntry();
      default:
        return []; // `allow`: never revokes
    }
  }

  /**
   * Removes the entries whose `freeAt` has come, their bits back to VALID. Resolves how many left.
   */
  sweep(now: number): number {
    const upTo = Math.floor(now / 1000);
    let freed = 0;
    for (let sec = this.#sweptSec + 1; sec <= upTo; sec++) {
      const due = this.#freeing.get(sec);
      if (due === undefined) continue;
      this.#freeing.delete(sec);
      for (const idx of due) {
        const held = this.#byIdx.get(idx);
        if (held !== undefined && held.freeAt <= now) {
          this.#remove(held);
          freed++;
        }
      }
    }
    this.#sweptSec = Math.max(this.#sweptSec, upTo);
    return freed;
  }

  /**
   * A random index no live entry holds here (uniform over the list: it reveals neither the order of
   * issue nor links two tokens of one user), or `undefined` after 64 draws found none free.
   */
  freeIndex(): number | undefined {
    for (let i = 0; i < FREE_INDEX_DRAWS; i++) {
      const idx = randomInt(0, this.list.size);
      if (!this.#byIdx.has(idx)) return idx;
    }
    return undefined;
  }

  #everyEntry(): number[] {
    return [...this.#byIdx.keys()];
  }

  #remove(entry: RecordedStatusListEntry): void {
    this.#byIdx.delete(entry.idx);
    const tokenKey = `${entry.iss}\n${entry.jti}`;
    if (this.#byToken.get(tokenKey) === entry.idx) this.#byToken.delete(tokenKey);
    if (entry.sid !== null) removeFrom(this.#bySession, `${entry.iss}\n${entry.sid}`, entry.idx);
    removeFrom(this.#bySubject, `${entry.iss}\n${entry.sub}`, entry.idx);
    if (this.list.get(entry.idx) !== TOKEN_STATUS.VALID) {
      this.list.set(entry.idx, TOKEN_STATUS.VALID);
      this.#revoked--;
      this.#version++;
    }
  }
}
