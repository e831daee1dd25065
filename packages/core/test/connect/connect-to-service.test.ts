// connectToService and its revoker against a stand-in service: what the metadata must hold, where the
// client secret may go, and how the revoker reports each answer of POST /revocations. (The real
// service: e2e/connect-to-service.test.ts and examples/connected-api.)
import { connectToService, RevocableError, ServiceRevoker } from '@revocable/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from '../external/support/json-server.js';
import { issuerKey, jwks } from '../external/support/keys.js';

const SECRET = 'stand-in-secret-0123456789';
let server: TestServer;
let document: Record<string, unknown>;
let revocation: { status: number; body: unknown };
let posted: { authorization: string | undefined; body: unknown }[];

beforeEach(async () => {
  const key = await issuerKey('k1');
  server = await startServer();
  const base = server.origin;
  document = {
    issuer: base,
    jwks_uri: `${base}/.well-known/jwks.json`,
    revocable_audience: 'revocable-api',
    revocable_revocation_policy: { max_token_lifetime_ms: 900_000, clock_skew_ms: 60_000 },
    revocable_feed_endpoint: `${base}/revocations`,
  };
  revocation = { status: 201, body: { seq: 1 } };
  posted = [];
  server.handle = (req, res) => {
    const path = new URL(req.url ?? '/', base).pathname;
    if (path === '/.well-known/oauth-authorization-server') return sendJson(res, document);
    if (path === '/.well-known/jwks.json') return sendJson(res, jwks(key));
    if (path === '/revocations' && req.method === 'GET')
      return sendJson(res, { type: 'snapshot', seq: 0, taken_at: Date.now(), events: [] });
    if (path === '/revocations' && req.method === 'POST') {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        posted.push({ authorization: req.headers.authorization, body: JSON.parse(text) });
        sendJson(res, revocation.body, revocation.status);
      });
      return;
    }
    sendJson(res, {}, 404);
  };
});
afterEach(() => server.close());

async function failure(promise: Promise<unknown>): Promise<RevocableError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof RevocableError)) throw new Error(`expected a RevocableError, got ${String(error)}`);
  expect(error.message).not.toContain(SECRET);
  return error;
}

const connect = () => connectToService(server.origin, { clientId: 'orders-api', clientSecret: SECRET });

describe('connectToService reads what the service publishes', () => {
  it("control: builds the verifier on the service's audience and policy", async () => {
    const connection = await connect();
    try {
      expect(connection.metadata.audience).toBe('revocable-api');
      expect(connection.replica.policy).toEqual({ maxTokenLifetimeMs: 900_000, clockSkewMs: 60_000 });
      expect(connection.verifier.maxTokenLifetimeSec).toBe(900);
    } finally {
      await connection.close();
    }
  });

  for (const member of ['revocable_audience', 'revocable_revocation_policy', 'revocable_feed_endpoint']) {
    it(`refuses metadata without ${member}: not a Revocable service, or an older one`, async () => {
      delete document[member];
      const error = await failure(connect());
      expect(error.code).toBe('ERR_CONFIG_INVALID');
      expect(error.message).toContain(member);
      expect(error.message).toContain('Upgrade the service');
    });
  }

  it('never sends the client secret to a feed on another origin', async () => {
    document['revocable_feed_endpoint'] = 'http://localhost:1/revocations';
    const error = await failure(connect());
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain('http://localhost:1');
    expect(server.hitsOf('/revocations')).toBe(0);
  });
});

describe('ServiceRevoker', () => {
  const revoker = () =>
    new ServiceRevoker({
      endpoint: `${server.origin}/revocations`,
      clientId: 'orders-api',
      clientSecret: SECRET,
    });
  const audit = { reason: 'logout', actor: 'user:alice' } as const;

  it('posts the rule in the feed form with the client credentials, and returns the event', async () => {
    revocation = { status: 201, body: { seq: 7, rule: { kind: 'session' } } };
    expect(await revoker().revokeSession(server.origin, 's-1', audit)).toEqual(revocation.body);
    expect(posted).toEqual([
      {
        authorization: `Basic ${Buffer.from(`orders-api:${SECRET}`).toString('base64')}`,
        body: { rule: { kind: 'session', iss: server.origin, sid: 's-1' }, reason: 'logout' },
      },
    ]);
  });

  it('sends a token rule with its expiry in epoch ms', async () => {
    await revoker().revokeToken(
      { iss: server.origin, tokenId: 'j-1', expiresAtMs: 1_700_000_000_000 },
      audit,
    );
    expect(posted[0]!.body).toEqual({
      rule: { kind: 'token', iss: server.origin, tokenId: 'j-1', expiresAt: 1_700_000_000_000 },
      reason: 'logout',
    });
  });

  it('refuses a cutoff or another reason before sending anything', async () => {
    expect((await failure(revoker().revokeSession(server.origin, 's', audit, Date.now()))).code).toBe(
      'ERR_CONFIG_INVALID',
    );
    const other = await failure(revoker().revokeSubject(server.origin, 'u', { reason: 'admin', actor: 'x' }));
    expect(other.message).toContain('logout or logout_all');
    expect(posted).toEqual([]);
  });

  it('reports each refusal with its own code', async () => {
    const cases = [
      [401, { error: 'ERR_CLIENT_AUTH_FAILED' }, 'ERR_CONFIG_INVALID'],
      [403, { error: 'ERR_RULE_FORBIDDEN', message: 'another issuer' }, 'ERR_REVOCATION_INVALID'],
      [400, { error: 'ERR_REVOCATION_INVALID', message: 'bad' }, 'ERR_REVOCATION_INVALID'],
      [404, { error: 'ERR_NOT_FOUND' }, 'ERR_CONFIG_INVALID'],
      [503, { error: 'ERR_LOG_UNAVAILABLE' }, 'ERR_LOG_UNAVAILABLE'],
    ] as const;
    for (const [status, body, code] of cases) {
      revocation = { status, body };
      const error = await failure(revoker().revokeSession(server.origin, 's', audit));
      expect(error.code, String(status)).toBe(code);
    }
  });
});
