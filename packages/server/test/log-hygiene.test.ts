import { loadConfig, type RunningService, serve } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, CLIENT, freePort, Http } from './support/service.js';

// The service's real pino log, at its most talkative level, while requests carry every kind of secret
// in every place a secret can be: nothing of them may reach a log line.
describe('log lines never hold a token, a password or a secret', () => {
  const lines: string[] = [];
  let service: RunningService;
  let http: Http;

  beforeAll(async () => {
    const port = await freePort();
    const config = loadConfig(
      [
        ...['--port', String(port), '--issuer', `http://localhost:${port}`, '--database', ':memory:'],
        ...[
          '--admin-token',
          ADMIN_TOKEN,
          '--clients',
          `${CLIENT.id}:${CLIENT.secret}`,
          '--log-level',
          'trace',
        ],
      ],
      {},
    );
    service = await serve(config, { logStream: { write: (line: string) => lines.push(line) } });
    http = new Http(service.url);
  });
  afterAll(async () => service?.close());

  it('logs requests by method, path and status only', async () => {
    const password = 'a very secret password 1';
    await http.post('/auth/register', { username: 'logged-user', password });
    const tokens = await http.login('logged-user', password);
    const refreshed = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
    await http.get(`/api/me?access_token=${tokens.access_token}`, refreshed.body.access_token);
    await http.get('/api/me', `${tokens.access_token}x`); // a forged token, refused
    await http.call('GET', '/admin/users', { token: `${ADMIN_TOKEN}-wrong` });
    await http.call('GET', '/admin/users', { token: ADMIN_TOKEN });
    const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
    await http.call('POST', '/oauth/introspect', {
      raw: new URLSearchParams({ token: refreshed.body.access_token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    });
    await http.call('POST', '/oauth/revoke', {
      raw: new URLSearchParams({
        token: refreshed.body.refresh_token,
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await http.call('POST', '/auth/login', {
      raw: `{"username":"logged-user","password":"${password}"`,
      headers: { 'content-type': 'application/json' },
    });
    await http.post('/auth/logout', undefined, refreshed.body.access_token);

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(10); // the log really was written
    expect(log).toContain('"path":"/api/me"');
    const secrets = [
      password,
      ADMIN_TOKEN,
      CLIENT.secret,
      basic.slice(6),
      tokens.access_token,
      tokens.refresh_token,
      refreshed.body.access_token,
      refreshed.body.refresh_token,
    ];
    for (const secret of secrets) {
      // Any 16-character piece of a secret (a JWT's header is shared by all tokens: use its signature).
      const piece = secret.includes('.') ? secret.split('.')[2]!.slice(0, 16) : secret.slice(0, 16);
      expect(log.includes(piece), `a piece of a secret in the log: ${piece.slice(0, 4)}…`).toBe(false);
    }
  });
});
