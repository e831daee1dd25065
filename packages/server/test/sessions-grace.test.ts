import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, CLIENT, Http, startService } from './support/service.js';

describe('refresh grace window, trusted-backend sessions, the SSE feed, shutdown', () => {
  let service: RunningService;
  let http: Http;
  beforeAll(async () => {
    service = await startService('memory', ['--refresh-grace', '10']);
    http = new Http(service.url);
  });
  afterAll(async () => service?.close());

  it('gives a sibling to the immediately previous token within the grace window, and revokes on older reuse', async () => {
    const login = await http.registerAndLogin('grace-user');
    const second = await http.post('/auth/refresh', { refresh_token: login.refresh_token });
    expect(second.status).toBe(200);
    // A racing tab presents the just-spent token again: it gets a sibling, not a session kill.
    const sibling = await http.post('/auth/refresh', { refresh_token: login.refresh_token });
    expect(sibling.status).toBe(200);
    expect(sibling.body.refresh_token).not.toBe(second.body.refresh_token);
    expect((await http.get('/api/me', second.body.access_token)).status).toBe(200);
    expect((await http.get('/api/me', sibling.body.access_token)).status).toBe(200);
    // Rotate once more: the login token is now two generations old, and its reuse is an attack.
    const third = await http.post('/auth/refresh', { refresh_token: second.body.refresh_token });
    expect(third.status).toBe(200);
    const replay = await http.post('/auth/refresh', { refresh_token: login.refresh_token });
    expect(replay.body.error).toBe('ERR_REFRESH_TOKEN_REUSED');
    expect((await http.get('/api/me', third.body.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
  });

  it('gives one sibling per spent token: a second replay within the window revokes the session', async () => {
    const login = await http.registerAndLogin('grace-twice');
    const second = await http.post('/auth/refresh', { refresh_token: login.refresh_token });
    const sibling = await http.post('/auth/refresh', { refresh_token: login.refresh_token });
    expect(sibling.status).toBe(200);
    const again = await http.post('/auth/refresh', { refresh_token: login.refresh_token });
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('ERR_REFRESH_TOKEN_REUSED');
    for (const tokens of [second.body, sibling.body]) {
      expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    }
  });

  it('with the default window, 100 concurrent refreshes of one token: one rotation, one sibling at most, the rest refused and the session revoked', async () => {
    const login = await http.registerAndLogin('grace-hundred');
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => http.post('/auth/refresh', { refresh_token: login.refresh_token })),
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.length).toBeLessThanOrEqual(2);
    // The first reuse ends the session; later ones find it ended (invalid). None gets a token.
    const refused = answers.filter((a) => a.status === 401);
    expect(refused.length).toBe(100 - ok.length);
    expect(refused.some((a) => a.body.error === 'ERR_REFRESH_TOKEN_REUSED')).toBe(true);
    expect(
      refused.every((a) => ['ERR_REFRESH_TOKEN_REUSED', 'ERR_REFRESH_TOKEN_INVALID'].includes(a.body.error)),
    ).toBe(true);
    for (const answer of ok) {
      expect((await http.get('/api/me', answer.body.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    }
  });

  it('with a window of 0, a reuse in the same millisecond as the rotation gets no sibling', async () => {
    const { MemoryRevocationLog, Revoker, KeyRing, AccessTokenIssuer } = await import('@revocable/core');
    const { MemorySessionStore } = await import('@revocable/core/internal');
    const { SessionService } = await import('@revocable/server/internal');
    const keys = await KeyRing.open();
    const sessions = new SessionService({
      store: new MemorySessionStore(),
      issuer: new AccessTokenIssuer({
        keys,
        issuer: 'https://auth.example',
        audience: 'api',
        clock: () => 1_800_000_000_000,
      }),
      revoker: new Revoker(new MemoryRevocationLog()),
      iss: 'https://auth.example',
      policy: { idleMs: 3_600_000, absoluteMs: 86_400_000, refreshGraceMs: 0 },
      clock: () => 1_800_000_000_000, // every call in the same millisecond
    });
    const context = { device: null, ip: null };
    const login = await sessions.open({ sub: 'same-ms', clientId: 'web', ...context });
    await sessions.refresh(login.refreshToken, context);
    const replay = await sessions
      .refresh(login.refreshToken, context)
      .catch((err: { code: string }) => err.code);
    expect(replay).toBe('ERR_REFRESH_TOKEN_REUSED');
  });

  it('treats the unused branch of a fork as reuse once the other branch rotated and the window passed', async () => {
    const short = await startService('memory', ['--refresh-grace', '1']);
    try {
      const client = new Http(short.url);
      const login = await client.registerAndLogin('fork-user');
      const a = await client.post('/auth/refresh', { refresh_token: login.refresh_token });
      const b = await client.post('/auth/refresh', { refresh_token: login.refresh_token });
      expect(b.status).toBe(200);
      const a2 = await client.post('/auth/refresh', { refresh_token: a.body.refresh_token });
      expect(a2.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const late = await client.post('/auth/refresh', { refresh_token: b.body.refresh_token });
      expect(late.body.error).toBe('ERR_REFRESH_TOKEN_REUSED');
      expect((await client.get('/api/me', a2.body.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      // A plain replay after the window is reuse too.
      const other = await client.login('fork-user');
      await client.post('/auth/refresh', { refresh_token: other.refresh_token });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const replay = await client.post('/auth/refresh', { refresh_token: other.refresh_token });
      expect(replay.body.error).toBe('ERR_REFRESH_TOKEN_REUSED');
    } finally {
      await short.close();
    }
  });

  it('mints sessions for a trusted backend with its claims, and they revoke like any other', async () => {
    const minted = await http.call('POST', '/admin/sessions', {
      token: ADMIN_TOKEN,
      body: { sub: 'external-user-7', scope: 'orders:read', claims: { tenant: 'acme' }, device: 'backend' },
    });
    expect(minted.status).toBe(201);
    const me = await http.get('/api/me', minted.body.access_token);
    expect(me.body.claims).toMatchObject({
      sub: 'external-user-7',
      scope: 'orders:read',
      tenant: 'acme',
      client_id: 'trusted-backend',
    });
    const refreshed = await http.post('/auth/refresh', { refresh_token: minted.body.refresh_token });
    expect((await http.get('/api/me', refreshed.body.access_token)).body.claims.tenant).toBe('acme');
    const registered = await http.call('POST', '/admin/sessions', {
      token: ADMIN_TOKEN,
      body: { sub: 'x', claims: { iss: 'evil' } },
    });
    expect(registered.status).toBe(400);
    expect(registered.body).toMatchObject({ error: 'ERR_BAD_REQUEST' });
    expect((await http.call('POST', '/admin/sessions', { body: { sub: 'x' } })).status).toBe(401);
    expect(
      (await http.call('DELETE', `/admin/sessions/${minted.body.session_id}`, { token: ADMIN_TOKEN })).status,
    ).toBe(204);
    expect((await http.get('/api/me', refreshed.body.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
  });

  it('resumes the SSE feed after Last-Event-ID with exactly the later events', async () => {
    const a = await http.registerAndLogin('sse-resume');
    const b = await http.login('sse-resume');
    await http.post('/auth/logout', undefined, a.access_token);
    const audit = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
    const lastSeq: number = audit.body.events.at(-1).seq;
    await http.post('/auth/logout', undefined, b.access_token);
    const controller = new AbortController();
    const response = await fetch(`${service.url}/revocations/stream`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
        'last-event-id': String(lastSeq),
      },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([lastSeq + 1]);
    expect(text).toContain(`"sid":"${b.session_id}"`);
  });
});

describe('graceful shutdown', () => {
  it('ends open SSE streams so that close() completes while a follower is connected', async () => {
    const service = await startService('memory');
    const response = await fetch(`${service.url}/revocations/stream`, {
      headers: { authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
    });
    const reader = response.body!.getReader();
    await reader.read(); // the stream is open
    const closed = await Promise.race([
      service.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still open after 5 s'), 5000)),
    ]);
    expect(closed).toBe('closed');
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });

  it('answers every request in flight before closing, and keeps every acknowledged revocation', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'revocable-shutdown-'));
    const database = join(dir, 'revocable.db');
    try {
      let service = await startService(database);
      const port = Number(new URL(service.url).port);
      let http = new Http(service.url);
      await http.post('/auth/register', { username: 'shutdown-user', password: 'correct horse battery' });
      const sessions = await Promise.all(Array.from({ length: 20 }, () => http.login('shutdown-user')));
      const logouts = sessions.map((s) =>
        http.post('/auth/logout', undefined, s.access_token).catch(() => ({ status: 0 })),
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      const closing = service.close();
      const answers = await Promise.all(logouts);
      await closing;
      service = await startService(database, [], port);
      http = new Http(service.url);
      await http.get('/healthz').catch(() => undefined);
      for (const [i, answer] of answers.entries()) {
        const me = await http.get('/api/me', sessions[i]!.access_token);
        // Acknowledged (204) logouts must survive the restart; refused ones (connection closed) may not.
        if (answer.status === 204) expect(me.body.error).toBe('ERR_TOKEN_REVOKED');
      }
      expect(answers.filter((a) => a.status === 204).length).toBeGreaterThan(0);
      await service.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
