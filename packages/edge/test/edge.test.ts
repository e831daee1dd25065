// The edge in process against a real service (in-memory storage) and a Node upstream: the proxy, the
// forward-auth endpoint and introspection decide alike, identity reaches the upstream and only from
// the edge, revocations are refused as soon as the feed brings them, and a silent feed fails closed.
import { connect } from 'node:net';
import { type RunningEdge, startEdge } from '@revocable/edge';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingUpstream, startRecordingUpstream } from './support/recording-upstream.js';
import { CLIENT, eventually, freePort, startTestService, type TestService } from './support/service.js';

const INTROSPECTOR = { id: 'spring-api', secret: 'introspection-secret-0123456789' };
let service: TestService;
let upstream: RecordingUpstream;
let edge: RunningEdge;

beforeAll(async () => {
  service = await startTestService();
  upstream = await startRecordingUpstream();
  const port = await freePort();
  edge = await startEdge({
    service: service.issuer,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    port,
    upstream: upstream.url,
    rules: [
      { pattern: '/health', access: { kind: 'public' } },
      { pattern: '/public/*', access: { kind: 'public' } },
      { method: 'DELETE', pattern: '/orders/*', access: { kind: 'token', scopes: ['orders:admin'] } },
      { pattern: '/orders/*', access: { kind: 'token', scopes: ['orders:read'] } },
    ],
    assertion: { audience: 'orders-api' },
    introspectionClients: new Map([[INTROSPECTOR.id, INTROSPECTOR.secret]]),
  });
});
afterAll(async () => {
  await edge?.close();
  await upstream?.close();
  await service?.service.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function lastReceived() {
  return upstream.received.at(-1)!;
}

describe('the reverse proxy', () => {
  it('control: a valid token with the scope reaches the upstream, with its identity', async () => {
    const { access_token } = await service.mint('alice', 'orders:read profile');
    const answer = await fetch(`${edge.url}/orders/42?x=1`, { headers: bearer(access_token) });
    expect(answer.status).toBe(200);
    const seen = lastReceived();
    expect(seen.url).toBe('/orders/42?x=1');
    expect(seen.headers['x-revocable-sub']).toBe('alice');
    expect(seen.headers['x-revocable-iss']).toBe(service.issuer);
    expect(seen.headers['x-revocable-scope']).toBe('orders:read profile');
    const claims = JSON.parse(
      Buffer.from(String(seen.headers['x-revocable-claims']), 'base64url').toString(),
    );
    expect(claims).toMatchObject({ sub: 'alice', iss: service.issuer, scope: 'orders:read profile' });
  });

  it('no token: 401 with the RFC 6750 challenge, and the upstream never hears of it', async () => {
    const before = upstream.received.length;
    const answer = await fetch(`${edge.url}/orders/42`);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await answer.json()).toMatchObject({ error: 'ERR_TOKEN_MISSING' });
    expect(upstream.received.length).toBe(before);
  });

  it('a token without the scope the path needs: 403 insufficient_scope naming it', async () => {
    const { access_token } = await service.mint('bob', 'profile');
    const answer = await fetch(`${edge.url}/orders/42`, { headers: bearer(access_token) });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(answer.headers.get('www-authenticate')).toContain('scope="orders:read"');
  });

  it('a method rule comes before the path rule below it', async () => {
    const { access_token } = await service.mint('carol', 'orders:read');
    const read = await fetch(`${edge.url}/orders/7`, { headers: bearer(access_token) });
    expect(read.status).toBe(200);
    const remove = await fetch(`${edge.url}/orders/7`, { method: 'DELETE', headers: bearer(access_token) });
    expect(remove.status).toBe(403);
  });

  it('public paths pass without a token, and without any identity', async () => {
    const answer = await fetch(`${edge.url}/public/logo.svg`);
    expect(answer.status).toBe(200);
    expect(Object.keys(lastReceived().headers).filter((h) => h.startsWith('x-revocable-'))).toEqual([]);
  });

  it('client-sent X-Revocable-* headers never reach the upstream, public path or not', async () => {
    const spoof = {
      'X-Revocable-Sub': 'admin',
      'x-revocable-scope': 'orders:admin',
      'X-REVOCABLE-CLAIMS': 'e30',
      'X-Revocable-Assertion': 'forged',
      'X-Revocable-Anything': 'forged',
    };
    await fetch(`${edge.url}/health`, { headers: spoof });
    const publicSeen = lastReceived().headers;
    expect(Object.keys(publicSeen).filter((h) => h.startsWith('x-revocable-'))).toEqual([]);
    const { access_token } = await service.mint('dave', 'orders:read');
    await fetch(`${edge.url}/orders/1`, { headers: { ...spoof, ...bearer(access_token) } });
    const seen = lastReceived().headers;
    expect(seen['x-revocable-sub']).toBe('dave');
    expect(seen['x-revocable-scope']).toBe('orders:read');
    expect(seen['x-revocable-anything']).toBeUndefined();
    expect(seen['x-revocable-assertion']).not.toBe('forged');
  });

  it('the assertion JWT verifies against the edge JWKS, and says who the token belongs to', async () => {
    const { access_token } = await service.mint('erin', 'orders:read');
    await fetch(`${edge.url}/orders/1`, { headers: bearer(access_token) });
    const assertion = String(lastReceived().headers['x-revocable-assertion']);
    const keys = createRemoteJWKSet(new URL(`${edge.url}/_revocable/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(assertion, keys, {
      issuer: edge.url,
      audience: 'orders-api',
      algorithms: ['RS256'],
    });
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload).toMatchObject({ sub: 'erin', scope: 'orders:read', token_iss: service.issuer });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
  });

  it('a path the upstream could read as another is refused before the rules', async () => {
    for (const path of ['/public/..%2forders/1', '/public/%2e%2e/orders/1', '/public//x', '/public\\..']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(edge.url).port), '127.0.0.1', () =>
          socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer, path).toMatch(/^HTTP\/1\.1 400/);
      expect(answer, path).toContain('ERR_BAD_REQUEST');
    }
  });

  it('a logout at the service is refused by the edge as soon as the feed brings it', async () => {
    const { access_token } = await service.mint('frank', 'orders:read');
    const call = () => fetch(`${edge.url}/orders/1`, { headers: bearer(access_token) });
    expect((await call()).status).toBe(200);
    await service.logout(access_token);
    const answer = await eventually(call, (a) => a.status !== 200);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
    expect(answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('request smuggling: conflicting Content-Length and Transfer-Encoding is refused, never forwarded', async () => {
    const before = upstream.received.length;
    const raw = [
      'POST /public/x HTTP/1.1',
      'Host: x',
      'Content-Length: 4',
      'Transfer-Encoding: chunked',
      '',
      '0',
      '',
      'GET /orders/1 HTTP/1.1',
      'Host: x',
      '',
      '',
    ].join('\r\n');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(edge.url).port), '127.0.0.1', () => socket.write(raw));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('ERR_BAD_REQUEST');
    expect(answer.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(upstream.received.length).toBe(before);
  });
});

describe('the forward-auth endpoint', () => {
  const auth = (headers: Record<string, string>, path = '/_revocable/auth') =>
    fetch(`${edge.url}${path}`, { headers });

  it('control: Traefik/Caddy style, 200 with the identity in response headers', async () => {
    const { access_token } = await service.mint('gina', 'orders:read');
    const answer = await auth({
      ...bearer(access_token),
      'x-forwarded-method': 'GET',
      'x-forwarded-uri': '/orders/3',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-revocable-sub')).toBe('gina');
    expect(answer.headers.get('x-revocable-scope')).toBe('orders:read');
    expect(answer.headers.get('x-revocable-assertion')).toMatch(/^ey/);
  });

  it('the rules see the original method and URI, not the auth request', async () => {
    const { access_token } = await service.mint('hank', 'orders:read');
    const remove = await auth({
      ...bearer(access_token),
      'x-forwarded-method': 'DELETE',
      'x-forwarded-uri': '/orders/3',
    });
    expect(remove.status).toBe(403);
    const open = await auth({ 'x-original-method': 'GET', 'x-original-uri': '/public/a' });
    expect(open.status).toBe(200);
    expect(open.headers.get('x-revocable-sub')).toBe('');
  });

  it("Envoy ext_authz: the original path follows the endpoint's path, with the original method", async () => {
    const { access_token } = await service.mint('ivy', 'orders:read');
    expect((await auth(bearer(access_token), '/_revocable/auth/orders/9?y=2')).status).toBe(200);
    const answer = await fetch(`${edge.url}/_revocable/auth/orders/9`, {
      method: 'DELETE',
      headers: bearer(access_token),
    });
    expect(answer.status).toBe(403);
  });

  it('no token: 401 with WWW-Authenticate for the proxy to pass on', async () => {
    const answer = await auth({ 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/orders/3' });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it("a client's own X-Forwarded-* never overrides what the proxy set as X-Original-*", async () => {
    const { access_token } = await service.mint('kim', 'orders:read');
    // Behind a proxy that sets X-Original-URI/-Method, a client adds its own X-Forwarded-Uri.
    const conflicting = await auth({
      ...bearer(access_token),
      'x-original-method': 'DELETE',
      'x-original-uri': '/orders/3',
      'x-forwarded-uri': '/public/x',
    });
    expect(conflicting.status).toBe(400);
    expect(await conflicting.json()).toMatchObject({ error: 'ERR_BAD_REQUEST' });
    // The method is read from the URI's own pair, not mixed with the other one.
    const mixed = await auth({
      ...bearer(access_token),
      'x-original-method': 'DELETE',
      'x-original-uri': '/orders/3',
      'x-forwarded-method': 'GET',
    });
    expect(mixed.status).toBe(403);
  });

  it("a URL that cannot be decoded: the edge's 400, never echoing the query (a token)", async () => {
    const answer = await fetch(`${edge.url}/%zz?access_token=secret-token-value`);
    expect(answer.status).toBe(400);
    const text = await answer.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'ERR_BAD_REQUEST' });
    expect(text).not.toContain('secret-token-value');
  });

  it('an auth request that does not say what it is about is refused, not waved through', async () => {
    const { access_token } = await service.mint('jack', 'orders:read');
    const answer = await auth(bearer(access_token));
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: 'ERR_BAD_REQUEST' });
  });
});

describe('local RFC 7662 introspection', () => {
  const basic = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const introspect = (token: string, authorization = basic(INTROSPECTOR.id, INTROSPECTOR.secret)) =>
    fetch(`${edge.url}/_revocable/introspect`, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token }).toString(),
    });

  it("control: an active token, with every member Spring's introspector reads", async () => {
    const { access_token } = await service.mint('kim', 'orders:read profile');
    const answer = await introspect(access_token);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      active: true,
      sub: 'kim',
      scope: 'orders:read profile',
      iss: service.issuer,
      token_type: 'Bearer',
    });
    for (const member of ['exp', 'iat', 'client_id', 'aud']) expect(body[member], member).toBeDefined();
    expect(typeof body['exp']).toBe('number');
  });

  it('a wrong secret or no credentials: 401 invalid_client with a Basic challenge', async () => {
    const { access_token } = await service.mint('lee');
    for (const authorization of [
      basic(INTROSPECTOR.id, 'wrong-secret-0123456789'),
      basic('nobody', INTROSPECTOR.secret),
      '',
    ]) {
      const answer = await introspect(access_token, authorization);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('Basic');
      const text = await answer.text();
      expect(JSON.parse(text)).toMatchObject({ error: 'invalid_client', code: 'ERR_CLIENT_AUTH_FAILED' });
      expect(text).not.toContain(access_token);
    }
  });

  it('revoked and garbage tokens are inactive, and nothing else is said', async () => {
    const { access_token } = await service.mint('mo', 'orders:read');
    await service.logout(access_token);
    const answer = await eventually(
      async () => (await introspect(access_token)).json() as Promise<Record<string, unknown>>,
      (body) => body['active'] === false,
    );
    expect(answer).toEqual({ active: false });
    expect(await (await introspect('not-a-token')).json()).toEqual({ active: false });
  });
});

describe('staleness', () => {
  it('an edge cut off from its feed fails closed after maxStalenessMs, and says so', async () => {
    const own = await startTestService();
    const port = await freePort();
    const cutOff = await startEdge({
      service: own.issuer,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      port,
      upstream: upstream.url,
      maxStalenessMs: 3000,
    });
    try {
      const { access_token } = await own.mint('nina');
      const call = () => fetch(`${cutOff.url}/orders/1`, { headers: bearer(access_token) });
      expect((await call()).status).toBe(200);
      await own.service.close();
      const started = Date.now();
      const answer = await eventually(call, (a) => a.status !== 200, 20_000);
      expect(answer.status).toBe(503);
      expect(await answer.json()).toMatchObject({ error: 'ERR_REVOCATION_STALE' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      expect((await fetch(`${cutOff.url}/_revocable/health`)).status).toBe(503);
    } finally {
      await cutOff.close();
    }
  }, 40_000);

  it('an upstream that is down: 502 ERR_UPSTREAM_UNAVAILABLE, not a hang or a crash', async () => {
    const port = await freePort();
    const dangling = await startEdge({
      service: service.issuer,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      port,
      upstream: `http://127.0.0.1:${await freePort()}`,
      rules: [{ pattern: '/*', access: { kind: 'public' } }],
    });
    try {
      const answer = await fetch(`${dangling.url}/x`);
      expect(answer.status).toBe(502);
      expect(await answer.json()).toMatchObject({ error: 'ERR_UPSTREAM_UNAVAILABLE' });
    } finally {
      await dangling.close();
    }
  });
});
