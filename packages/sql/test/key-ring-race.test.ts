import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, Verifier } from '@revocable/core';
import { openSqlDatabase, type SqlDatabase, SqlKeyStore } from '@revocable/sql';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, POSTGRES_URL, postgresDescribe } from './support/postgres.js';
import { openRingsFromChildren } from './support/ring-children.js';

const ROUNDS = 20;

/**
 * Two processes open a key ring on the same empty tables at the same moment, ROUNDS times. Each round
 * must end with one active signing key in the store, both rings signing with it, and each ring
 * verifying what the other signs.
 */
async function expectOneRingPerRound(database: SqlDatabase, url: string, schema?: string): Promise<void> {
  const [first, second] = await openRingsFromChildren(url, schema, { processes: 2, rounds: ROUNDS });
  expect(first).toHaveLength(ROUNDS);
  expect(second).toHaveLength(ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    const a = first![round]!;
    const b = second![round]!;
    expect({ round, signing: b.signing }).toEqual({ round, signing: a.signing });
    expect(a.verifies).toContain(b.signing);
    expect(b.verifies).toContain(a.signing);
    const store = await SqlKeyStore.open({
      database,
      tablePrefix: `r${round}_`,
      ...(schema !== undefined && { schema }),
    });
    const stored = await store.list();
    expect(stored.filter((record) => record.state === 'active').map((record) => record.kid)).toEqual([
      a.signing,
    ]);
    expect(stored.filter((record) => record.state === 'next')).toHaveLength(1);
    // Each child's token verifies against the keys the store holds.
    const ring = await KeyRing.open({ store, reloadIntervalMs: 0 });
    const verifier = new Verifier({
      keys: ring,
      issuer: 'https://issuer.test',
      audience: 'api',
      revocation: 'none',
    });
    for (const { token } of [a, b]) expect(verifier.verifySync(token).header.kid).toBe(a.signing);
    await ring.close();
    await store.close();
  }
}

describe('two processes opening a key ring on a fresh SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-ring-race-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`end with one signing key that both accept, in each of ${ROUNDS} rounds`, async () => {
    const file = join(dir, 'revocable.db');
    const database = await openSqlDatabase({ url: file });
    try {
      await expectOneRingPerRound(database, file);
    } finally {
      await database.close();
    }
  }, 90_000);
});

const describePostgres = await postgresDescribe();

describePostgres('two processes opening a key ring on a fresh PostgreSQL schema', () => {
  const schema = freshSchemaName('ringrace');
  afterAll(() => dropSchema(schema));

  it(`end with one signing key that both accept, in each of ${ROUNDS} rounds`, async () => {
    const database = await openSqlDatabase({ url: POSTGRES_URL });
    try {
      await expectOneRingPerRound(database, POSTGRES_URL, schema);
    } finally {
      await database.close();
    }
  }, 90_000);
});
