// The edges of the `edge` suite, run as their own process by bench/edge.ts (startChild): two edge apps
// (@revocable/edge's createEdgeApp) in front of the same upstream —
//   open — every path public (`/*`): the proxy's own cost;
//   auth — every path needs a valid, unrevoked token: the core Verifier (EdDSA KeyRing) with a real
//          Replica bootstrapped by ReplicaFollower + LogFeedSource from a MemoryRevocationLog in which
//          1 % of the pool's tokens are revoked. It also answers forward-auth (for nginx) and local
//          RFC 7662 introspection for one client.
// It issues the tokens the load generator sends and reports CPU time on request.
import {
  AccessTokenIssuer,
  KeyRing,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  Revoker,
  Verifier,
} from '@revocable/core';
import { createEdgeApp, IntrospectionClients, PathRules, pathRule } from '@revocable/edge';
import type { FastifyInstance } from 'fastify';
import { cpuReading, serveParent } from './child.js';

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'api';

/** What the parent passes (one JSON argument). */
export interface EdgeTargetsConfig {
  readonly upstream: string;
  readonly pool: number;
  /** Every `revokeEvery`-th token of the pool is revoked (100: 1 %). */
  readonly revokeEvery: number;
  readonly introspector: { readonly id: string; readonly secret: string };
}

/** What the child answers when ready. */
export interface EdgeTargetsReady {
  readonly ports: { readonly open: number; readonly auth: number };
  readonly pool: string[];
  /** Indexes of the pool's revoked tokens. */
  readonly revoked: number[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as EdgeTargetsConfig;

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

await serveParent<EdgeTargetsReady>(async () => {
  const ring = await KeyRing.open({ alg: 'EdDSA' });
  const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISSUER, audience: AUDIENCE });
  const log = new MemoryRevocationLog();
  const pool: string[] = [];
  const revoked: number[] = [];
  for (let i = 0; i < config.pool; i++) {
    const issued = issuer.issue({
      sub: `user-${i}`,
      sid: `sess-${i}`,
      clientId: 'web-app',
      scope: 'read write',
    });
    pool.push(issued.token);
    if (i % config.revokeEvery === config.revokeEvery - 1) {
      revoked.push(i);
      await new Revoker(log).revokeToken(
        { iss: ISSUER, tokenId: issued.claims.jti!, expiresAtMs: issued.claims.exp * 1000 },
        { reason: 'logout', actor: `user:user-${i}` },
      );
    }
  }
  const replica = new Replica();
  const follower = new ReplicaFollower(replica, new LogFeedSource(log), {
    onError: (err) => console.error('replica follower:', err),
  });
  await follower.start();
  const verifier = new Verifier({ keys: ring, issuer: ISSUER, audience: AUDIENCE, revocation: replica });
  const open = await createEdgeApp({
    verifier,
    replica,
    upstream: config.upstream,
    rules: new PathRules([pathRule('/*', { kind: 'public' })]),
  });
  const auth = await createEdgeApp({
    verifier,
    replica,
    upstream: config.upstream,
    introspectionClients: new IntrospectionClients(
      new Map([[config.introspector.id, config.introspector.secret]]),
    ),
  });
  const ports = { open: await listen(open), auth: await listen(auth) };
  return {
    ready: { ports, pool, revoked },
    handlers: {
      cpu: () => cpuReading(),
      stats: () => replica.stats(),
      close: async () => {
        await open.close();
        await auth.close();
        follower.stop();
        replica.close();
      },
    },
  };
});
