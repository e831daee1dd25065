import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, CLIENT, Http, startService } from './support/service.js';

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  raw: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
});
const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;

// Where no client authenticates (POST /auth/login, an unauthenticated refresh at /oauth/token), only
// the configured public clients may be named; a confidential client must authenticate.
describe('public and confidential clients over HTTP', () => {
  const backend = BACKENDS[0]!;
  let service: RunningService;
  let http: Http;

  beforeAll(async () => {
    service = await startService(await backend.fresh(), ['--public-clients', 'revocable-web,ios-app']);
    http = new Http(service.url);
    await http.post('/auth/register', { username: 'client-user', password: 'correct horse battery' });
  });
  afterAll(async () => {
    await service?.close();
    await backend.cleanup();
  });

  const login = (clientId?: string) =>
    http.post('/auth/login', {
      username: 'client-user',
      password: 'correct horse battery',
      ...(clientId !== undefined && { client_id: clientId }),
    });

  const introspectedClient = async (accessToken: string) =>
    (await http.call('POST', '/oauth/introspect', form({ token: accessToken }, { authorization: basic })))
      .body.client_id;

  it('logs in for the default public client and for each listed one: the tokens carry it', async () => {
    const web = await login();
    expect(web.status).toBe(200);
    expect(await introspectedClient(web.body.access_token)).toBe('revocable-web');
    const ios = await login('ios-app');
    expect(ios.status).toBe(200);
    expect(await introspectedClient(ios.body.access_token)).toBe('ios-app');
  });

  it('refuses a login naming a confidential client, a reserved word or an unknown id', async () => {
    for (const clientId of [CLIENT.id, 'trusted-backend', 'system', 'admin', 'nobody-knows-me']) {
      const answer = await login(clientId);
      expect(answer.status, clientId).toBe(400);
      expect(answer.body.error, clientId).toBe('ERR_CLIENT_INVALID');
      expect(answer.body.access_token, clientId).toBeUndefined();
    }
  });

  it('refreshes at /oauth/token for a named public client without a secret', async () => {
    const tokens = (await login('ios-app')).body;
    const answer = await http.call(
      'POST',
      '/oauth/token',
      form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'ios-app' }),
    );
    expect(answer.status).toBe(200);
    expect(await introspectedClient(answer.body.access_token)).toBe('ios-app');
  });

  it('refuses a refresh token of one public client offered by another: invalid_grant', async () => {
    const tokens = (await login('ios-app')).body;
    const answer = await http.call(
      'POST',
      '/oauth/token',
      form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'revocable-web' }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_grant');
  });

  it('refuses a refresh naming a confidential client without its secret, or an unknown id: invalid_client', async () => {
    for (const clientId of [CLIENT.id, 'nobody-knows-me', 'trusted-backend']) {
      const tokens = (await login()).body;
      const answer = await http.call(
        'POST',
        '/oauth/token',
        form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId }),
      );
      // No client authentication was included: 400 (RFC 6749 §5.2), not a Basic challenge.
      expect(answer.status, clientId).toBe(400);
      expect(answer.body, clientId).toMatchObject({ error: 'invalid_client', code: 'ERR_CLIENT_INVALID' });
      expect(answer.headers.get('www-authenticate'), clientId).toBeNull();
      // The token was not spent: the refused request changed nothing.
      const after = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(after.status, clientId).toBe(200);
    }
  });

  it('refuses a client_id that contradicts the client that authenticated', async () => {
    const tokens = (await login()).body;
    const answer = await http.call(
      'POST',
      '/oauth/token',
      form(
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'revocable-web' },
        { authorization: basic },
      ),
    );
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });
});
