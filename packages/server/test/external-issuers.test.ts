// The service as the revocation point for tokens it did not issue: a trusted issuer from --config is
// introspected, revoked, logged out (with CORS for the SPA's origin) and back-channel logged out, with
// its own lifetime policy and per-client grants. The issuer here is a small stand-in (discovery +
// JWKS, tokens signed with jose); the oidc-provider shapes run in e2e/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningService } from '@revocable/server';
import { loadConfig, serve } from '@revocable/server';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from '../../core/test/external/support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign } from '../../core/test/external/support/keys.js';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, freePort, Http } from './support/service.js';

const SPA = 'http://127.0.0.1:5173';
const GRANTED = { id: 'orders-api', secret: 'orders-api-secret-0123456789' };
const UNGRANTED = { id: 'other-api', secret: 'other-api-secret-0123456789' };
const NO_FEED = { id: 'no-feed-api', secret: 'no-feed-api-secret-0123456789' };
const ENTRA_LIFETIME = 5400;

/** A stand-in for Keycloak-shaped (sid, jti) and Entra-shaped (uti, no sid) issuers on one server. */
interface Op {
  server: TestServer;
  kc: string;
  entra: string;
}

async function startOp(key: IssuerKey): Promise<Op> {
  const server = await startServer();
  const kc = `${server.origin}/realms/shop`;
  const entra = `${server.origin}/tenant/v2.0`;
  server.handle = (req, res) => {
    if (req.url === '/jwks') return sendJson(res, jwks(key));
    if (req.url === '/realms/shop/.well-known/openid-configuration')
      return sendJson(res, { issuer: kc, jwks_uri: `${server.origin}/jwks` });
    sendJson(res, {}, 404);
  };
  return { server, kc, entra };
}

