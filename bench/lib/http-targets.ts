// The server side of the `http` suite, run as its own process by bench/http.ts (startChild): one
// Fastify app per target, each serving `GET /resource` on its own loopback port.
//   open     — unprotected;
//   ours     — the @revocable/core/fastify plugin (async verify) as an onRequest hook, with a Verifier over an
//              EdDSA KeyRing and a real Replica bootstrapped by ReplicaFollower + LogFeedSource from a
//              MemoryRevocationLog holding `revoked` revoked tokens (plus one revoked token of ours);
//   jose     — the common do-it-yourself denylist: jose.jwtVerify with the public key, then one Redis
//              `GET <prefix>revoked:<jti>` per request through ioredis. Skipped (with a note) when Redis
//              does not answer;
//   fastJwt  — the best do-it-yourself peer: fast-jwt's verifier with its verified-token cache, then a
//              `Map` denylist of revoked jtis in the same process (no network, no replication).
// It issues the tokens the load generator sends and reports CPU time on request, so the parent can
// tell whether the server or the load generator was the bottleneck.
import { createPublicKey, randomBytes } from 'node:crypto';
import {
  AccessTokenIssuer,
  KeyRing,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  type RevocationRequest,
  Revoker,
  Verifier,
} from '@revocable/core';
import { type FastifyAuthHook, type RevocableAuth, revocable } from '@revocable/core/fastify';
import { createVerifier } from 'fast-jwt';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { type JWTPayload, jwtVerify } from 'jose';
import { cpuReading, serveParent } from './child.js';

export const ISSUER = 'https://auth.example.com';
export const AUDIENCE = 'api';
const REALM = 'api';

/** What the parent passes (as one JSON argument). */
export interface TargetsConfig {
  readonly revoked: number;
  readonly pool: number;
  readonly redisUrl: string;
  /** Unique to the run; every Redis key this process writes starts with it. */
  readonly redisPrefix: string;
}

/** What the child answers when ready. */
export interface TargetsReady {
  readonly ports: {
    readonly open: number;
    readonly ours: number;
    readonly jose?: number;
    readonly fastJwt: number;
  };
  /** A valid token (the same-token runs), the pool (round-robin runs) and a revoked token. */
  readonly token: string;
  readonly pool: string[];
  readonly revokedToken: string;
  readonly replicaTokens: number;
  readonly redisKeys: number;
  /** Why the jose + Redis target is missing, when it is. */
  readonly redisNote?: string;
}

type SubRequest = FastifyRequest & { sub: string };

function app(): FastifyInstance {
  // No logger, no request id work beyond Fastify's defaults: the three apps differ only by their hook.
  const instance = Fastify({ logger: false });
  instance.decorateRequest('sub', '');
  instance.get('/resource', async (request) => ({
    ok: true,
    sub: (request as SubRequest).sub || (request as { auth?: RevocableAuth | null }).auth?.claims.sub,
  }));
  return instance;
}

