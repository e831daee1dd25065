import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, BACKENDS, Http, startService } from './support/service.js';

// Requests shaped the way attackers shape them, against the real service on SQLite.
describe('revocable serve against crafted requests', () => {
  const backend = BACKENDS[0]!;
  let service: RunningService;
  let http: Http;

  beforeAll(async () => {
    service = await startService(await backend.fresh());
    http = new Http(service.url);
  });
  afterAll(async () => {
    await service?.close();
    await backend.cleanup();
  });

  it('guards every admin route whatever the URL encoding: /%61dmin/… is refused without the credential', async () => {
    for (const [method, path, body] of [
      ['GET', '/%61dmin/keys', undefined],
      ['GET', '/%61dmin/users', undefined],
      ['GET', '/admin/%75sers', undefined],
      ['POST', '/%61dmin/sessions', { sub: 'victim' }],
      ['POST', '/%61dmin/keys/rotate', {}],
    ] as const) {
      const answer = await http.call(method, path, body === undefined ? {} : { body });
      expect(answer.status, `${method} ${path}`).toBe(401);
      expect(answer.body.error, `${method} ${path}`).toBe('ERR_ADMIN_AUTH_REQUIRED');
    }
    expect((await http.call('GET', '/%61dmin/keys', { token: ADMIN_TOKEN })).status).toBe(200);
  });

  it('refuses HTML form bodies on /auth/* (no login CSRF), while /oauth/* still takes forms', async () => {
    await http.registerAndLogin('formy');
    const login = await http.call('POST', '/auth/login', {
      raw: new URLSearchParams({
        username: 'formy',
        password: 'correct horse battery',
        cookie: 'true',
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(login.status).toBe(415);
    expect(login.body.error).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(login.headers.get('set-cookie')).toBeNull();
    const revoke = await http.call('POST', '/oauth/revoke', {
      raw: 'token=unknown',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(revoke.body.error).toBe('invalid_client'); // parsed, then refused for the missing client
  });

  it('takes an admin cutoff from the server clock when omitted, and refuses one in the future, writing nothing', async () => {
    const tokens = await http.registerAndLogin('cutoff-user');
    const me = await http.get('/api/me', tokens.access_token);
    const { iss, sub } = me.body.claims;
    const audit = async () =>
      (await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN })).body.events.length;
    const before = await audit();
    const future = await http.call('POST', '/admin/revocations', {
      token: ADMIN_TOKEN,
      body: { rule: { kind: 'subject', iss, sub, cutoff: new Date(Date.now() + 30_000).toISOString() } },
    });
    expect(future.status).toBe(400);
    expect(future.body.error).toBe('ERR_REVOCATION_INVALID');
    expect(await audit()).toBe(before);
    expect((await http.get('/api/me', tokens.access_token)).status).toBe(200);

    const sent = Date.now();
    const revoked = await http.call('POST', '/admin/revocations', {
      token: ADMIN_TOKEN,
      body: { rule: { kind: 'subject', iss, sub } },
    });
    expect(revoked.status).toBe(201);
    expect(Date.parse(revoked.body.rule.cutoff)).toBeGreaterThanOrEqual(sent);
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    // A login right after is issued after the cutoff, even within the same millisecond.
    const again = await http.login('cutoff-user');
    expect((await http.get('/api/me', again.access_token)).status).toBe(200);
  });

  it('records who suspended a user in the audit trail when the admin names themselves', async () => {
    const tokens = await http.registerAndLogin('suspended-user');
    const { sub } = (await http.get('/api/me', tokens.access_token)).body.claims;
    const answer = await http.call('POST', `/admin/users/${sub}/suspension`, {
      token: ADMIN_TOKEN,
      body: { suspended: true, actor: 'grace' },
    });
    expect(answer.status).toBe(200);
    const audit = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
    const last = audit.body.events.at(-1);
    expect(last).toMatchObject({
      reason: 'suspension',
      actor: 'admin:grace',
      rule: { kind: 'subject', sub },
    });
  });

  it('answers a URL that cannot be decoded with the usual JSON error shape', async () => {
    const answer = await http.call('GET', '/%zz');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: 'ERR_BAD_REQUEST', message: 'The URL cannot be decoded.' });
  });
});
