import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlRevocationLog, SqlSessionStore, SqlStatusListStore } from '@revocable/sql';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const ISS = 'https://auth.example';
const dirs: string[] = [];
function freshFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-purge-'));
  dirs.push(dir);
  return join(dir, 'purge.db');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Purges delete in batches (each statement bounded), so these backlogs are larger than one batch.
describe('purges of a large backlog, in batches (SQLite)', () => {
  it('purges 12,000 forgettable revocations and keeps the live one', async () => {
    const log = await SqlRevocationLog.open({ url: freshFile() });
    try {
      const soon = Date.now() + 60_000;
      for (let chunk = 0; chunk < 2; chunk++) {
        await log.append(
          Array.from({ length: 6_000 }, (_, i) => ({
            rule: { kind: 'token' as const, iss: ISS, tokenId: `t-${chunk}-${i}`, expiresAt: soon },
            reason: 'logout' as const,
            actor: 'test',
          })),
        );
      }
      const [live] = await log.append([
        {
          rule: { kind: 'subject', iss: ISS, sub: 'still-live', cutoff: Date.now() },
          reason: 'logout_all',
          actor: 'test',
        },
      ]);
      // A time after the token rules are forgettable but before the subject cutoff is.
      const purged = await log.purge(soon + 60_000 + 1);
      expect(purged).toBe(12_000);
      expect((await log.readAfter(0, 100)).map((e) => e.seq)).toEqual([live!.seq]);
    } finally {
      await log.close();
    }
  });

  it('purges 4,500 long-dead sessions with their tokens and 4,500 expired tokens, never a live session', async () => {
    const file = freshFile();
    const store = await SqlSessionStore.open({ url: file });
    const now = Date.now();
    // Rows written straight into the tables: thousands of sessions through the API would take minutes.
    const db = new Database(file);
    const session = db.prepare(
      `INSERT INTO sessions (id, sub, client_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at,
         scope, claims, refresh_generation, device, ip, ended_at, end_reason)
       VALUES (?, 'u', 'web', ?, ?, ?, ?, NULL, NULL, 1, NULL, NULL, ?, ?)`,
    );
    const token = db.prepare(
      `INSERT INTO refresh_tokens (hash, session_id, generation, created_at, expires_at, consumed_at, sibling_of, superseded)
       VALUES (?, ?, 1, ?, ?, NULL, NULL, 0)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 4_500; i++) {
        session.run(`dead-${i}`, now - 10e9, now - 10e9, now - 9e9, now - 9e9, now - 9e9, 'logout');
        token.run(`dead-token-${i}`, `dead-${i}`, now - 10e9, now + 3_600_000);
        session.run(`live-${i}`, now, now, now + 3_600_000, now + 86_400_000, null, null);
        token.run(`expired-token-${i}`, `live-${i}`, now - 7_200_000, now - 3_600_000);
      }
      token.run('live-token', 'live-0', now, now + 3_600_000);
    })();
    db.close();
    try {
      const purged = await store.purgeExpired(now, 7 * 86_400_000);
      expect(purged).toBe(4_500 + 4_500);
      expect(await store.getSession('dead-17')).toBeUndefined();
      expect(await store.findRefreshToken('dead-token-17')).toBeUndefined();
      expect(await store.getSession('live-4499')).toBeDefined();
      expect(await store.findRefreshToken('live-token')).toBeDefined();
    } finally {
      await store.close();
    }
  });

  it('purges 5,000 freed status list entries and keeps the one still held', async () => {
    const file = freshFile();
    const store = await SqlStatusListStore.open({ url: file });
    const now = Date.now();
    // Rows written straight into the table: thousands of claims, one transaction each, would be slow.
    const db = new Database(file);
    const entry = db.prepare(
      `INSERT INTO status_list_entries (list, idx, seq, iss, sub, sid, kid, jti, issued_at, expires_at, free_at)
       VALUES ('1', ?, ?, 'https://auth.example', 'u', NULL, 'k1', ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 5_000; i++) entry.run(i, i + 1, `freed-${i}`, now - 9e6, now - 8e6, now - 7e6);
      entry.run(5_000, 5_001, 'held', now, now + 600_000, now + 660_000);
    })();
    db.close();
    try {
      expect(await store.purge(now)).toBe(5_000);
      expect((await store.readAfter(0)).map((e) => e.jti)).toEqual(['held']);
    } finally {
      await store.close();
    }
  });
});
