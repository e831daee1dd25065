import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevocableError, type RevocationEvent } from '@revocable/core';
import { describeRevocationLogContract } from '@revocable/core/testing';
import { openSqlDatabase, SqlRevocationLog } from '@revocable/sql';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startChildAppender } from './support/child-appender.js';
import { appendFromBoth } from './support/two-writers.js';

function tempFile(): { file: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-sqlite-'));
  return {
    file: join(dir, 'revocable.db'),
    remove: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (events: readonly RevocationEvent[]) => events.map((event) => event.seq);

describeRevocationLogContract(
  'SqlRevocationLog on a SQLite file',
  async ({ clock, policy, onListenerError }) => {
    const { file, remove } = tempFile();
    const open = () =>
      SqlRevocationLog.open({ url: file, clock, onListenerError, ...(policy ? { policy } : {}) });
    return { log: await open(), reopen: open, cleanup: remove };
  },
);

describe('SqlRevocationLog on SQLite', () => {
  const opened: { close(): Promise<void> }[] = [];
  const removals: (() => Promise<void>)[] = [];

  function file(): string {
    const temp = tempFile();
    removals.push(temp.remove);
    return temp.file;
  }

  async function open(url: string, options: { pollIntervalMs?: number } = {}): Promise<SqlRevocationLog> {
    const log = await SqlRevocationLog.open({ url, ...options });
    opened.push(log);
    return log;
  }

  afterEach(async () => {
    for (const log of opened.splice(0)) await log.close();
    for (const remove of removals.splice(0)) await remove();
  });

  it('runs in WAL mode with synchronous=FULL and a busy timeout', async () => {
    const database = await openSqlDatabase({ url: `sqlite:${file()}`, busyTimeoutMs: 1_234 });
    opened.push(database);
    const pragma = async (name: string) =>
      Object.values((await sql.raw(`pragma ${name}`).execute(database.kysely)).rows[0] as object)[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(2);
    expect(await pragma('busy_timeout')).toBe(1_234);
  });

  it('opens :memory: and sqlite::memory: databases', async () => {
    for (const url of [':memory:', 'sqlite::memory:']) {
      const log = await open(url);
      await log.append([
        { rule: { kind: 'issuer', iss: 'i', cutoff: Date.now() }, reason: 'admin', actor: 'system' },
      ]);
      expect(await log.lastSeq()).toBe(1);
    }
  });

  it('refuses a url it cannot use, a bad table prefix, and a schema, with ERR_CONFIG_INVALID', async () => {
    for (const options of [
      { url: 'mysql://db/revocable' },
      { url: '' },
      { url: ':memory:', tablePrefix: 'bad-prefix' },
      { url: ':memory:', schema: 'revocable' },
      {},
    ]) {
      const error = await SqlRevocationLog.open(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RevocableError);
      expect((error as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    }
  });

  it('keeps separate logs apart in one file with table prefixes', async () => {
    const database = await openSqlDatabase({ url: file() });
    const first = await SqlRevocationLog.open({ database, tablePrefix: 'one_' });
    const second = await SqlRevocationLog.open({ database, tablePrefix: 'two_' });
    opened.push(first, second, database);
    await first.append([
      { rule: { kind: 'issuer', iss: 'i', cutoff: Date.now() }, reason: 'admin', actor: 'system' },
    ]);
    expect(await first.lastSeq()).toBe(1);
    expect(await second.lastSeq()).toBe(0);
  });

  it('shares one connection per file within a process, so two logs on it cannot deadlock', async () => {
    const url = file();
    const [a, b] = await Promise.all([open(url), open(url)]);
    const batches = await appendFromBoth(a, b, 30);
    const total = batches.reduce((sum, batch) => sum + batch.size, 0);
    for (const { events, size } of batches) {
      expect(seqs(events)).toEqual(range(events[0]!.seq, events[0]!.seq + size - 1));
    }
    expect(batches.flatMap((batch) => seqs(batch.events)).sort((x, y) => x - y)).toEqual(range(1, total));
    expect(seqs(await b.readAfter(0, 1_000))).toEqual(range(1, total));
  });

  it('keeps seqs gap-free when two processes append to one file at once', async () => {
    const url = file();
    await (await open(url)).close(); // migrated once, so the children only append
    const children = [startChildAppender(url, { batches: 60 }), startChildAppender(url, { batches: 60 })];
    expect(await Promise.all(children.map((child) => child.exited))).toEqual([null, null]);
    const total = 2 * [...Array(60).keys()].reduce((sum, i) => sum + (i % 3) + 1, 0);
    expect(children.flatMap((child) => child.acknowledged).sort((x, y) => x - y)).toEqual(range(1, total));
    const log = await open(url);
    expect(seqs(await log.readAfter(0, 1_000))).toEqual(range(1, total));
  });

  it("delivers another connection's appends to a subscriber by polling", async () => {
    const url = file();
    const writer = await open(url);
    const reader = await open(url, { pollIntervalMs: 20 });
    const heard: number[] = [];
    reader.subscribe((event) => heard.push(event.seq));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the subscription has found its starting seq
    const rule = { kind: 'issuer', iss: 'i', cutoff: Date.now() } as const;
    await writer.append([{ rule, reason: 'admin', actor: 'system' }]);
    await reader.append([{ rule, reason: 'admin', actor: 'system' }]);
    await writer.append([{ rule, reason: 'admin', actor: 'system' }]);
    await vi.waitFor(() => expect(heard).toEqual([1, 2, 3]), { timeout: 5_000, interval: 10 });
  });

  it('loses no acknowledged append when the appending process is killed with SIGKILL', async () => {
    const url = file();
    const child = startChildAppender(url, {
      onAck: ({ acknowledged, process }) => {
        if (acknowledged.length >= 60) process.kill('SIGKILL');
      },
    });
    expect(await child.exited).toBe('SIGKILL');
    const acknowledged = Math.max(...child.acknowledged);
    const log = await open(url);
    const last = await log.lastSeq();
    expect(last).toBeGreaterThanOrEqual(acknowledged);
    expect(seqs(await log.readAfter(0, 10_000))).toEqual(range(1, last));
  });
});
