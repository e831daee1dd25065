import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRevocableError } from '@revocable/core';
import { loadConfig, main, type RunningService, serve } from '@revocable/server';
import { openSqlDatabase, splitSchemaParameter } from '@revocable/sql';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, freePort, Http, startService } from './support/service.js';

const KEK_A = randomBytes(32).toString('base64');
const KEK_B = randomBytes(32).toString('hex');
const ISSUER = 'https://issuer.revocable.test';

/** Starts the service like `startService`, with these environment variables (the KEK lives only there). */
async function startWithEnv(database: string, env: Record<string, string>): Promise<RunningService> {
  const port = await freePort();
  // One issuer for every restart: tokens from before a restart must name the same one.
  const argv = [
    '--port',
    String(port),
    '--issuer',
    ISSUER,
    '--database',
    database,
    '--admin-token',
    ADMIN_TOKEN,
  ];
  return serve(loadConfig([...argv, '--log-level', 'silent'], env), { logger: false });
}

/** The stored `private_jwk` column of every signing key, read past the store. */
async function storedPrivateKeys(database: string): Promise<string[]> {
  const { url, schema } = splitSchemaParameter(database);
  const db = await openSqlDatabase({ url });
  try {
    const table = schema === undefined ? sql.table('signing_keys') : sql.table(`${schema}.signing_keys`);
    const rows = await sql<{ private_jwk: string }>`select private_jwk from ${table}`.execute(db.kysely);
    return rows.rows.map((row) => row.private_jwk);
  } finally {
    await db.close();
  }
}

function kekIdsOf(stored: string[]): string[] {
  return stored.map((text) => (JSON.parse(text) as { kek?: string }).kek ?? 'plaintext');
}

async function startupError(database: string, env: Record<string, string>): Promise<unknown> {
  const service = await startWithEnv(database, env).catch((error: unknown) => error);
  if (!isRevocableError(service)) await (service as RunningService).close?.();
  return service;
}

