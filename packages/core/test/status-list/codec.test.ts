import { deflateRawSync, deflateSync } from 'node:zlib';
import { isRevocableError, STATUS_BITS, type StatusBits, StatusList, TOKEN_STATUS } from '@revocable/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DRAFT_VECTOR_SIZE, DRAFT_VECTORS } from './draft-vectors.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'returned';
  } catch (err) {
    return isRevocableError(err) ? err.code : `not a RevocableError: ${String(err)}`;
  }
}

const zlib = (bytes: Uint8Array | Buffer): string => deflateSync(bytes).toString('base64url');

describe('bit order (draft §4.1): index 0 in the least significant bits of byte 0', () => {
  it('1 bit: the draft example of 16 entries is bytes B9 A3 and its exact compressed form', () => {
    const statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
    const list = new StatusList(16, 1);
    for (const [index, status] of statuses.entries()) list.set(index, status);
    expect([...list.toBytes()]).toEqual([0xb9, 0xa3]);
    expect(Buffer.from(list.encode(), 'base64url').toString('hex')).toBe('78dadbb918000217015d');
    expect(list.encode()).toBe('eNrbuRgAAhcBXQ');
    const decoded = StatusList.decode('eNrbuRgAAhcBXQ', 1);
    expect(statuses.map((_, i) => decoded.get(i))).toEqual(statuses);
  });

  it('2 bits: the draft example of 12 entries is bytes C9 44 F9 and its exact compressed form', () => {
    const statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3];
    const list = new StatusList(12, 2);
    for (const [index, status] of statuses.entries()) list.set(index, status);
    expect([...list.toBytes()]).toEqual([0xc9, 0x44, 0xf9]);
    expect(list.encode()).toBe('eNo76fITAAPfAgc');
    const decoded = StatusList.decode('eNo76fITAAPfAgc', 2);
    expect(statuses.map((_, i) => decoded.get(i))).toEqual(statuses);
  });

  it('4 and 8 bits: index 0 is the low nibble, index 1 the high one; 8 bits is one byte per entry', () => {
    const four = new StatusList(2, 4);
    four.set(0, 0x1);
    four.set(1, 0xf);
    expect([...four.toBytes()]).toEqual([0xf1]);
    const eight = new StatusList(2, 8);
    eight.set(1, 0xab);
    expect([...eight.toBytes()]).toEqual([0x00, 0xab]);
  });

  it('setting one entry leaves its neighbours in the same byte alone', () => {
    const list = new StatusList(8, 2);
    for (let i = 0; i < 8; i++) list.set(i, 3);
    list.set(5, 1);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => list.get(i))).toEqual([3, 3, 3, 3, 3, 1, 3, 3]);
  });
});

describe("the draft's test vectors (appendix: 2^20 entries, the listed ones set)", () => {
  for (const vector of DRAFT_VECTORS) {
    it(`${vector.bits} bit${vector.bits > 1 ? 's' : ''}: every listed index reads its value, every other one 0`, () => {
      const list = StatusList.decode(vector.lst, vector.bits);
      expect(list.size).toBe(DRAFT_VECTOR_SIZE);
      const expected = new Map(vector.entries);
      for (const [index, status] of vector.entries) expect(list.get(index)).toBe(status);
      let others = 0;
      for (let i = 0; i < list.size; i++) if (!expected.has(i) && list.get(i) !== 0) others++;
      expect(others).toBe(0);
    });

    it(`${vector.bits} bit${vector.bits > 1 ? 's' : ''}: the same entries set on an empty list give the same bytes`, () => {
      const ours = new StatusList(DRAFT_VECTOR_SIZE, vector.bits);
      for (const [index, status] of vector.entries) ours.set(index, status);
      expect(
        Buffer.from(ours.toBytes()).equals(Buffer.from(StatusList.decode(vector.lst, vector.bits).toBytes())),
      ).toBe(true);
    });
  }
});

describe('round trips (property)', () => {
  const bits = fc.constantFrom(...STATUS_BITS);
  it('decode(encode(list)) reads every status that was set, for every bits and size', () => {
    fc.assert(
      fc.property(
        bits,
        fc.integer({ min: 1, max: 5000 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 200 }),
        (b: StatusBits, size, writes) => {
          const list = new StatusList(size, b);
          const expected = new Map<number, number>();
          for (const [rawIndex, rawStatus] of writes) {
            const index = rawIndex % list.size;
            const status = rawStatus % 2 ** b;
            list.set(index, status);
            expected.set(index, status);
          }
          const decoded = StatusList.decode(list.encode(), b);
          expect(decoded.size).toBe(list.size);
          expect(Buffer.from(decoded.toBytes()).equals(Buffer.from(list.toBytes()))).toBe(true);
          for (let i = 0; i < list.size; i++) expect(decoded.get(i)).toBe(expected.get(i) ?? 0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fromBytes(bytes).toBytes() is the same bytes, and size is bytes × 8 / bits', () => {
    fc.assert(
      fc.property(bits, fc.uint8Array({ minLength: 1, maxLength: 300 }), (b: StatusBits, bytes) => {
        const list = StatusList.fromBytes(bytes, b);
        expect(list.size).toBe((bytes.length * 8) / b);
        expect([...list.toBytes()]).toEqual([...bytes]);
      }),
    );
  });
});

describe('sizes', () => {
  it('rounds a size up to whole bytes, all entries VALID', () => {
    expect(new StatusList(10, 1).size).toBe(16);
    expect(new StatusList(12, 2).size).toBe(12);
    expect(new StatusList(3, 8).size).toBe(3);
    expect(new StatusList(10, 1).get(15)).toBe(TOKEN_STATUS.VALID);
  });

  it('refuses a size that is not a positive whole number, and bits other than 1, 2, 4, 8', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => new StatusList(size, 1))).toBe('ERR_STATUS_LIST_INVALID');
    }
    for (const bits of [0, 3, 16, '1', undefined]) {
      expect(codeOf(() => new StatusList(8, bits as StatusBits))).toBe(
        bits === undefined ? 'returned' : 'ERR_STATUS_LIST_INVALID',
      );
    }
  });
});

