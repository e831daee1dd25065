// connectToService against the real service: what it builds works in the framework adapters as it
// is, it follows Redis when given a RedisFeedSource, and each mistake a new user makes fails at
// start with a message naming what was tried, what was seen and what to change, never the secret.
import {
  connectToService,
  type FeedSource,
  HttpFeedSource,
  RevocableError,
  type ServiceConnection,
} from '@revocable/core';
import { requireAuth as expressAuth, revoke as expressRevoke } from '@revocable/core/express';
import { requireAuth as fastifyAuth, revoke as fastifyRevoke, revocable } from '@revocable/core/fastify';
import { RedisFeedSource } from '@revocable/redis';
import type { RunningService } from '@revocable/server';
import express from 'express';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, CLIENT, freePort, Http, startService } from '../packages/server/test/support/service.js';

const WRONG_SECRET = 'wrong-secret-that-must-never-show-0123';
const backend = BACKENDS[0]!;
let service: RunningService;
let issuer: string;
let http: Http;
const connections: ServiceConnection[] = [];

beforeAll(async () => {
  service = await startService(await backend.fresh());
  issuer = service.runtime.config.issuer;
  http = new Http(service.url);
});
afterAll(async () => {
  for (const connection of connections.splice(0)) await connection.close();
  await service?.close();
  await backend.cleanup();
});

async function connected(options: Partial<Parameters<typeof connectToService>[1]> = {}, url = issuer) {
  const connection = await connectToService(url, {
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    ...options,
  });
  connections.push(connection);
  return connection;
}

/** The error `connectToService` fails with; its message never holds a secret. */
async function failure(url: string, options: Partial<Parameters<typeof connectToService>[1]> = {}) {
  const error = await connected(options, url).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof RevocableError)) throw new Error(`expected a RevocableError, got ${String(error)}`);
  expect(error.message).not.toContain(CLIENT.secret);
  expect(error.message).not.toContain(WRONG_SECRET);
  return error;
}

/** Polls `call` until it answers other than 200, up to 2 s. */
async function refused(call: () => Promise<Response>): Promise<{ status: number; error?: string }> {
  let answer = await call();
  for (const deadline = Date.now() + 2_000; answer.status === 200 && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    answer = await call();
  }
  return { status: answer.status, ...((await answer.json()) as { error?: string }) };
}

describe('connectToService fails at start, saying what to change', () => {
  it('control: the right URL and credentials connect', async () => {
    const connection = await connected();
    expect(connection.issuer).toBe(issuer);
    expect(connection.metadata.feedEndpoint).toBe(`${issuer}/revocations`);
  });

  it('a URL with no RFC 8414 metadata: the URL tried, the 404, and that it is no OIDC discovery', async () => {
    const error = await failure(`${issuer}/auth`);
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(error.message).toContain(`GET ${issuer}/auth/.well-known/oauth-authorization-server answered 404`);
    expect(error.message).toContain('is this a Revocable service'.replace('this', `${issuer}/auth`));
    expect(error.message).toContain('not OIDC discovery');
  });

  it('another name for the service than its --issuer: both values, and what to change', async () => {
    const other = issuer.replace('localhost', '127.0.0.1');
    const error = await failure(other);
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain(`"${issuer}"`);
    expect(error.message).toContain(`"${other}"`);
    expect(error.message).toContain(`--issuer ${other}`);
  });

  it('a wrong secret: the service refused the credentials of the client, and how to get one', async () => {
    const error = await failure(issuer, { clientSecret: WRONG_SECRET });
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain(`refused the client credentials of "${CLIENT.id}"`);
    expect(error.message).toContain(`npx revocable client add ${CLIENT.id}`);
  });

  it('an unknown client id: the same, naming that id', async () => {
    const error = await failure(issuer, { clientId: 'orders-api' });
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain('"orders-api"');
    expect(error.message).toContain('npx revocable client add orders-api');
  });

  it('a wrong secret with another feed: still refused at start, not at the first logout', async () => {
    const feed: FeedSource = new HttpFeedSource({
      url: issuer,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
    });
    const error = await failure(issuer, { clientSecret: WRONG_SECRET, feed });
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain(`npx revocable client add ${CLIENT.id}`);
  });

  it('nothing listening: the URL tried, and whether the service runs', async () => {
    const url = `http://localhost:${await freePort()}`;
    const error = await failure(url);
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(error.message).toContain(`GET ${url}/.well-known/oauth-authorization-server failed`);
    expect(error.message).toContain('running');
  });

  it('plain http: off this machine is refused before any request', async () => {
    const error = await failure('http://auth.example');
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain('https:');
  });

  it('a missing secret says where it comes from', async () => {
    const error = await failure(issuer, { clientSecret: '' });
    expect(error.message).toContain('npx revocable client add');
  });
});

