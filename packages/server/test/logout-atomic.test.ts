import type { RunningService } from '@revocable/server';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from './support/postgres.js';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, Http, startService } from './support/service.js';

/** Makes one table refuse writes (a deterministic fault between the two steps of a logout). */
interface Fault {
  fail(table: 'sessions' | 'revocation_events'): Promise<void>;
  heal(): Promise<void>;
  close(): Promise<void>;
}

async function faultFor(backend: string, database: string): Promise<Fault> {
  if (backend === 'SQLite') {
    const db = new Database(database);
    const tables: string[] = [];
    return {
      async fail(table) {
        const event = table === 'sessions' ? 'UPDATE' : 'INSERT';
        db.exec(
          `CREATE TRIGGER fault_${table} BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END`,
        );
        tables.push(table);
      },
      async heal() {
        for (const table of tables.splice(0)) db.exec(`DROP TRIGGER fault_${table}`);
      },
      async close() {
        db.close();
      },
    };
  }
  const schema = new URL(database).searchParams.get('schema')!;
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  await client.query(
    `CREATE OR REPLACE FUNCTION "${schema}".fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql`,
  );
  const tables: string[] = [];
  return {
    async fail(table) {
      const event = table === 'sessions' ? 'UPDATE' : 'INSERT';
      await client.query(
        `CREATE TRIGGER fault_${table} BEFORE ${event} ON "${schema}".${table} FOR EACH ROW EXECUTE FUNCTION "${schema}".fault()`,
      );
      tables.push(table);
    },
    async heal() {
      for (const table of tables.splice(0))
        await client.query(`DROP TRIGGER fault_${table} ON "${schema}".${table}`);
    },
    async close() {
      await client.end();
    },
  };
}

