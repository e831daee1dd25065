// A log written before token, allow and key rules named their issuer holds rows without `iss`. After
// the upgrade those rows still revoke (or, for allow rules, admit) their id at every issuer, so nothing
// revoked before the upgrade is accepted after it; rules appended since match their own issuer only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Replica, type RevocationLog, type TokenFacts } from '@revocable/core';
import { openSqlDatabase, type SqlDatabase, SqlRevocationLog } from '@revocable/sql';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, POSTGRES_URL, postgresDescribe } from './support/postgres.js';

const A = 'https://a.example';
const B = 'https://b.example';
const describePostgres = await postgresDescribe();
const schema = freshSchemaName('unscoped');
let prefixes = 0;

/** A fresh log on one backend, and a way to write a row exactly as an older version wrote it. */
interface Backend {
  readonly name: string;
  readonly describe: typeof describe | typeof describe.skip;
  open(): Promise<{ log: SqlRevocationLog; database: SqlDatabase; table: string; state: string }>;
  cleanup(): Promise<void>;
}

const dirs: string[] = [];
const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    describe,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'revocable-unscoped-'));
      dirs.push(dir);
      const database = await openSqlDatabase({ url: join(dir, 'revocable.db') });
      const log = await SqlRevocationLog.open({ database });
      return { log, database, table: '"revocation_events"', state: '"revocation_log_state"' };
    },
    async cleanup() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    name: 'PostgreSQL',
    describe: describePostgres,
    async open() {
      const tablePrefix = `p${++prefixes}_`;
      const database = await openSqlDatabase({ url: POSTGRES_URL });
      const log = await SqlRevocationLog.open({ database, schema, tablePrefix });
      return {
        log,
        database,
        table: `"${schema}"."${tablePrefix}revocation_events"`,
        state: `"${schema}"."${tablePrefix}revocation_log_state"`,
      };
    },
    async cleanup() {},
  },
];

afterAll(() => (describePostgres === describe ? dropSchema(schema) : undefined));

function facts(iss: string, over: Partial<TokenFacts> = {}): TokenFacts {
  const now = Date.now();
  return {
    tokenId: 'jti-old',
    iss,
    sub: 'u1',
    sid: undefined,
    kid: 'kid-new',
    issuedAtMs: now - 1_000,
    expiresAtMs: now + 600_000,
    ...over,
  };
}

/** A replica loaded from the log's snapshot, and one that applied every event from `readAfter(0)`. */
async function replicasOf(log: RevocationLog): Promise<Replica[]> {
  const loaded = new Replica({ purgeIntervalMs: 0, allowlist: true });
  loaded.load(await log.snapshot());
  const followed = new Replica({ purgeIntervalMs: 0, allowlist: true });
  followed.load({ events: [], seq: 0, takenAt: Date.now() });
  for (const event of await log.readAfter(0)) followed.apply(event);
  return [loaded, followed];
}

for (const backend of BACKENDS) {
  backend.describe(`rules without an issuer, written before the upgrade, on ${backend.name}`, () => {
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0)) await close();
      await backend.cleanup();
    });

    async function logWithOldRows() {
      const { log, database, table, state } = await backend.open();
      closers.push(async () => {
        await log.close();
        await database.close();
      });
      const now = Date.now();
      const expiresAt = now + 300_000;
      // The rows as the previous version stored them: rule JSON without iss, then the counter.
      const old = [
        { kind: 'token', tokenId: 'jti-old', expiresAt },
        { kind: 'key', kid: 'kid-old', expiresAt },
        { kind: 'allow', tokenId: 'jti-old', expiresAt },
      ];
      for (const [i, rule] of old.entries()) {
        await sql
          .raw(
            `insert into ${table} (seq, kind, rule, reason, actor, recorded_at, forget_after) values (${i + 1}, '${rule.kind}', '${JSON.stringify(rule)}', 'admin', 'admin', ${now}, ${expiresAt + 60_000})`,
          )
          .execute(database.kysely);
      }
      await sql.raw(`update ${state} set last_seq = ${old.length}`).execute(database.kysely);
      return { log, old, expiresAt };
    }

    it('reads them back as stored, without iss', async () => {
      const { log, old } = await logWithOldRows();
      expect((await log.readAfter(0)).map((event) => event.rule)).toEqual(old);
      expect((await log.snapshot()).events.map((event) => event.rule)).toEqual(old);
    });

    it('a replica reads them as matching every issuer: the old revocations stay revoked', async () => {
      const { log } = await logWithOldRows();
      for (const replica of await replicasOf(log)) {
        for (const iss of [A, B]) {
          expect(replica.check(facts(iss))).toBe('token');
          expect(replica.check(facts(iss, { tokenId: 'jti-new', kid: 'kid-old' }))).toBe('key');
        }
        replica.close();
      }
    });

    it('rules appended after them match their own issuer only', async () => {
      const { log, expiresAt } = await logWithOldRows();
      await log.append([
        { rule: { kind: 'allow', iss: A, tokenId: 'jti-new', expiresAt }, reason: 'issued', actor: 'system' },
        { rule: { kind: 'token', iss: A, tokenId: 'jti-a', expiresAt }, reason: 'logout', actor: 'system' },
        { rule: { kind: 'allow', iss: B, tokenId: 'jti-a', expiresAt }, reason: 'issued', actor: 'system' },
      ]);
      for (const replica of await replicasOf(log)) {
        // The unscoped allow rule admits jti-old at both issuers; the scoped one admits jti-new at A only.
        expect(replica.check(facts(A, { tokenId: 'jti-new' }))).toBeUndefined();
        expect(replica.check(facts(B, { tokenId: 'jti-new' }))).toBe('allowlist');
        expect(replica.check(facts(A, { tokenId: 'jti-a' }))).toBe('token');
        expect(replica.check(facts(B, { tokenId: 'jti-a' }))).toBeUndefined();
        replica.close();
      }
    });
  });
}