describe('the framework adapters take the connection as it is', () => {
  it("Express: requireAuth(connection), and revoke(connection.revoker, req.auth) for the API's logout", async () => {
    const connection = await connected();
    const app = express();
    app.get('/me', expressAuth(connection), (req, res) => res.json(req.auth!.claims));
    app.post('/logout', expressAuth(connection), async (req, res) => {
      await expressRevoke(connection.revoker, req.auth);
      res.sendStatus(204);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const tokens = await http.registerAndLogin('express-user');
      const me = () => fetch(`${base}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect((await me()).status).toBe(200);
      const logout = await fetch(`${base}/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(logout.status).toBe(204);
      expect(await refused(me)).toMatchObject({ status: 401, error: 'ERR_TOKEN_REVOKED' });
      expect((await http.post('/auth/refresh', { refresh_token: tokens.refresh_token })).status).toBe(401);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('Fastify: the plugin and the preHandler take the connection', async () => {
    const connection = await connected();
    const app = Fastify();
    await app.register(revocable, connection);
    app.get('/me', { preHandler: fastifyAuth(connection) }, async (request) => request.auth!.claims);
    app.post('/logout', { preHandler: app.authenticate }, async (request, reply) => {
      await fastifyRevoke(connection.revoker, request.auth);
      return reply.status(204).send();
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const tokens = await http.registerAndLogin('fastify-user');
      const me = () => fetch(`${base}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect((await me()).status).toBe(200);
      const logout = await fetch(`${base}/logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      expect(logout.status).toBe(204);
      expect(await refused(me)).toMatchObject({ status: 401, error: 'ERR_TOKEN_REVOKED' });
    } finally {
      await app.close();
    }
  });
});

const REDIS_URL = process.env.REVOCABLE_TEST_REDIS ?? 'redis://127.0.0.1:6379';

async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    if (process.env.CI === 'true')
      throw new Error(`Redis is required in CI but not reachable at ${REDIS_URL}`, { cause: err });
    console.warn(`Redis not reachable at ${REDIS_URL}: skipping connectToService with a Redis feed.`);
    return false;
  } finally {
    probe.disconnect();
  }
}

describe.skipIf(!(await redisAvailable()))('connectToService with a RedisFeedSource', () => {
  const prefix = `connect${process.pid}-${Date.now()}`;
  let redisService: RunningService;
  let client: Redis;

  beforeAll(async () => {
    redisService = await startService(await backend.fresh(), [
      '--redis',
      REDIS_URL,
      '--redis-key-prefix',
      prefix,
    ]);
    client = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    if (client) {
      for (const key of await client.keys(`{${prefix}:*`)) await client.del(key);
      client.disconnect();
    }
    await redisService?.close();
  });

  it('follows the stream: a logout at the service is refused by the API; close() leaves the client open', async () => {
    const url = redisService.runtime.config.issuer;
    const feed = new RedisFeedSource({
      client,
      issuer: url,
      keyPrefix: prefix,
      fallback: new HttpFeedSource({ url, clientId: CLIENT.id, clientSecret: CLIENT.secret }),
      fallbackAfterMs: 0, // so only the stream can bring the revocation
    });
    const connection = await connectToService(url, {
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      feed,
    });
    try {
      const service = new Http(redisService.url);
      const tokens = await service.registerAndLogin('redis-user');
      expect(connection.verifier.verifySync(tokens.access_token).claims.sub).toBeDefined();
      expect((await service.post('/auth/logout', undefined, tokens.access_token)).status).toBe(204);
      let error: unknown;
      for (const deadline = Date.now() + 3_000; error === undefined && Date.now() < deadline; ) {
        try {
          connection.verifier.verifySync(tokens.access_token);
          await new Promise((resolve) => setTimeout(resolve, 10));
        } catch (err) {
          error = err;
        }
      }
      expect(error).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    } finally {
      await connection.close();
    }
    expect(await client.ping()).toBe('PONG');
  });
});
