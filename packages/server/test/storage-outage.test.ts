import type { RunningService } from '@revocable/server';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TcpProxy } from '../../redis/test/support/tcp-proxy.js';
import { postgresUrl } from './support/postgres.js';
import { BACKENDS, backendAvailable, Http, startService } from './support/service.js';

const PASSWORD = 'correct horse battery';

/** Takes the users table away (every user look-up fails) and puts it back: a storage fault. */
async function usersTableFault(backend: string, database: string) {
  if (backend === 'SQLite') {
    const db = new Database(database);
    return {
      remove: async () => void db.exec('ALTER TABLE users RENAME TO users_away'),
      restore: async () => void db.exec('ALTER TABLE users_away RENAME TO users'),
      close: async () => void db.close(),
    };
  }
  const schema = new URL(database).searchParams.get('schema')!;
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  return {
    remove: async () => void (await client.query(`ALTER TABLE "${schema}".users RENAME TO users_away`)),
    restore: async () => void (await client.query(`ALTER TABLE "${schema}".users_away RENAME TO users`)),
    close: () => client.end(),
  };
}

async function loginStatuses(http: Http, username: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++)
    statuses.push((await http.post('/auth/login', { username, password: PASSWORD })).status);
  return statuses;
}

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`logins while storage fails, on ${backend.name}, over HTTP`, () => {
    afterAll(() => backend.cleanup());

    it('does not count a failed user look-up as a failed guess: the right password works once it is back', async () => {
      const database = await backend.fresh();
      const service = await startService(database);
      const fault = await usersTableFault(backend.name, database);
      try {
        const http = new Http(service.url);
        expect(
          (await http.post('/auth/register', { username: 'outage-user', password: PASSWORD })).status,
        ).toBe(201);
        await fault.remove();
        // More attempts than the 5 the (account, IP) pair may fail: none was a guess that was checked.
        const during = await loginStatuses(http, 'outage-user', 8);
        expect(during.every((status) => status >= 500)).toBe(true);
        await fault.restore();
        expect(await loginStatuses(http, 'outage-user', 1)).toEqual([200]);
      } finally {
        await fault.close();
        await service.close();
      }
    });
  });
}

const postgres = BACKENDS.find((b) => b.name === 'PostgreSQL')!;
const postgresUp = await backendAvailable(postgres);
describe.skipIf(!postgresUp)('logins across a PostgreSQL outage (connections cut), over HTTP', () => {
  let service: RunningService | undefined;
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    await service?.close();
    await proxy?.close();
    await postgres.cleanup();
  });

  it('answers errors while the database is unreachable and logs in at once when it is back', async () => {
    const direct = new URL(await postgres.fresh());
    proxy = await TcpProxy.start(Number(direct.port || 5432));
    const throughProxy = new URL(direct);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    service = await startService(throughProxy.toString());
    const http = new Http(service.url);
    expect((await http.post('/auth/register', { username: 'cut-user', password: PASSWORD })).status).toBe(
      201,
    );
    proxy.cut();
    const during = await loginStatuses(http, 'cut-user', 8);
    expect(during.every((status) => status >= 500)).toBe(true);
    proxy.restore();
    expect(await loginStatuses(http, 'cut-user', 1)).toEqual([200]);
  });
});