describe('get and set refuse what does not fit', () => {
  const list = new StatusList(16, 2);
  it('an index outside the list (the draft: no statement can be made)', () => {
    expect(codeOf(() => list.get(15))).toBe('returned');
    for (const index of [16, -1, 1.5, Number.NaN, 2 ** 53]) {
      expect(codeOf(() => list.get(index))).toBe('ERR_STATUS_LIST_INVALID');
      expect(codeOf(() => list.set(index, 0))).toBe('ERR_STATUS_LIST_INVALID');
    }
  });

  it('a status that does not fit in bits', () => {
    expect(codeOf(() => list.set(0, 3))).toBe('returned');
    for (const status of [4, -1, 1.5, 256])
      expect(codeOf(() => list.set(0, status))).toBe('ERR_STATUS_LIST_INVALID');
    expect(codeOf(() => new StatusList(8, 1).set(0, TOKEN_STATUS.SUSPENDED))).toBe('ERR_STATUS_LIST_INVALID');
  });
});

describe('decode refuses bad input with ERR_STATUS_LIST_INVALID', () => {
  const good = 'eNrbuRgAAhcBXQ';
  it('control: the good lst decodes', () => {
    expect(codeOf(() => StatusList.decode(good, 1))).toBe('returned');
  });

  it('bits that are not 1, 2, 4 or 8 (also as a string)', () => {
    for (const bits of [0, 3, 5, 16, '1', null, undefined, 1.5]) {
      expect(codeOf(() => StatusList.decode(good, bits))).toBe('ERR_STATUS_LIST_INVALID');
    }
  });

  it('an lst that is not canonical unpadded base64url', () => {
    for (const lst of [
      `${good}==`,
      'eNrbuRgAAhc/XQ',
      'eNrb+RgAAhcBXQ',
      ` ${good}`,
      `${good}\n`,
      'eNrbuRgAAhcBXR',
      '',
      42,
      null,
    ]) {
      expect(codeOf(() => StatusList.decode(lst, 1))).toBe('ERR_STATUS_LIST_INVALID');
    }
  });

  it('bytes that are not one complete ZLIB stream: raw DEFLATE, truncated, trailing bytes, garbage', () => {
    const bytes = Uint8Array.of(0xb9, 0xa3);
    expect(codeOf(() => StatusList.decode(deflateRawSync(bytes).toString('base64url'), 1))).toBe(
      'ERR_STATUS_LIST_INVALID',
    );
    const full = deflateSync(bytes);
    expect(codeOf(() => StatusList.decode(full.subarray(0, full.length - 2).toString('base64url'), 1))).toBe(
      'ERR_STATUS_LIST_INVALID',
    );
    expect(
      codeOf(() => StatusList.decode(Buffer.concat([full, Buffer.of(0)]).toString('base64url'), 1)),
    ).toBe('ERR_STATUS_LIST_INVALID');
    expect(codeOf(() => StatusList.decode('AAAAAAAA', 1))).toBe('ERR_STATUS_LIST_INVALID');
  });

  it('an empty list', () => {
    expect(codeOf(() => StatusList.decode(zlib(new Uint8Array(0)), 1))).toBe('ERR_STATUS_LIST_INVALID');
  });

  it('a zlib bomb: 64 MiB of zeros in about 64 KB is refused at the 8 MiB default, saying so', () => {
    const bomb = zlib(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    let error: unknown;
    try {
      StatusList.decode(bomb, 1);
    } catch (err) {
      error = err;
    }
    expect(isRevocableError(error, 'ERR_STATUS_LIST_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/more than 8388608 bytes/);
  });

  it('the limit is exact: maxBytes bytes decode, one more is refused', () => {
    const lst = zlib(Buffer.alloc(4096));
    expect(StatusList.decode(lst, 1, { maxBytes: 4096 }).size).toBe(4096 * 8);
    expect(codeOf(() => StatusList.decode(lst, 1, { maxBytes: 4095 }))).toBe('ERR_STATUS_LIST_INVALID');
  });
});
