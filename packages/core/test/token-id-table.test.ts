import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RevocableError } from '../src/errors.js';
import { inspectTokenIdTable, TokenIdTable } from '../src/revocation/token-id-table.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0); // second-aligned
const MINUTE = 60_000;

function randomIds(count: number): string[] {
  const bytes = randomBytes(16 * count);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(bytes.toString('base64url', i * 16, i * 16 + 16));
  return ids;
}

/** Calls purgeStep until the cursor has been round the table once; returns what it removed. */
function fullPass(table: TokenIdTable, nowMs: number, budget: number): number {
  const { capacity } = inspectTokenIdTable(table);
  let removed = 0;
  for (let seen = 0; seen < capacity; seen += budget) removed += table.purgeStep(nowMs, budget);
  return removed;
}

describe('TokenIdTable add and has', () => {
  it('reports an added id as present and any other id as absent', () => {
    const table = new TokenIdTable();
    table.add('jti-1', T0 + MINUTE);
    expect(table.has('jti-1', T0)).toBe(true);
    expect(table.has('jti-2', T0)).toBe(false);
    expect(table.has('', T0)).toBe(false);
    expect(table.size).toBe(1);
  });

  it('keeps the later expiry when the same id is added twice, in either order', () => {
    const table = new TokenIdTable();
    table.add('a', T0 + 2 * MINUTE);
    table.add('a', T0 + MINUTE);
    table.add('b', T0 + MINUTE);
    table.add('b', T0 + 2 * MINUTE);
    expect(table.size).toBe(2);
    expect(table.has('a', T0 + MINUTE + 1000)).toBe(true);
    expect(table.has('b', T0 + MINUTE + 1000)).toBe(true);
    expect(table.has('a', T0 + 2 * MINUTE)).toBe(false);
  });

  it('treats an entry as expired from its expiry millisecond on (nowMs == expiry is expired)', () => {
    const table = new TokenIdTable();
    table.add('jti', T0);
    expect(table.has('jti', T0 - 1)).toBe(true);
    expect(table.has('jti', T0)).toBe(false);
    expect(table.has('jti', T0 + 1)).toBe(false);
  });

  it('rounds an expiry between seconds up, so an entry is never forgotten early', () => {
    const table = new TokenIdTable();
    table.add('jti', T0 + 1);
    expect(table.has('jti', T0)).toBe(true);
    expect(table.has('jti', T0 + 999)).toBe(true);
    expect(table.has('jti', T0 + 1000)).toBe(false);
  });

  it('keeps an expiry past 2106 without wrapping it into the past', () => {
    const table = new TokenIdTable();
    table.add('far', Number.POSITIVE_INFINITY);
    table.add('past', -5);
    expect(table.has('far', T0)).toBe(true);
    expect(table.has('past', 0)).toBe(false);
  });

  it('answers present when the clock is not a number (fails closed)', () => {
    const table = new TokenIdTable();
    table.add('jti', T0);
    expect(table.has('jti', Number.NaN)).toBe(true);
    expect(table.purgeStep(Number.NaN, 1e9)).toBe(0);
  });

  it('rejects an expiry that is not a number with ERR_REVOCATION_INVALID', () => {
    const table = new TokenIdTable();
    expect(() => table.add('jti', Number.NaN)).toThrowError(
      expect.objectContaining({ code: 'ERR_REVOCATION_INVALID' }),
    );
    expect(table.size).toBe(0);
  });

  it('rejects a bad initialCapacity or seed with ERR_CONFIG_INVALID', () => {
    for (const options of [
      { initialCapacity: -1 },
      { initialCapacity: 1.5 },
      { initialCapacity: 2 ** 40 },
      { seed: 0.5 },
    ]) {
      const err = (() => {
        try {
          new TokenIdTable(options);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(RevocableError);
      expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    }
  });

  it('tells apart non-ASCII, surrogate, empty and long ids that differ in one code unit', () => {
    const long = 'x'.repeat(511);
    const ids = [
      '',
      'a',
      'a\u0000',
      '\u0000a',
      'é',
      'e\u0301',
      '日本語のトークン',
      '🔑🔑',
      '\ud83d', // a lone high surrogate
      '\udd11',
      'Ā', // \u0100: differs from 'A' only in the high byte of the code unit
      'A',
      `${long}a`,
      `${long}b`,
      `a${long}`,
      'y'.repeat(4096),
      'y'.repeat(4097),
    ];
    const table = new TokenIdTable();
    for (const [i, id] of ids.entries()) if (i % 2 === 0) table.add(id, T0 + MINUTE);
    for (const [i, id] of ids.entries()) expect(table.has(id, T0), JSON.stringify(id)).toBe(i % 2 === 0);
  });

  it('gives the same answers with any seed', () => {
    const ids = randomIds(2000);
    for (const seed of [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -7]) {
      const table = new TokenIdTable({ seed, initialCapacity: 0 });
      for (const id of ids.slice(0, 1000)) table.add(id, T0 + MINUTE);
      expect(ids.filter((id) => table.has(id, T0))).toEqual(ids.slice(0, 1000));
    }
  });
});

describe('TokenIdTable scopes (the issuer of an id)', () => {
  const A = 'https://a.example';
  const B = 'https://b.example';

  it('control: an id added in a scope is present in that scope', () => {
    const table = new TokenIdTable();
    table.add('jti-1', T0 + MINUTE, A);
    expect(table.has('jti-1', T0, A)).toBe(true);
  });

  it('keeps one id apart in two scopes and apart from the unscoped id', () => {
    const table = new TokenIdTable();
    table.add('jti-1', T0 + MINUTE, A);
    expect(table.has('jti-1', T0, B)).toBe(false);
    expect(table.has('jti-1', T0)).toBe(false);
    table.add('jti-2', T0 + MINUTE);
    expect(table.has('jti-2', T0, A)).toBe(false);
    expect(table.has('jti-2', T0, '')).toBe(true);
    table.add('jti-1', T0 + 2 * MINUTE, B);
    expect(table.size).toBe(3);
    expect(table.has('jti-1', T0 + MINUTE, A)).toBe(false);
    expect(table.has('jti-1', T0 + MINUTE, B)).toBe(true);
  });

  it('tells apart scope and id pairs whose concatenations are equal', () => {
    const table = new TokenIdTable();
    table.add('c', T0 + MINUTE, 'ab');
    table.add('xyz', T0 + MINUTE, 'w');
    expect(table.has('bc', T0, 'a')).toBe(false);
    expect(table.has('abc', T0)).toBe(false);
    expect(table.has('yz', T0, 'wx')).toBe(false);
    expect(table.has('c', T0, 'ab')).toBe(true);
    expect(table.has('xyz', T0, 'w')).toBe(true);
  });

  it('answers right when calls alternate between scopes, through a growth', () => {
    const table = new TokenIdTable({ initialCapacity: 0 });
    const ids = randomIds(3000);
    ids.forEach((id, i) => {
      table.add(id, T0 + MINUTE, i % 3 === 0 ? A : i % 3 === 1 ? B : '');
    });
    const scopes = [A, B, ''];
    for (const [i, id] of ids.entries()) {
      for (const [s, scope] of scopes.entries()) expect(table.has(id, T0, scope)).toBe(i % 3 === s);
    }
  });

  it('answers like a Map keyed by (scope, id) through random adds in random scopes', () => {
    const scopes = ['', 'a', 'ab', 'b', A, B];
    const idPool = ['', 'a', 'b', 'ab', 'bc', 'c', 'jti-1'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(scopes.length - 1), fc.nat(idPool.length - 1)), { maxLength: 40 }),
        fc.integer(),
        (adds, seed) => {
          const table = new TokenIdTable({ seed });
          const reference = new Set<string>();
          for (const [s, i] of adds) {
            table.add(idPool[i]!, T0 + MINUTE, scopes[s]!);
            reference.add(JSON.stringify([scopes[s], idPool[i]]));
          }
          for (const scope of scopes) {
            for (const id of idPool) {
              expect(table.has(id, T0, scope)).toBe(reference.has(JSON.stringify([scope, id])));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('TokenIdTable growth and memory', () => {
  it('keeps every entry through growth, and reports random absent ids absent', () => {
    const ids = randomIds(200_000);
    const absent = randomIds(200_000);
    const table = new TokenIdTable({ initialCapacity: 0 });
    ids.forEach((id, i) => {
      table.add(id, T0 + (i % 600) * 1000);
    });
    expect(table.size).toBe(200_000);
    expect(inspectTokenIdTable(table).capacity).toBe(2 ** 19);
    expect(ids.every((id, i) => table.has(id, T0 + (i % 600) * 1000 - 1))).toBe(true);
    expect(absent.some((id) => table.has(id, T0))).toBe(false);
  });

  it('holds between 16 and 32 bytes per entry once past its smallest size, at most 48 during a growth', () => {
    const table = new TokenIdTable({ initialCapacity: 0 });
    const ids = randomIds(100_000);
    let growing = 0;
    for (const [i, id] of ids.entries()) {
      table.add(id, T0);
      const n = i + 1;
      const most = inspectTokenIdTable(table).migrating ? 48 : 32;
      if (most === 48) growing++;
      if (n >= 6 && (table.byteLength > most * n || table.byteLength < 16 * n)) {
        expect.fail(`${table.byteLength} bytes for ${n} entries`);
      }
    }
    expect(growing).toBeGreaterThan(1000);
  });

  it('holds 1M entries in at most 32 bytes each', () => {
    const table = new TokenIdTable();
    const ids = randomIds(1_000_000);
    for (const id of ids) table.add(id, T0);
    expect(table.size).toBe(1_000_000);
    expect(table.byteLength / table.size).toBeLessThanOrEqual(32);
    expect(table.byteLength).toBe(2 ** 21 * 12);
  });

  it('sizes itself from initialCapacity so that many adds do not grow it', () => {
    const table = new TokenIdTable({ initialCapacity: 50_000 });
    const before = table.byteLength;
    for (const id of randomIds(50_000)) table.add(id, T0);
    expect(table.byteLength).toBe(before);
    table.add('one more than asked for', T0);
    expect(table.byteLength).toBe(before); // 50k needs 2^17 slots at 75% load, so there is room left
  });

  it('clears everything and gives back the memory of growth', () => {
    const table = new TokenIdTable();
    const initial = table.byteLength;
    const ids = randomIds(10_000);
    for (const id of ids) table.add(id, T0 + MINUTE);
    expect(table.byteLength).toBeGreaterThan(initial);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.byteLength).toBe(initial);
    expect(ids.some((id) => table.has(id, T0))).toBe(false);
    table.add(ids[0]!, T0 + MINUTE);
    expect(table.has(ids[0]!, T0)).toBe(true);
  });
});

describe('TokenIdTable incremental growth', () => {
  /** A table of 1024 slots filled to its growth threshold (768 entries), and the ids in it. */
  function fullTable(expiry: (i: number) => number = () => T0 + MINUTE): {
    table: TokenIdTable;
    ids: string[];
  } {
    const table = new TokenIdTable({ initialCapacity: 700, seed: 42 });
    const ids = randomIds(768);
    ids.forEach((id, i) => {
      table.add(id, expiry(i));
    });
    expect(inspectTokenIdTable(table)).toMatchObject({ capacity: 1024, migrating: false });
    return { table, ids };
  }

  it('moves at most 16 entries in any one add, even at the add that starts a growth', () => {
    const table = new TokenIdTable({ initialCapacity: 0 });
    let most = 0;
    let growths = 0;
    for (const id of randomIds(200_000)) {
      const before = inspectTokenIdTable(table);
      table.add(id, T0 + MINUTE);
      const after = inspectTokenIdTable(table);
      most = Math.max(most, after.moves - before.moves);
      if (after.capacity > before.capacity) growths++;
    }
    expect(growths).toBeGreaterThanOrEqual(14);
    expect(table.size).toBe(200_000);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(16);
  });

  it('finds every entry and no absent id after each add of a growth, until it completes', () => {
    const { table, ids } = fullTable();
    const absent = randomIds(500);
    const more = randomIds(300);
    let steps = 0;
    for (const id of more) {
      table.add(id, T0 + MINUTE);
      ids.push(id);
      const { migrating } = inspectTokenIdTable(table);
      if (migrating) steps++;
      expect(ids.every((known) => table.has(known, T0))).toBe(true);
      expect(absent.some((unknown) => table.has(unknown, T0))).toBe(false);
      expect(table.size).toBe(ids.length);
      if (!migrating && steps > 0) break;
    }
    expect(steps).toBeGreaterThan(10); // the growth took many adds, each checked
    expect(inspectTokenIdTable(table)).toMatchObject({ capacity: 2048, migrating: false });
    expect(ids.every((known) => table.has(known, T0))).toBe(true);
  });

  it('keeps the later expiry of an id added again while the growth has not moved it yet', () => {
    const { table, ids } = fullTable();
    table.add('starts the growth', T0 + MINUTE);
    expect(inspectTokenIdTable(table).migrating).toBe(true);
    for (const id of ids) table.add(id, T0 + 5 * MINUTE);
    table.add('earlier', T0 + 5 * MINUTE);
    table.add('earlier', T0 + MINUTE);
    expect(table.size).toBe(ids.length + 2);
    expect(ids.every((id) => table.has(id, T0 + 2 * MINUTE))).toBe(true);
    expect(table.has('earlier', T0 + 2 * MINUTE)).toBe(true);
    expect(table.has('starts the growth', T0 + 2 * MINUTE)).toBe(false);
  });

  it('purge steps advance a growth, drop what expired on the way, and keep every live entry', () => {
    const { table, ids } = fullTable((i) => (i % 2 ? T0 + 10 * MINUTE : T0 + MINUTE));
    table.add('starts the growth', T0 + 10 * MINUTE);
    expect(inspectTokenIdTable(table).migrating).toBe(true);
    let removed = 0;
    while (inspectTokenIdTable(table).migrating) {
      removed += table.purgeStep(T0 + MINUTE, 32);
      expect(ids.every((id, i) => table.has(id, T0 + MINUTE) === (i % 2 === 1))).toBe(true);
    }
    removed += fullPass(table, T0 + MINUTE, 256);
    expect(removed).toBe(384);
    expect(table.size).toBe(385);
    expect(table.byteLength).toBe(2048 * 12);
  });

  it('clears a table in the middle of a growth', () => {
    const { table, ids } = fullTable();
    table.add('starts the growth', T0 + MINUTE);
    table.clear();
    expect(table.size).toBe(0);
    expect(inspectTokenIdTable(table).migrating).toBe(false);
    expect(ids.some((id) => table.has(id, T0))).toBe(false);
    table.add(ids[0]!, T0 + MINUTE);
    expect(table.has(ids[0]!, T0)).toBe(true);
  });
});

describe('TokenIdTable purgeStep', () => {
  it('removes only expired entries', () => {
    const ids = randomIds(1000);
    const table = new TokenIdTable();
    ids.forEach((id, i) => {
      table.add(id, i % 2 ? T0 + MINUTE : T0);
    });
    expect(table.purgeStep(T0, Number.POSITIVE_INFINITY)).toBe(500);
    expect(table.size).toBe(500);
    ids.forEach((id, i) => {
      expect(table.has(id, T0)).toBe(i % 2 === 1);
    });
    expect(table.purgeStep(T0 + MINUTE - 1, Number.POSITIVE_INFINITY)).toBe(0);
    expect(table.purgeStep(T0 + MINUTE, Number.POSITIVE_INFINITY)).toBe(500);
    expect(table.size).toBe(0);
  });

  it('examines at most its budget of slots per call, so a pass takes capacity / budget calls', () => {
    const table = new TokenIdTable({ initialCapacity: 3000 }); // 4096 slots
    for (const id of randomIds(3000)) table.add(id, T0);
    const { capacity } = inspectTokenIdTable(table);
    expect(capacity).toBe(4096);
    let removed = 0;
    for (let call = 1; call <= capacity / 64; call++) {
      const cursor = inspectTokenIdTable(table).cursor;
      const n = table.purgeStep(T0, 64);
      expect(n).toBeLessThanOrEqual(64);
      expect(inspectTokenIdTable(table).cursor).toBe((cursor - 64 + capacity) % capacity);
      removed += n;
      expect(table.size).toBe(3000 - removed);
    }
    expect(removed).toBe(3000);
  });

  it('examines nothing with a budget of zero, a negative one or NaN', () => {
    const table = new TokenIdTable();
    for (const id of randomIds(100)) table.add(id, T0);
    const cursor = inspectTokenIdTable(table).cursor;
    for (const budget of [0, -10, Number.NaN, 0.5]) expect(table.purgeStep(T0, budget)).toBe(0);
    expect(inspectTokenIdTable(table).cursor).toBe(cursor);
    expect(table.size).toBe(100);
  });

  it('wraps its cursor and, on the next pass, removes entries that expired since', () => {
    const early = randomIds(400);
    const late = randomIds(400);
    const table = new TokenIdTable({ initialCapacity: 1000 });
    for (const id of early) table.add(id, T0);
    for (const id of late) table.add(id, T0 + MINUTE);
    const start = inspectTokenIdTable(table).cursor;
    expect(fullPass(table, T0, 128)).toBe(400); // 16 calls round 2048 slots, through slot 0
    expect(inspectTokenIdTable(table).cursor).toBe(start);
    expect(fullPass(table, T0 + MINUTE, 128)).toBe(400);
    expect(table.size).toBe(0);
  });

  it('reuses the tombstones purge leaves behind instead of taking fresh slots', () => {
    const table = new TokenIdTable({ initialCapacity: 700 }); // 1024 slots, rebuilds past 768
    randomIds(700).forEach((id, i) => {
      table.add(id, i % 2 ? T0 + MINUTE : T0); // an expired entry before a live one leaves a tombstone
    });
    expect(fullPass(table, T0, 1024)).toBe(350);
    const { tombstones } = inspectTokenIdTable(table);
    expect(tombstones).toBeGreaterThan(20);
    for (const id of randomIds(100)) table.add(id, T0 + MINUTE);
    expect(inspectTokenIdTable(table).tombstones).toBeLessThan(tombstones);
    expect(inspectTokenIdTable(table).capacity).toBe(1024);
    expect(table.size).toBe(450);
  });

  it('frees whole expired probe runs to empty slots rather than tombstones', () => {
    const table = new TokenIdTable({ initialCapacity: 700 });
    for (const id of randomIds(700)) table.add(id, T0);
    expect(fullPass(table, T0, 128)).toBe(700);
    expect(inspectTokenIdTable(table).tombstones).toBeLessThan(70);
    fullPass(table, T0, 128);
    fullPass(table, T0, 128);
    expect(inspectTokenIdTable(table).tombstones).toBe(0);
  });

  it('rebuilds at the same size, without tombstones, when churn rather than growth fills it', () => {
    const table = new TokenIdTable({ initialCapacity: 700 }); // 1024 slots
    const lasting = randomIds(300);
    for (const id of lasting) table.add(id, T0 + 60 * MINUTE);
    let now = T0;
    let most = 0;
    let rebuilt = false;
    for (let round = 0; round < 200 && !rebuilt; round++) {
      const churn = randomIds(100);
      for (const id of churn) table.add(id, now + 1000);
      const { tombstones, capacity } = inspectTokenIdTable(table);
      rebuilt = tombstones === 0 && most > 0;
      most = Math.max(most, tombstones);
      expect(capacity).toBe(1024);
      expect(churn.every((id) => table.has(id, now))).toBe(true);
      now += 1000;
      fullPass(table, now, 1024);
    }
    expect(most).toBeGreaterThan(700 - 300 - 100);
    expect(rebuilt).toBe(true);
    expect(lasting.every((id) => table.has(id, now))).toBe(true);
  });
});

describe('TokenIdTable against a reference Map', () => {
  type Op =
    | { readonly kind: 'add'; readonly id: number; readonly ttlMs: number }
    | { readonly kind: 'tick'; readonly ms: number }
    | { readonly kind: 'purge'; readonly budget: number }
    | { readonly kind: 'clear' };

  const pool = [...randomIds(48), '', 'é', '🔑', '\ud800', 'z'.repeat(512)];
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('add'),
        id: fc.nat(pool.length - 1),
        ttlMs: fc.integer({ min: -5000, max: 20_000 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick'), ms: fc.integer({ min: 0, max: 3000 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('purge'),
        budget: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(1e9)),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );

  it('answers like a Map of id to rounded-up expiry through random adds, purges and a moving clock', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 150 }),
        fc.integer(),
        fc.integer({ min: 0, max: 999 }),
        (ops, seed, offset) => {
          const table = new TokenIdTable({ seed, initialCapacity: 0 });
          const reference = new Map<string, number>();
          let now = T0 + offset;
          for (const step of ops) {
            if (step.kind === 'add') {
              const id = pool[step.id]!;
              const expiry = Math.max(0, Math.ceil((now + step.ttlMs) / 1000) * 1000);
              table.add(id, now + step.ttlMs);
              reference.set(id, Math.max(reference.get(id) ?? 0, expiry));
            } else if (step.kind === 'tick') {
              now += step.ms;
            } else if (step.kind === 'clear') {
              table.clear();
              reference.clear();
            } else {
              table.purgeStep(now, step.budget);
              if (step.budget >= 1e9) {
                for (const [id, expiry] of reference) if (expiry <= now) reference.delete(id);
                expect(table.size).toBe(reference.size);
              }
            }
            const unexpired = [...reference.values()].filter((expiry) => expiry > now).length;
            expect(table.size).toBeGreaterThanOrEqual(unexpired);
            expect(table.size).toBeLessThanOrEqual(reference.size);
            for (const id of pool) expect(table.has(id, now)).toBe((reference.get(id) ?? 0) > now);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers like a Map through bursts of adds that grow and shrink it, with purges during growths', () => {
    const big = randomIds(2000);
    type BurstOp =
      | { readonly kind: 'burst'; readonly from: number; readonly count: number; readonly ttlMs: number }
      | { readonly kind: 'tick'; readonly ms: number }
      | { readonly kind: 'purge'; readonly budget: number };
    const burstOp: fc.Arbitrary<BurstOp> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('burst' as const),
          from: fc.nat(big.length - 1),
          count: fc.integer({ min: 1, max: 400 }),
          ttlMs: fc.integer({ min: -2000, max: 30_000 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('purge' as const),
          budget: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(1e9)),
        }),
      },
    );
    fc.assert(
      fc.property(fc.array(burstOp, { maxLength: 40 }), fc.integer(), (ops, seed) => {
        const table = new TokenIdTable({ seed, initialCapacity: 0 });
        const reference = new Map<string, number>();
        let now = T0;
        for (const step of ops) {
          if (step.kind === 'burst') {
            for (let k = 0; k < step.count; k++) {
              const id = big[(step.from + k) % big.length]!;
              const expiry = Math.max(0, Math.ceil((now + step.ttlMs) / 1000) * 1000);
              table.add(id, now + step.ttlMs);
              reference.set(id, Math.max(reference.get(id) ?? 0, expiry));
            }
          } else if (step.kind === 'tick') {
            now += step.ms;
          } else {
            table.purgeStep(now, step.budget);
            if (step.budget >= 1e9) {
              for (const [id, expiry] of reference) if (expiry <= now) reference.delete(id);
              expect(table.size).toBe(reference.size);
            }
          }
          expect(table.size).toBeLessThanOrEqual(reference.size);
          for (const id of big) {
            if (table.has(id, now) !== (reference.get(id) ?? 0) > now) expect.fail(`wrong answer for ${id}`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
