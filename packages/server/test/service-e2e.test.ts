import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, CLIENT, Http, startService } from './support/service.js';

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`revocable serve on ${backend.name}, over HTTP`, () => {
    let database: string;
    let service: RunningService;
    let http: Http;

    beforeAll(async () => {
      database = await backend.fresh();
      service = await startService(database, ['--refresh-grace', '0']);
      http = new Http(service.url);
    });
    afterAll(async () => {
      await service?.close();
      await backend.cleanup();
    });

    it('register → login → /api/me 200 → logout → the same access token is 401 ERR_TOKEN_REVOKED at once', async () => {
      const tokens = await http.registerAndLogin('alice');
      const me = await http.get('/api/me', tokens.access_token);
      expect(me.status).toBe(200);
      expect(me.body.claims.sid).toBe(tokens.session_id);
      expect((await http.post('/auth/logout', undefined, tokens.access_token)).status).toBe(204);
      const after = await http.get('/api/me', tokens.access_token);
      expect(after.status).toBe(401);
      expect(after.body.error).toBe('ERR_TOKEN_REVOKED');
      expect(after.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="revocable", error="invalid_token", error_description="ERR_TOKEN_REVOKED/,
      );
      expect((await http.post('/auth/refresh', { refresh_token: tokens.refresh_token })).body.error).toBe(
        'ERR_REFRESH_TOKEN_INVALID',
      );
    });

    it('rotates refresh tokens, and reuse of a spent one revokes the whole session', async () => {
      const first = await http.registerAndLogin('bob');
      const second = await http.post('/auth/refresh', { refresh_token: first.refresh_token });
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).not.toBe(first.refresh_token);
      expect(second.body.session_id).toBe(first.session_id);
      expect((await http.get('/api/me', second.body.access_token)).status).toBe(200);

      const replay = await http.post('/auth/refresh', { refresh_token: first.refresh_token });
      expect(replay.status).toBe(401);
      expect(replay.body.error).toBe('ERR_REFRESH_TOKEN_REUSED');
      const dead = await http.get('/api/me', second.body.access_token);
      expect(dead.body.error).toBe('ERR_TOKEN_REVOKED');
      expect(
        (await http.post('/auth/refresh', { refresh_token: second.body.refresh_token })).body.error,
      ).toBe('ERR_REFRESH_TOKEN_INVALID');
      const audit = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
      expect(
        audit.body.events.some((e: any) => e.reason === 'refresh_reuse' && e.rule.sid === first.session_id),
      ).toBe(true);
    });

    it('100 concurrent refreshes with one token: exactly one wins, the others are detected as reuse', async () => {
      const tokens = await http.registerAndLogin('carol');
      const results = await Promise.all(
        Array.from({ length: 100 }, () =>
          http.post('/auth/refresh', { refresh_token: tokens.refresh_token }),
        ),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(
        results.filter(
          (r) =>
            r.body?.error === 'ERR_REFRESH_TOKEN_REUSED' || r.body?.error === 'ERR_REFRESH_TOKEN_INVALID',
        ),
      ).toHaveLength(99);
    });

    it('logout-all ends three sessions: every access token and refresh token dies, a new login works', async () => {
      const one = await http.registerAndLogin('dave');
      const two = await http.login('dave');
      const three = await http.login('dave');
      const result = await http.post('/auth/logout-all', undefined, two.access_token);
      expect(result.status).toBe(200);
      expect(result.body.ended_sessions).toBe(3);
      for (const s of [one, two, three]) {
        expect((await http.get('/api/me', s.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
        expect((await http.post('/auth/refresh', { refresh_token: s.refresh_token })).status).toBe(401);
      }
      const fresh = await http.login('dave');
      expect((await http.get('/api/me', fresh.access_token)).status).toBe(200);
    });

    it('a password change ends the other sessions and reissues this one, and only the new password logs in', async () => {
      const here = await http.registerAndLogin('erin', 'old password 1');
      const there = await http.login('erin', 'old password 1');
      const changed = await http.post(
        '/auth/password',
        { current_password: 'old password 1', new_password: 'new password 2' },
        here.access_token,
      );
      expect(changed.status).toBe(200);
      expect(changed.body.ended_sessions).toBe(1);
      expect((await http.get('/api/me', there.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      expect((await http.get('/api/me', here.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      expect((await http.get('/api/me', changed.body.access_token)).status).toBe(200);
      expect((await http.post('/auth/refresh', { refresh_token: here.refresh_token })).status).toBe(200);
      expect(
        (await http.post('/auth/login', { username: 'erin', password: 'old password 1' })).body.error,
      ).toBe('ERR_LOGIN_FAILED');
      expect((await http.post('/auth/login', { username: 'erin', password: 'new password 2' })).status).toBe(
        200,
      );
    });

    it('an admin revokes a user by a subject rule; without the admin credential the API refuses', async () => {
      const tokens = await http.registerAndLogin('frank');
      const me = await http.get('/api/me', tokens.access_token);
      const cutoff = new Date().toISOString();
      const rule = { kind: 'subject', iss: me.body.claims.iss, sub: me.body.claims.sub, cutoff };
      expect((await http.call('POST', '/admin/revocations', { body: { rule } })).status).toBe(401);
      const revoked = await http.call('POST', '/admin/revocations', {
        body: { rule, reason: 'suspension' },
        token: ADMIN_TOKEN,
      });
      expect(revoked.status).toBe(201);
      expect(revoked.body.actor).toBe('admin');
      expect((await http.get('/api/me', tokens.access_token)).body).toMatchObject({
        error: 'ERR_TOKEN_REVOKED',
      });
    });

    it('users list and end their own sessions, and cannot end anyone else’s', async () => {
      const a = await http.registerAndLogin('gina');
      const b = await http.login('gina');
      const other = await http.registerAndLogin('hank');
      const list = await http.get('/auth/sessions', a.access_token);
      expect(list.body.sessions.map((s: any) => s.id).sort()).toEqual([a.session_id, b.session_id].sort());
      expect(list.body.sessions.find((s: any) => s.current).id).toBe(a.session_id);
      expect(
        (await http.call('DELETE', `/auth/sessions/${other.session_id}`, { token: a.access_token })).status,
      ).toBe(404);
      expect(
        (await http.call('DELETE', `/auth/sessions/${b.session_id}`, { token: a.access_token })).status,
      ).toBe(204);
      expect((await http.get('/api/me', b.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      expect((await http.get('/api/me', other.access_token)).status).toBe(200);
    });

    it('unknown user and wrong password give the same error', async () => {
      await http.registerAndLogin('ivan');
      const wrong = await http.post('/auth/login', { username: 'ivan', password: 'not the password' });
      const unknown = await http.post('/auth/login', {
        username: 'nobody-here',
        password: 'not the password',
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
    });

    it('answers bad input with stable codes and writes nothing', async () => {
      const before = await http.call('GET', '/admin/users?limit=500', { token: ADMIN_TOKEN });
      const cases: Array<[Promise<{ status: number; body: any }>, number, string]> = [
        [
          http.call('POST', '/auth/register', {
            raw: 'username=x',
            headers: { 'content-type': 'text/plain' },
          }),
          415,
          'ERR_UNSUPPORTED_MEDIA_TYPE',
        ],
        [
          http.call('POST', '/auth/register', {
            raw: '{"username": "x",',
            headers: { 'content-type': 'application/json' },
          }),
          400,
          'ERR_INVALID_JSON',
        ],
        [http.post('/auth/register', { username: 'only-a-name' }), 400, 'ERR_BAD_REQUEST'],
        [
          http.post('/auth/register', { username: 'x'.repeat(10), password: 'p'.repeat(40_000) }),
          413,
          'ERR_BODY_TOO_LARGE',
        ],
        [http.post('/auth/register', { username: 'shortpw', password: 'abc' }), 400, 'ERR_PASSWORD_WEAK'],
        [http.get('/no/such/route'), 404, 'ERR_NOT_FOUND'],
        [http.get('/api/me'), 401, 'ERR_TOKEN_MISSING'],
        [http.get('/api/me', 'not-a-jwt'), 401, 'ERR_TOKEN_MALFORMED'],
        [http.post('/auth/refresh', { refresh_token: 'nope' }), 401, 'ERR_REFRESH_TOKEN_INVALID'],
        [
          http.call('POST', '/admin/revocations', {
            body: { rule: { kind: 'everything' } },
            token: ADMIN_TOKEN,
          }),
          400,
          'ERR_REVOCATION_INVALID',
        ],
        [
          http.call('POST', '/admin/revocations', {
            body: {
              rule: {
                kind: 'subject',
                iss: 'x',
                sub: 'y',
                cutoff: new Date(Date.now() + 86_400_000).toISOString(),
              },
            },
            token: ADMIN_TOKEN,
          }),
          400,
          'ERR_REVOCATION_INVALID',
        ],
      ];
      for (const [pending, status, code] of cases) {
        const response = await pending;
        expect({ status: response.status, code: response.body?.error }).toEqual({ status, code });
      }
      const missing = await http.get('/api/me');
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="revocable"');
      const after = await http.call('GET', '/admin/users?limit=500', { token: ADMIN_TOKEN });
      expect(after.body.users).toEqual(before.body.users);
    });

    it('RFC 7009 revoke answers 200 for unknown tokens and kills a known access token; RFC 7662 says active: false after', async () => {
      const tokens = await http.registerAndLogin('judy');
      const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
      const form = (body: Record<string, string>) => ({
        raw: new URLSearchParams(body).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      });
      expect(
        (await http.call('POST', '/oauth/introspect', form({ token: tokens.access_token }))).body,
      ).toMatchObject({
        active: true,
        sid: tokens.session_id,
      });
      expect((await http.call('POST', '/oauth/revoke', form({ token: 'unknown-token' }))).status).toBe(200);
      expect((await http.call('POST', '/oauth/revoke', form({ token: tokens.access_token }))).status).toBe(
        200,
      );
      expect(
        (await http.call('POST', '/oauth/introspect', form({ token: tokens.access_token }))).body,
      ).toEqual({ active: false });
      expect((await http.call('POST', '/oauth/introspect', form({ token: 'garbage' }))).body).toEqual({
        active: false,
      });
      const noClient = await http.call('POST', '/oauth/revoke', {
        raw: 'token=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(noClient.status).toBe(401);
      expect(noClient.body.error).toBe('invalid_client');
    });

    it('keeps users, keys and revocations across a restart', async () => {
      const tokens = await http.registerAndLogin('kate');
      const alive = await http.login('kate');
      await http.post('/auth/logout', undefined, tokens.access_token);
      const port = Number(new URL(service.url).port);
      await service.close();
      service = await startService(database, ['--refresh-grace', '0'], port);
      http = new Http(service.url);
      // fetch may hold a kept-alive socket to the old process: one throwaway request clears it.
      await http.get('/healthz').catch(() => undefined);
      expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      expect((await http.get('/api/me', alive.access_token)).status).toBe(200);
      expect((await http.post('/auth/refresh', { refresh_token: alive.refresh_token })).status).toBe(200);
      expect(
        (await http.post('/auth/login', { username: 'kate', password: 'correct horse battery' })).status,
      ).toBe(200);
    });
  });
}