for (const backend of BACKENDS) {
  describe(`a logout is all or retry-safe (${backend.name})`, async () => {
    const available = await backendAvailable(backend);
    if (!available) console.warn(`[skip] ${backend.name} is not reachable here: logout fault tests skipped`);
    let service: RunningService;
    let http: Http;
    let fault: Fault;
    let user = 0;

    beforeAll(async () => {
      if (!available) return;
      const database = await backend.fresh();
      service = await startService(database);
      http = new Http(service.url);
      fault = await faultFor(backend.name, database);
    });
    afterAll(async () => {
      await fault?.heal();
      await fault?.close();
      await service?.close();
      await backend.cleanup();
    });

    const login = () => http.registerAndLogin(`logout-${backend.name}-${user++}`);
    const auditHasLogoutOf = async (sid: string) => {
      const trail = await http.get('/admin/revocations?limit=1000', ADMIN_TOKEN);
      return trail.body.events.some(
        (e: { rule: { kind: string; sid?: string } }) => e.rule.kind === 'session' && e.rule.sid === sid,
      );
    };

    it.skipIf(!available)(
      'answers a logout retried with the token that logout revoked: 204 again, nothing reopened',
      async () => {
        const tokens = await login();
        // Control: the token works before the logout.
        expect((await http.get('/api/me', tokens.access_token)).status).toBe(200);
        expect((await http.post('/auth/logout', undefined, tokens.access_token)).status).toBe(204);
        // The client lost the answer and retries with the same, now revoked, token.
        expect((await http.post('/auth/logout', undefined, tokens.access_token)).status).toBe(204);
        expect((await http.post('/auth/logout-all', undefined, tokens.access_token)).status).toBe(200);
        expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
        const refresh = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
        expect(refresh.body.error).toBe('ERR_REFRESH_TOKEN_INVALID');
      },
    );

    it.skipIf(!available)(
      'still refuses a token revoked by something other than its own logout',
      async () => {
        const tokens = await login();
        const me = await http.get('/api/me', tokens.access_token);
        // An operator revokes this one token; the session itself lives on.
        const expires_at = new Date(me.body.claims.exp * 1000).toISOString();
        const rule = { kind: 'token', token_id: me.body.claims.jti, expires_at };
        expect(
          (await http.call('POST', '/admin/revocations', { body: { rule }, token: ADMIN_TOKEN })).status,
        ).toBe(201);
        const logout = await http.post('/auth/logout', undefined, tokens.access_token);
        expect(logout.status).toBe(401);
        expect(logout.body.error).toBe('ERR_TOKEN_REVOKED');
        // The session is untouched: its refresh token still rotates.
        expect((await http.post('/auth/refresh', { refresh_token: tokens.refresh_token })).status).toBe(200);
      },
    );

    it.skipIf(!available)(
      'a logout whose session step fails writes no rule, and its retry completes it',
      async () => {
        const tokens = await login();
        await fault.fail('sessions');
        const failed = await http.post('/auth/logout', undefined, tokens.access_token);
        await fault.heal();
        expect(failed.status).toBeGreaterThanOrEqual(500);
        // No audit entry claims a logout while the session lives.
        expect(await auditHasLogoutOf(tokens.session_id)).toBe(false);
        const retry = await http.post('/auth/logout', undefined, tokens.access_token);
        expect(retry.status).toBe(204);
        expect(await auditHasLogoutOf(tokens.session_id)).toBe(true);
        expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
        const refresh = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
        expect(refresh.body.error).toBe('ERR_REFRESH_TOKEN_INVALID');
      },
    );

    it.skipIf(!available)(
      'a logout whose rule step fails has already stopped refreshes, and its retry writes the rule',
      async () => {
        const tokens = await login();
        await fault.fail('revocation_events');
        const failed = await http.post('/auth/logout', undefined, tokens.access_token);
        await fault.heal();
        expect(failed.status).toBeGreaterThanOrEqual(500);
        // The session ended first: no refresh can mint a new access token from it.
        const refresh = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
        expect(refresh.body.error).toBe('ERR_REFRESH_TOKEN_INVALID');
        // The access token in hand still works (no rule yet), so the retry is accepted and completes it.
        const retry = await http.post('/auth/logout', undefined, tokens.access_token);
        expect(retry.status).toBe(204);
        expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      },
    );

    it.skipIf(!available)(
      'logout everywhere whose rule step fails ends the sessions and completes on retry',
      async () => {
        const name = `logout-all-${backend.name}-${user++}`;
        const first = await http.registerAndLogin(name);
        const second = await http.login(name);
        await fault.fail('revocation_events');
        const failed = await http.post('/auth/logout-all', undefined, first.access_token);
        await fault.heal();
        expect(failed.status).toBeGreaterThanOrEqual(500);
        for (const tokens of [first, second]) {
          const refresh = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
          expect(refresh.body.error).toBe('ERR_REFRESH_TOKEN_INVALID');
        }
        expect((await http.post('/auth/logout-all', undefined, first.access_token)).status).toBe(200);
        for (const tokens of [first, second])
          expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      },
    );

    it.skipIf(!available)(
      'a refresh racing a logout never yields an access token that outlives the logout',
      async () => {
        let refreshedInTime = 0;
        const name = `racer-${backend.name}`;
        await http.registerAndLogin(name);
        for (let round = 0; round < 25; round++) {
          const tokens = await http.login(name);
          const [refresh, logout] = await Promise.all([
            http.post('/auth/refresh', { refresh_token: tokens.refresh_token }),
            http.post('/auth/logout', undefined, tokens.access_token),
          ]);
          expect(logout.status).toBe(204);
          if (refresh.status !== 200) continue;
          refreshedInTime++;
          const me = await http.get('/api/me', refresh.body.access_token);
          expect(me.body.error, `round ${round}`).toBe('ERR_TOKEN_REVOKED');
        }
        // Not a vacuous pass when every refresh lost the race: say how many were checked.
        console.info(`[${backend.name}] refreshes that won the race and were checked: ${refreshedInTime}/25`);
      },
    );
  });
}
