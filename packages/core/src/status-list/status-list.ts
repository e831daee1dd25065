import { RevocableError } from '../errors.js';
import {
  compressStatusBytes,
  DEFAULT_STATUS_LIST_LIMITS,
  decompressStatusBytes,
  type StatusListLimits,
} from './lst-codec.js';

/** Bits per entry a Token Status List may use (draft-ietf-oauth-status-list §4.1). */
export type StatusBits = 1 | 2 | 4 | 8;

/**
 * Every {@link StatusBits} value, for configuration parsers.
 *
 * @example
 * ```ts
 * if (!STATUS_BITS.includes(value as StatusBits)) throw new Error('bits must be 1, 2, 4 or 8');
 * ```
 */
export const STATUS_BITS: readonly StatusBits[] = Object.freeze([1, 2, 4, 8] as const);

/**
 * The status values the draft registers (§7.1): `VALID` (0), `INVALID` (1, revoked for good) and
 * `SUSPENDED` (2, needs 2 bits or more). 3 and 12 to 15 are left to applications.
 *
 * @example
 * ```ts
 * list.set(idx, TOKEN_STATUS.INVALID);
 * ```
 */
export const TOKEN_STATUS = Object.freeze({ VALID: 0, INVALID: 1, SUSPENDED: 2 } as const);

/** Largest list this class builds: 2^31 bytes would not fit a Node buffer on every platform. */
const MAX_BYTES = 2 ** 31 - 1;

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_STATUS_LIST_INVALID', message);
}

function checkBits(bits: unknown): StatusBits {
  if (!STATUS_BITS.includes(bits as StatusBits)) {
    throw invalid('The status list "bits" must be 1, 2, 4 or 8.');
  }
  return bits as StatusBits;
}

/**
 * A Token Status List (draft-ietf-oauth-status-list §4): one status of `bits` bits per index, packed
 * into bytes from the least significant bit up, so index 0 is the lowest `bits` of byte 0, index 1
 * the next ones, and so on. `encode()` gives the `lst` a Status List Token carries; `decode()` reads
 * one back, with a limit on the decompressed size.
 *
 * A list holds a whole number of bytes: `new StatusList(10, 1)` has 16 entries (the draft recommends
 * sizes divisible by 8 bits), all `VALID` (0). Every error is a `RevocableError` with
 * `ERR_STATUS_LIST_INVALID`: bits other than 1, 2, 4 or 8, an index outside the list, a status that
 * does not fit in `bits`, and any `lst` that is not canonical base64url of one complete ZLIB stream
 * within the limit.
 *
 * @example
 * ```ts
 * const list = new StatusList(1_000_000, 1);
 * list.set(4242, TOKEN_STATUS.INVALID);
 * const claim = { bits: list.bits, lst: list.encode() };
 * StatusList.decode(claim.lst, claim.bits).get(4242); // 1
 * ```
 */
export class StatusList {
  /** Bits per entry. */
  readonly bits: StatusBits;
  readonly #bytes: Uint8Array;
  /** Entries per byte: 8, 4, 2 or 1. */
  readonly #perByte: number;
  readonly #mask: number;

  /**
   * An all-`VALID` list of at least `size` entries (rounded up to whole bytes).
   *
   * @example
   * ```ts
   * new StatusList(12, 2).size; // 12: three bytes of four 2-bit entries
   * ```
   */
  constructor(size: number, bits: StatusBits = 1) {
    const checked = checkBits(bits);
    if (!Number.isSafeInteger(size) || size < 1)
      throw invalid('The status list size must be a positive whole number.');
    const length = Math.ceil((size * checked) / 8);
    if (length > MAX_BYTES) throw invalid(`The status list would be larger than ${MAX_BYTES} bytes.`);
    this.bits = checked;
    this.#bytes = new Uint8Array(length);
    this.#perByte = 8 / checked;
    this.#mask = (1 << checked) - 1;
  }