describe('the SQLite database files of revocable serve', () => {
  const dirs: string[] = [];
  const services: RunningService[] = [];
  afterEach(async () => {
    for (const service of services.splice(0)) await service.close();
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function freshFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'revocable-modes-'));
    dirs.push(dir);
    return join(dir, 'revocable.db');
  }

  it('are created readable and writable by their owner only: the database, its -wal and its -shm', async () => {
    const file = freshFile();
    services.push(await startService(file));
    await new Http(services[0]!.url).registerAndLogin('modes-user');
    for (const name of [file, `${file}-wal`, `${file}-shm`]) {
      expect({ name, mode: (statSync(name).mode & 0o777).toString(8) }).toEqual({ name, mode: '600' });
    }
  });

  it('lose every permission for others when an existing database was readable by everyone', async () => {
    const file = freshFile();
    const first = await startService(file);
    await first.close();
    for (const name of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(name)) chmodSync(name, 0o644);
    services.push(await startService(file));
    await new Http(services[0]!.url).registerAndLogin('modes-user-2');
    for (const name of [file, `${file}-wal`, `${file}-shm`]) {
      expect({ name, others: statSync(name).mode & 0o007 }).toEqual({ name, others: 0 });
    }
  });
});

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`signing keys at rest on ${backend.name}`, () => {
    const services: RunningService[] = [];
    afterEach(async () => {
      for (const service of services.splice(0)) await service.close();
    });
    afterAll(() => backend.cleanup());

    async function start(database: string, env: Record<string, string>): Promise<Http> {
      const service = await startWithEnv(database, env);
      services.push(service);
      return new Http(service.url);
    }

    async function stopAll(): Promise<void> {
      for (const service of services.splice(0)) await service.close();
    }

    it('are stored encrypted with the key-encryption key, and a restart with it keeps tokens working', async () => {
      const database = await backend.fresh();
      const http = await start(database, { REVOCABLE_KEY_ENCRYPTION_KEY: KEK_A });
      const { access_token } = await http.registerAndLogin('kek-user');
      const stored = await storedPrivateKeys(database);
      expect(stored).toHaveLength(2);
      for (const text of stored) {
        expect(text).not.toMatch(/"d"|"kty"/); // no private member, not a JWK
        expect(JSON.parse(text)).toMatchObject({ v: 1, alg: 'A256GCM' });
      }
      await stopAll();
      const again = await start(database, { REVOCABLE_KEY_ENCRYPTION_KEY: KEK_A });
      expect((await again.get('/api/me', access_token)).status).toBe(200);
    });

    it('refuse to start with another key-encryption key, or none, naming neither key', async () => {
      const database = await backend.fresh();
      await start(database, { REVOCABLE_KEY_ENCRYPTION_KEY: KEK_A });
      await stopAll();
      for (const env of [{ REVOCABLE_KEY_ENCRYPTION_KEY: KEK_B }, {}]) {
        const error = await startupError(database, env);
        expect(isRevocableError(error) && error.code).toBe('ERR_KEY_DECRYPT');
        const text = `${(error as Error).message} ${String((error as Error).stack)}`;
        expect(text).not.toContain(KEK_A);
        expect(text).not.toContain(KEK_B);
      }
    });

    it('move to a new key-encryption key: started with the new one and the previous, keys are re-encrypted', async () => {
      const database = await backend.fresh();
      const http = await start(database, { REVOCABLE_KEY_ENCRYPTION_KEY: KEK_A });
      const { access_token } = await http.registerAndLogin('kek-rotation');
      const before = kekIdsOf(await storedPrivateKeys(database));
      await stopAll();
      await start(database, {
        REVOCABLE_KEY_ENCRYPTION_KEY: KEK_B,
        REVOCABLE_KEY_ENCRYPTION_KEY_PREVIOUS: KEK_A,
      });
      await stopAll();
      const after = kekIdsOf(await storedPrivateKeys(database));
      expect(new Set(after).size).toBe(1);
      expect(before).not.toContain(after[0]);
      const onlyNew = await start(database, { REVOCABLE_KEY_ENCRYPTION_KEY: KEK_B });
      expect((await onlyNew.get('/api/me', access_token)).status).toBe(200);
      await stopAll();
      expect(isRevocableError(await startupError(database, { REVOCABLE_KEY_ENCRYPTION_KEY: KEK_A }))).toBe(
        true,
      );
    });

    it('written in plaintext before a key-encryption key was set are encrypted at the next start with one', async () => {
      const database = await backend.fresh();
      const http = await start(database, {});
      const { access_token } = await http.registerAndLogin('legacy-keys');
      expect(kekIdsOf(await storedPrivateKeys(database))).toEqual(['plaintext', 'plaintext']);
      await stopAll();
      const encrypted = await start(database, { REVOCABLE_KEY_ENCRYPTION_KEY: KEK_A });
      expect((await encrypted.get('/api/me', access_token)).status).toBe(200);
      expect(kekIdsOf(await storedPrivateKeys(database))).not.toContain('plaintext');
    });

    it('are sealed by `revocable keys rewrap` under the key-encryption key of its environment', async () => {
      const database = await backend.fresh();
      await start(database, {});
      await stopAll();
      vi.stubEnv('REVOCABLE_KEY_ENCRYPTION_KEY', KEK_A);
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        await main(['keys', 'rewrap', '--database', database]);
      } finally {
        out.mockRestore();
        vi.unstubAllEnvs();
      }
      expect(process.exitCode ?? 0).toBe(0);
      const ids = kekIdsOf(await storedPrivateKeys(database));
      expect(ids).toHaveLength(2);
      expect(ids).not.toContain('plaintext');
    });

    it('refuse a key-encryption key that is not 32 bytes, without echoing it', async () => {
      const database = await backend.fresh();
      const short = randomBytes(16).toString('base64');
      let error: unknown;
      try {
        loadConfig(['--database', database], { REVOCABLE_KEY_ENCRYPTION_KEY: short });
      } catch (caught) {
        error = caught;
      }
      expect(isRevocableError(error) && error.code).toBe('ERR_CONFIG_INVALID');
      expect((error as Error).message).toContain('REVOCABLE_KEY_ENCRYPTION_KEY');
      expect((error as Error).message).not.toContain(short);
    });
  });
}