function form(values: Record<string, string>, client?: { id: string; secret: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client)
    headers['authorization'] = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  return { raw: new URLSearchParams(values).toString(), headers };
}

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`trusted issuers through the service on ${backend.name}`, () => {
    let key: IssuerKey;
    let op: Op;
    let service: RunningService;
    let http: Http;
    let configPath: string;

    beforeAll(async () => {
      key = await issuerKey('op-key-1', 'RS256');
      op = await startOp(key);
      const port = await freePort();
      const database = await backend.fresh();
      configPath = join(
        database.startsWith('postgres') ? '/tmp' : database.replace(/revocable\.db$/, ''),
        `revocable-${port}.json`,
      );
      writeFileSync(
        configPath,
        JSON.stringify({
          port,
          issuer: `http://localhost:${port}`,
          database,
          adminToken: ADMIN_TOKEN,
          logLevel: 'silent',
          accessTokenTtl: 600,
          spaOrigins: [SPA],
          trustedIssuers: [
            {
              id: 'kc',
              profile: 'keycloak',
              issuer: op.kc,
              audience: 'orders',
              maxTokenLifetime: 300,
              allowInsecureLocalhost: true,
              backchannelLogout: { clientId: 'spa' },
            },
            {
              id: 'entra',
              profile: 'entra-v2',
              issuer: op.entra,
              jwksUri: `${op.server.origin}/jwks`,
              audience: 'api://orders',
              maxTokenLifetime: ENTRA_LIFETIME,
              allowInsecureLocalhost: true,
            },
          ],
          clients: [
            {
              ...GRANTED,
              permissions: { introspect: ['self', 'kc', 'entra'], revoke: ['kc', 'entra'], feed: true },
            },
            { ...UNGRANTED },
            { ...NO_FEED, permissions: { introspect: ['self'] } },
          ],
        }),
      );
      service = await serve(loadConfig(['--config', configPath], {}), { logger: false });
      http = new Http(service.url);
    });
    afterAll(async () => {
      await service?.close();
      await op?.server.close();
      await backend.cleanup();
    });

    const now = () => Math.floor(Date.now() / 1000);
    const kcToken = (extra: Record<string, unknown> = {}) =>
      sign(
        key,
        {
          iss: op.kc,
          sub: 'kc-user',
          aud: 'orders',
          azp: 'spa',
          scope: 'openid orders',
          sid: `sid-${Math.random()}`,
          jti: `jti-${Math.random()}`,
          iat: now(),
          exp: now() + 300,
          ...extra,
        },
        { typ: 'JWT' },
      );
    const entraToken = (extra: Record<string, unknown> = {}) =>
      sign(
        key,
        {
          iss: op.entra,
          sub: 'entra-user',
          aud: 'api://orders',
          azp: 'spa-app',
          scp: 'Orders.Read',
          uti: `uti-${Math.random()}`,
          ver: '2.0',
          iat: now(),
          exp: now() + 80 * 60,
          ...extra,
        },
        { typ: 'JWT' },
      );
    const introspect = (token: string, client = GRANTED) =>
      http.call('POST', '/oauth/introspect', form({ token }, client));
    const revoke = (token: string, extra: Record<string, string> = {}, client = GRANTED) =>
      http.call('POST', '/oauth/revoke', form({ token, ...extra }, client));

    it('introspects a 90-minute Entra token as RFC 7662 clients read it', async () => {
      const token = await entraToken();
      const answer = await introspect(token);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        active: true,
        iss: op.entra,
        sub: 'entra-user',
        aud: 'api://orders',
        scope: 'Orders.Read',
        client_id: 'spa-app',
        token_type: 'access_token',
      });
      expect(typeof answer.body.exp).toBe('number');
      expect(typeof answer.body.iat).toBe('number');
    });

    it('answers inactive to a client not granted that issuer, and to an untrusted issuer', async () => {
      expect((await introspect(await entraToken(), UNGRANTED)).body).toEqual({ active: false });
      const stranger = await sign(key, {
        iss: 'https://stranger.example',
        sub: 'x',
        aud: 'orders',
        iat: now(),
        exp: now() + 60,
        jti: 'j',
      });
      expect((await introspect(stranger)).body).toEqual({ active: false });
    });

    it('revokes an Entra token by its uti (RFC 7009), kept by Entra’s lifetime, not the service’s', async () => {
      const token = await entraToken();
      expect((await revoke(token)).status).toBe(200);
      expect((await introspect(token)).body).toEqual({ active: false });
      const events = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
      const written = events.body.events.find(
        (e: { rule: { kind: string; iss: string } }) => e.rule.kind === 'token' && e.rule.iss === op.entra,
      );
      expect(written).toBeDefined();
      // Another token of the same user is untouched.
      expect((await introspect(await entraToken())).body.active).toBe(true);
    });

    it('refuses revocation to a client not granted that issuer, writing nothing', async () => {
      const token = await entraToken();
      const refused = await revoke(token, {}, UNGRANTED);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: 'unauthorized_client', code: 'ERR_CLIENT_FORBIDDEN' });
      expect((await introspect(token)).body.active).toBe(true);
    });

    it('answers 200 for an untrusted issuer’s token, and counts it', async () => {
      const stranger = await sign(key, {
        iss: 'https://stranger.example',
        sub: 'x',
        aud: 'orders',
        iat: now(),
        exp: now() + 60,
        jti: 'j',
      });
      const before = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
      expect((await revoke(stranger)).status).toBe(200);
      const after = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
      expect(after.body.events.length).toBe(before.body.events.length);
      const metrics = await fetch(`${service.url}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/revocable_revoke_untrusted_total \d*[1-9]/);
    });

    it('revokes the whole Keycloak session or the subject when the client asks', async () => {
      const sid = 'kc-session-1';
      const first = await kcToken({ sid });
      const sibling = await kcToken({ sid });
      const other = await kcToken({ sid: 'kc-session-2' });
      expect((await revoke(first, { revocation_target: 'session' })).status).toBe(200);
      expect((await introspect(sibling)).body.active).toBe(false);
      expect((await introspect(other)).body.active).toBe(true);
      expect((await revoke(other, { revocation_target: 'subject' })).status).toBe(200);
      expect((await introspect(await kcToken({ iat: now() - 5 }))).body.active).toBe(false);
      const bad = await revoke(await entraToken(), { revocation_target: 'session' });
      expect(bad.body).toMatchObject({ error: 'invalid_request' });
    });

    it("logs out with the SPA's bearer token from its origin (CORS, no credentials), retry-safe", async () => {
      const token = await entraToken();
      const preflight = await fetch(`${service.url}/auth/logout`, {
        method: 'OPTIONS',
        headers: {
          origin: SPA,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(SPA);
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      const foreign = await fetch(`${service.url}/auth/logout`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const out = await http.call('POST', '/auth/logout', { token, headers: { origin: SPA } });
      expect(out.status).toBe(204);
      expect(out.headers.get('access-control-allow-origin')).toBe(SPA);
      expect((await introspect(token)).body.active).toBe(false);
      expect((await http.call('POST', '/auth/logout', { token })).status).toBe(204);
      // Not an API: the service's own routes still refuse the external token.
      expect((await http.get('/api/me', await entraToken())).status).toBe(401);
    });

    it('logs out everywhere with a subject cutoff for that issuer only', async () => {
      const token = await kcToken({ sub: 'everywhere' });
      const own = await http.registerAndLogin('everywhere');
      const out = await http.call('POST', '/auth/logout-all', { token });
      expect(out.status).toBe(200);
      expect(out.body).toEqual({ ended_sessions: 0 });
      expect((await introspect(await kcToken({ sub: 'everywhere', iat: now() - 2 }))).body.active).toBe(
        false,
      );
      // The service's own user of the same name keeps their session.
      expect((await http.get('/api/me', own.access_token)).status).toBe(200);
    });

    async function logoutToken(iss: string, claims: Record<string, unknown> = {}) {
      return new SignJWT({
        iss,
        aud: 'spa',
        sub: 'kc-user',
        sid: 'bc-session',
        jti: `lt-${Math.random()}`,
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'logout+jwt' })
        .setIssuedAt()
        .setExpirationTime('2m')
        .sign(key.privateKey);
    }
    const backchannel = (issuerId: string, token: string) =>
      http.call('POST', `/backchannel-logout/${issuerId}`, form({ logout_token: token }));

    it('turns a back-channel logout token into a session rule; a replay and a foreign issuer are refused', async () => {
      const access = await kcToken({ sid: 'bc-session', iat: now() - 2 });
      const lt = await logoutToken(op.kc);
      expect((await backchannel('kc', lt)).status).toBe(200);
      expect((await introspect(access)).body.active).toBe(false);
      const replay = await backchannel('kc', lt);
      expect(replay.status).toBe(400);
      expect(replay.body).toMatchObject({ error: 'invalid_request', code: 'ERR_CLAIM_INVALID' });
      const before = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
      const foreign = await backchannel('kc', await logoutToken(op.entra, { sid: 'x' }));
      expect(foreign.status).toBe(400);
      const after = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
      expect(after.body.events.length).toBe(before.body.events.length);
      expect((await backchannel('entra', lt)).status).toBe(404);
      expect((await backchannel('nope', lt)).status).toBe(404);
    });

    it('refuses a logout token replayed to a second process on the same database', async () => {
      const second = await serve(
        loadConfig(['--config', configPath, '--port', String(await freePort())], {}),
        {
          logger: false,
        },
      );
      try {
        const lt = await logoutToken(op.kc, { sid: 'bc-session-2' });
        expect((await backchannel('kc', lt)).status).toBe(200);
        const replay = await new Http(second.url).call(
          'POST',
          '/backchannel-logout/kc',
          form({ logout_token: lt }),
        );
        expect(replay.status).toBe(400);
        expect(replay.body.code).toBe('ERR_CLAIM_INVALID');
      } finally {
        await second.close();
      }
    });

    it('shows the trusted issuers and their key state to the admin', async () => {
      const answer = await http.call('GET', '/admin/issuers', { token: ADMIN_TOKEN });
      expect(answer.status).toBe(200);
      expect(answer.body.issuers).toEqual([
        expect.objectContaining({ id: 'kc', state: 'ready', kids: ['op-key-1'], backchannel_logout: true }),
        expect.objectContaining({ id: 'entra', state: 'ready', max_token_lifetime_sec: ENTRA_LIFETIME }),
      ]);
    });

    it('publishes each issuer’s lifetime in its metadata, for connected APIs', async () => {
      const metadata = await http.get('/.well-known/oauth-authorization-server');
      expect(metadata.body.revocable_revocation_policy.issuers[op.entra]).toEqual({
        max_token_lifetime_ms: ENTRA_LIFETIME * 1000,
      });
    });

    it('lets a granted client follow the feed and write rules for its issuers only', async () => {
      const basic = (client: { id: string; secret: string }) =>
        `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
      const write = (client: { id: string; secret: string }, rule: object) =>
        http.call('POST', '/revocations', { body: { rule }, headers: { authorization: basic(client) } });
      expect((await write(GRANTED, { kind: 'subject', iss: op.entra, sub: 'feed-user' })).status).toBe(201);
      const refused = await write(UNGRANTED, { kind: 'subject', iss: op.entra, sub: 'feed-user' });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toBe('ERR_RULE_FORBIDDEN');
      const read = (client: { id: string; secret: string }) =>
        http.call('GET', '/revocations', { headers: { authorization: basic(client) } });
      expect((await read(GRANTED)).status).toBe(200);
      const noFeed = await read(NO_FEED);
      expect(noFeed.status).toBe(403);
      expect(noFeed.body.error).toBe('ERR_CLIENT_FORBIDDEN');
    });
  });
}