  /**
   * A list over existing bytes (copied), `bytes.length * 8 / bits` entries.
   *
   * @example
   * ```ts
   * StatusList.fromBytes(Uint8Array.of(0xb9, 0xa3), 1).get(0); // 1 (the draft's example)
   * ```
   */
  static fromBytes(bytes: Uint8Array, bits: StatusBits): StatusList {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0)
      throw invalid('The status list bytes are empty.');
    const list = new StatusList((bytes.length * 8) / checkBits(bits), bits);
    list.#bytes.set(bytes);
    return list;
  }

  /**
   * Reads the `lst` and `bits` of a `status_list` claim. `bits` is checked too, so a claim can be
   * passed as it was parsed: `StatusList.decode(claim.lst, claim.bits)`. Throws
   * `ERR_STATUS_LIST_INVALID`.
   *
   * @example
   * ```ts
   * const list = StatusList.decode('eNrbuRgAAhcBXQ', 1, { maxBytes: 1 << 20 });
   * list.get(3); // 1
   * ```
   */
  static decode(lst: unknown, bits: unknown, limits: Partial<StatusListLimits> = {}): StatusList {
    const checked = checkBits(bits);
    const maxBytes = limits.maxBytes ?? DEFAULT_STATUS_LIST_LIMITS.maxBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
      throw invalid('maxBytes must be a positive whole number.');
    const bytes = decompressStatusBytes(lst, { maxBytes });
    const list = new StatusList((bytes.length * 8) / checked, checked);
    list.#bytes.set(bytes);
    return list;
  }

  /** How many entries the list holds (its bytes × 8 / `bits`). */
  get size(): number {
    return this.#bytes.length * this.#perByte;
  }

  /** The uncompressed size in bytes. */
  get byteLength(): number {
    return this.#bytes.length;
  }

  /**
   * The status at `index`. Throws `ERR_STATUS_LIST_INVALID` for an index outside the list (the draft:
   * no statement can be made, the token must be rejected).
   *
   * @example
   * ```ts
   * if (list.get(idx) !== TOKEN_STATUS.VALID) throw new Error('revoked or suspended');
   * ```
   */
  get(index: number): number {
    this.#checkIndex(index);
    const byte = this.#bytes[Math.floor(index / this.#perByte)]!;
    return (byte >> this.#shiftOf(index)) & this.#mask;
  }

  /**
   * Sets the status at `index` to `status` (0 to 2^bits − 1). Throws `ERR_STATUS_LIST_INVALID` for an
   * index outside the list or a status that does not fit.
   *
   * @example
   * ```ts
   * list.set(17, TOKEN_STATUS.SUSPENDED); // needs bits >= 2
   * ```
   */
  set(index: number, status: number): void {
    this.#checkIndex(index);
    if (!Number.isInteger(status) || status < 0 || status > this.#mask) {
      throw invalid(`A status in a ${this.bits}-bit list must be a whole number from 0 to ${this.#mask}.`);
    }
    const at = Math.floor(index / this.#perByte);
    const shift = this.#shiftOf(index);
    this.#bytes[at] = (this.#bytes[at]! & ~(this.#mask << shift)) | (status << shift);
  }

  /**
   * The `lst`: the bytes compressed with DEFLATE in the ZLIB format (highest level), base64url.
   *
   * @example
   * ```ts
   * const statusList = { bits: list.bits, lst: list.encode() }; // the status_list claim
   * ```
   */
  encode(): string {
    return compressStatusBytes(this.#bytes);
  }

  /**
   * A copy of the uncompressed bytes.
   *
   * @example
   * ```ts
   * list.toBytes()[0]; // entries 0..7 of a 1-bit list, entry 0 in the lowest bit
   * ```
   */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  #checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw invalid(`The index is outside the status list (0 to ${this.size - 1}).`);
    }
  }

  #shiftOf(index: number): number {
    return (index % this.#perByte) * this.bits;
  }
}
