// SQLite busy waits (packages/sql/src/database.ts): better-sqlite3 waits for another connection's lock
// synchronously, so a long busy timeout froze the whole process (every request, every timer) for up to
// 5 s. Now each synchronous wait is short and a statement retries asynchronously until its timeout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RevocationRequest } from '@revocable/core';
import { openSqlDatabase, SqlRevocationLog, SqlUserStore } from '@revocable/sql';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-busy-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'revocable.db');
}

/** Another connection (as another process would) holding the write lock until `release()`. */
function holdWriteLock(file: string): { release(): void } {
  const holder = new BetterSqlite3(file);
  holder.exec('begin immediate');
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    holder.exec('commit');
    holder.close();
  };
  cleanups.push(release);
  return { release };
}

/** The longest the event loop went without running a 5 ms timer, ms. */
function watchEventLoop(): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

const request: RevocationRequest = {
  rule: { kind: 'issuer', iss: 'https://auth.example', cutoff: 1 },
  reason: 'admin',
  actor: 'system',
};

describe('SQLite: another connection holding the write lock', () => {
  it('control: with the lock free an append takes no noticeable time', async () => {
    const database = await openSqlDatabase({ url: tempFile() });
    cleanups.push(() => database.close());
    const log = await SqlRevocationLog.open({ database });
    cleanups.push(() => log.close());
    const loop = watchEventLoop();
    expect(await log.append([request])).toHaveLength(1);
    expect(loop.stop()).toBeLessThan(250);
  });

  it('an append waits for it without stalling the event loop, and succeeds once it is released', async () => {
    const file = tempFile();
    const database = await openSqlDatabase({ url: file });
    cleanups.push(() => database.close());
    const log = await SqlRevocationLog.open({ database }); // migrated before the lock is taken
    cleanups.push(() => log.close());
    const lock = holdWriteLock(file);
    // Released by a timer on this same thread: it can only fire if the waiting append yields.
    setTimeout(() => lock.release(), 600);
    const loop = watchEventLoop();
    const started = Date.now();
    const events = await log.append([request]);
    const stalled = loop.stop();
    expect(events).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550); // it did wait for the lock
    expect(stalled).toBeLessThan(400); // a busy slice is 100 ms; 5 s before
  });

  it('a single-statement write (a user insert) waits the same way', async () => {
    const file = tempFile();
    const database = await openSqlDatabase({ url: file });
    cleanups.push(() => database.close());
    const users = await SqlUserStore.open({ database });
    cleanups.push(() => users.close());
    const lock = holdWriteLock(file);
    setTimeout(() => lock.release(), 600);
    const loop = watchEventLoop();
    const alice = {
      id: 'u1',
      username: 'alice',
      usernameKey: 'alice',
      passwordHash: 'x',
      createdAt: 1,
      passwordChangedAt: 1,
      disabledAt: null,
    };
    expect(await users.createUser(alice)).toBe('created');
    expect(loop.stop()).toBeLessThan(400);
    expect((await users.findByUsername('alice'))?.id).toBe('u1');
  });

  it('gives up after the statement timeout with ERR_LOG_UNAVAILABLE', async () => {
    const file = tempFile();
    const database = await openSqlDatabase({ url: file, statementTimeoutMs: 500 });
    cleanups.push(() => database.close());
    const log = await SqlRevocationLog.open({ database });
    cleanups.push(() => log.close());
    holdWriteLock(file);
    const loop = watchEventLoop();
    const started = Date.now();
    await expect(log.append([request])).rejects.toMatchObject({ code: 'ERR_LOG_UNAVAILABLE' });
    const waited = Date.now() - started;
    expect(loop.stop()).toBeLessThan(400);
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(2000);
  });
});