async function listen(instance: FastifyInstance): Promise<number> {
  await instance.listen({ port: 0, host: '127.0.0.1' });
  const address = instance.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

async function setup(config: TargetsConfig) {
  const ring = await KeyRing.open({ alg: 'EdDSA' });
  const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISSUER, audience: AUDIENCE });
  const issue = (i: number) =>
    issuer.issue({ sub: `user-${i}`, sid: `sess-${i}`, clientId: 'web-app', scope: 'read write' });

  // The revocation log: `revoked` random token ids, then one real token of ours.
  const log = new MemoryRevocationLog();
  const now = Date.now();
  const revokedIds: string[] = [];
  for (let start = 0; start < config.revoked; start += 5000) {
    const batch: RevocationRequest[] = [];
    for (let i = start; i < Math.min(config.revoked, start + 5000); i++) {
      const tokenId = randomBytes(16).toString('base64url');
      revokedIds.push(tokenId);
      batch.push({
        rule: { kind: 'token', iss: ISSUER, tokenId, expiresAt: now + 300_000 + (i % 240_000) },
        reason: 'admin',
        actor: 'admin:bench',
      });
    }
    await log.append(batch);
  }
  const revoked = issue(-1);
  await new Revoker(log).revokeToken(
    { iss: ISSUER, tokenId: revoked.claims.jti!, expiresAtMs: revoked.claims.exp * 1000 },
    { reason: 'logout', actor: 'user:user--1' },
  );
  revokedIds.push(revoked.claims.jti!);

  const replica = new Replica();
  const follower = new ReplicaFollower(replica, new LogFeedSource(log), {
    onError: (err) => console.error('replica follower:', err),
  });
  await follower.start();
  const replicaTokens = replica.stats().tokens;
  if (replicaTokens !== config.revoked + 1) {
    throw new Error(`replica holds ${replicaTokens} revoked tokens, expected ${config.revoked + 1}`);
  }
  const verifier = new Verifier({ keys: ring, issuer: ISSUER, audience: AUDIENCE, revocation: replica });

  const token = issue(0).token;
  const pool = Array.from({ length: config.pool }, (_, i) => issue(i + 1).token);

  // (a) open
  const open = app();
  // (b) ours: the Fastify plugin of @revocable/core (async verify, scopes, RFC 6750 answers), as its
  // docs show, run as an onRequest hook for the whole app.
  const ours = app();
  await ours.register(revocable, { verifier, realm: REALM });
  ours.addHook('onRequest', (ours as unknown as { authenticate: FastifyAuthHook }).authenticate as never);

  // (c) jose + one Redis GET per request.
  let redis: Redis | undefined;
  let redisNote: string | undefined;
  let redisKeys = 0;
  let jose: FastifyInstance | undefined;
  const candidate = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  candidate.on('error', () => {});
  try {
    await candidate.connect();
    await candidate.ping();
    redis = candidate;
  } catch (err) {
    candidate.disconnect();
    redisNote = `Redis not reachable at ${config.redisUrl} (${(err as Error).message}): jose + Redis skipped`;
  }
  if (redis !== undefined) {
    // The denylist a team would write: one key per revoked jti, expiring with the token.
    for (let start = 0; start < revokedIds.length; start += 2000) {
      const pipeline = redis.pipeline();
      for (const id of revokedIds.slice(start, start + 2000))
        pipeline.set(`${config.redisPrefix}revoked:${id}`, '1', 'EX', 900);
      await pipeline.exec();
    }
    redisKeys = revokedIds.length;
    const publicKey = createPublicKey(ring.signingKey().privateKey);
    const client = redis;
    const prefix = `${config.redisPrefix}revoked:`;
    jose = app();
    jose.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization;
      if (header === undefined || !header.startsWith('Bearer ')) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing_token' });
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(header.slice(7), publicKey, { issuer: ISSUER, audience: AUDIENCE }));
      } catch {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer error="invalid_token"')
          .send({ error: 'invalid_token' });
      }
      if (typeof payload.jti !== 'string' || (await client.get(prefix + payload.jti)) !== null) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer error="invalid_token"')
          .send({ error: 'revoked' });
      }
      (request as SubRequest).sub = payload.sub ?? '';
    });
  }

  // (d) fast-jwt with its cache + an in-process Map denylist (jti -> exp ms).
  const denylist = new Map<string, number>(revokedIds.map((id) => [id, now + 900_000]));
  const fastVerify = createVerifier({
    key: createPublicKey(ring.signingKey().privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    algorithms: ['EdDSA'],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    cache: true,
  });
  const fastJwt = app();
  fastJwt.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing_token' });
    }
    let payload: { jti?: unknown; sub?: unknown };
    try {
      payload = fastVerify(header.slice(7)) as typeof payload;
    } catch {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({ error: 'invalid_token' });
    }
    if (typeof payload.jti !== 'string' || denylist.has(payload.jti)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer error="invalid_token"')
        .send({ error: 'revoked' });
    }
    (request as SubRequest).sub = typeof payload.sub === 'string' ? payload.sub : '';
  });

  const ports = {
    open: await listen(open),
    ours: await listen(ours),
    fastJwt: await listen(fastJwt),
    ...(jose !== undefined && { jose: await listen(jose) }),
  };

  const cleanup = async (): Promise<number | undefined> => {
    follower.stop();
    replica.close();
    await Promise.all([open.close(), ours.close(), fastJwt.close(), jose?.close()]);
    await log.close();
    if (redis === undefined) return undefined;
    for (let start = 0; start < revokedIds.length; start += 2000) {
      await redis.del(
        ...revokedIds.slice(start, start + 2000).map((id) => `${config.redisPrefix}revoked:${id}`),
      );
    }
    // Prove nothing of this run is left behind.
    let left = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      left += keys.length;
    } while (cursor !== '0');
    await redis.quit();
    return left;
  };

  const ready: TargetsReady = {
    ports,
    token,
    pool,
    revokedToken: revoked.token,
    replicaTokens,
    redisKeys,
    ...(redisNote !== undefined && { redisNote }),
  };
  return {
    ready,
    handlers: {
      cpu: cpuReading,
      stats: () => replica.stats(),
      close: cleanup,
    },
  };
}

await serveParent(() => setup(JSON.parse(process.argv[2] ?? '{}') as TargetsConfig));
