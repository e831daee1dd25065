import type { RevocationEvent } from '@revocable/core';
import { describeRevocationLogContract } from '@revocable/core/testing';
import { openSqlDatabase, SqlRevocationLog } from '@revocable/sql';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { dropSchema, freshSchemaName, POSTGRES_URL, postgresDescribe } from './support/postgres.js';
import { appendFromBoth } from './support/two-writers.js';

const describePostgres = await postgresDescribe();
const schema = freshSchemaName('log');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (events: readonly RevocationEvent[]) => events.map((event) => event.seq);
let tables = 0;

describePostgres('SqlRevocationLog on PostgreSQL', () => {
  afterAll(() => dropSchema(schema));

  describeRevocationLogContract(
    'SqlRevocationLog on PostgreSQL',
    async ({ clock, policy, onListenerError }) => {
      const tablePrefix = `contract${++tables}_`;
      const open = () =>
        SqlRevocationLog.open({
          url: POSTGRES_URL,
          schema,
          tablePrefix,
          clock,
          onListenerError,
          ...(policy ? { policy } : {}),
        });
      return { log: await open(), reopen: open };
    },
  );

  const opened: SqlRevocationLog[] = [];
  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close();
  });

  async function openTwo(pollIntervalMs = 100): Promise<[SqlRevocationLog, SqlRevocationLog]> {
    const tablePrefix = `pair${++tables}_`;
    // Two logs, two pools, migrating the same fresh tables at the same moment.
    const pair = await Promise.all(
      [0, 1].map(() => SqlRevocationLog.open({ url: POSTGRES_URL, schema, tablePrefix, pollIntervalMs })),
    );
    opened.push(...pair);
    return pair as [SqlRevocationLog, SqlRevocationLog];
  }

  it('keeps seqs gap-free and in commit order when two instances (two pools) append at once', async () => {
    const [a, b] = await openTwo();
    const batches = await appendFromBoth(a, b, 40);
    const total = batches.reduce((sum, batch) => sum + batch.size, 0);
    for (const { events, size } of batches) {
      expect(seqs(events)).toEqual(range(events[0]!.seq, events[0]!.seq + size - 1));
    }
    expect(batches.flatMap((batch) => seqs(batch.events)).sort((x, y) => x - y)).toEqual(range(1, total));
    const read = await a.readAfter(0, 1_000);
    expect(seqs(read)).toEqual(range(1, total));
    expect(read).toEqual(batches.flatMap((batch) => batch.events).sort((x, y) => x.seq - y.seq));
    expect(await b.lastSeq()).toBe(total);
  });

  it("delivers another instance's appends to a subscriber, interleaved with its own, in seq order", async () => {
    const [writer, reader] = await openTwo(20);
    const heard: number[] = [];
    reader.subscribe((event) => heard.push(event.seq));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the subscription has found its starting seq
    const rule = { kind: 'issuer', iss: 'i', cutoff: Date.now() } as const;
    await writer.append([{ rule, reason: 'admin', actor: 'system' }]);
    await reader.append([{ rule, reason: 'admin', actor: 'system' }]);
    await writer.append([
      { rule, reason: 'admin', actor: 'system' },
      { rule, reason: 'admin', actor: 'system' },
    ]);
    await reader.append([{ rule, reason: 'admin', actor: 'system' }]);
    await vi.waitFor(() => expect(heard).toEqual([1, 2, 3, 4, 5]), { timeout: 5_000, interval: 10 });
  });

  it('commits with synchronous_commit on even when the environment turns it off', async () => {
    const saved = process.env.PGOPTIONS;
    process.env.PGOPTIONS = '-c synchronous_commit=off';
    const control = new pg.Client({ connectionString: POSTGRES_URL });
    const database = await openSqlDatabase({ url: POSTGRES_URL });
    try {
      await control.connect();
      expect((await control.query('show synchronous_commit')).rows).toEqual([{ synchronous_commit: 'off' }]);
      const { rows } = await sql`show synchronous_commit`.execute(database.kysely);
      expect(rows).toEqual([{ synchronous_commit: 'on' }]);
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = saved;
      await control.end();
      await database.close();
    }
  });
});