describe('the configuration file', () => {
  const file = (content: unknown) => {
    const path = join('/tmp', `revocable-config-${process.pid}-${Math.random()}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const refusal = (content: unknown, argv: string[] = []) => {
    try {
      loadConfig(['--config', file(content), ...argv], {});
    } catch (err) {
      return `${(err as { code: string }).code}: ${(err as Error).message}`;
    }
    return 'accepted';
  };

  it('takes options by camelCase name, flags and environment override it', () => {
    const path = file({ accessTokenTtl: 300, port: 4100 });
    expect(loadConfig(['--config', path], {}).accessTokenTtlSec).toBe(300);
    expect(loadConfig(['--config', path, '--access-token-ttl', '120'], {}).accessTokenTtlSec).toBe(120);
    expect(loadConfig([], { REVOCABLE_CONFIG: path, REVOCABLE_PORT: '4200' }).port).toBe(4200);
  });

  it.each([
    [{ acessTokenTtl: 300 }, /acessTokenTtl is not a known setting/],
    ['{ not json', /is not valid JSON/],
    [
      { trustedIssuers: [{ id: 'a', profile: 'auth0', issuer: 'https://a.example/', audience: 'x' }] },
      /trustedIssuers\[0\]\.maxTokenLifetime/,
    ],
    [{ clients: [{ id: 'c', secret: 'short' }] }, /clients\[0\]\.secret/],
    [
      { clients: [{ id: 'c', secret: 'long-enough-secret-123', permissions: { revoke: ['entra'] } }] },
      /clients\[0\]\.permissions\.revoke names "entra"/,
    ],
    [{ spaOrigins: ['https://app.example/path'] }, /--spa-origins/],
  ])('refuses %j, naming the field', (content, message) => {
    expect(refusal(content)).toMatch(/^ERR_CONFIG_INVALID: /);
    expect(refusal(content)).toMatch(message);
  });

  it('never echoes a client secret in a refusal', () => {
    const secret = 'secret-value-that-must-not-show';
    expect(refusal({ clients: [{ id: 'bad id!', secret }] })).not.toContain(secret);
  });
});
