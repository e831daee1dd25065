// One API server process of the end-to-end suites: a Fastify app with the Revocable plugin
// (`@revocable/core/fastify`), whose `GET /resource` is protected by `app.authenticate`: a Verifier over
// the issuer's JWKS and this process's own Replica, which follows the issuer's Redis stream
// (RedisFeedSource), with the issuer's HTTP feed as the fallback for snapshots and catch-up.
//   GET /resource  200 {sub, jti} | 401 {error, message} + WWW-Authenticate | 503 {error: ERR_REVOCATION_STALE}
//   GET /_stats    replica, feed and memory figures
// Started with one JSON argument (ApiConfig); prints `API-READY {"port":N}` once it can answer.
import { HttpFeedSource, Replica, Verifier } from '@revocable/core';
import { revocable } from '@revocable/core/fastify';
import { createRedisFollower } from '@revocable/redis';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { JwksKeys } from './jwks-keys.js';

/** What the harness passes to an API process. */
export interface ApiConfig {
  readonly name: string;
  /** The issuer's `iss` (also names its Redis stream). */
  readonly issuer: string;
  /** Where this process reaches the issuer over HTTP (JWKS, snapshot, catch-up); may be a proxy. */
  readonly issuerUrl: string;
  readonly redisUrl: string;
  readonly audience: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly maxStalenessMs: number;
  readonly fallbackAfterMs?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ApiConfig;

const keys = new JwksKeys(`${config.issuerUrl}/.well-known/jwks.json`);
await keys.load();

const replica = new Replica({ maxStalenessMs: config.maxStalenessMs, stalePolicy: 'fail-closed' });
const redis = new Redis(config.redisUrl, { retryStrategy: (times) => Math.min(50 * times, 500) });
redis.on('error', () => {});
let feedErrors = 0;
const { follower, source } = createRedisFollower(replica, {
  client: redis,
  issuer: config.issuer,
  fallback: new HttpFeedSource({
    url: config.issuerUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    timeoutMs: 2000,
  }),
  ...(config.fallbackAfterMs !== undefined && { fallbackAfterMs: config.fallbackAfterMs }),
  follower: { onError: () => feedErrors++ },
});
for (const deadline = Date.now() + 30_000; ; ) {
  try {
    await follower.start();
    break;
  } catch (err) {
    follower.stop();
    if (Date.now() > deadline) throw err;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const verifier = new Verifier({
  keys,
  issuer: config.issuer,
  audience: config.audience,
  revocation: replica,
});
const app = Fastify({ logger: false });
await app.register(revocable, { verifier, realm: 'api' });

app.get('/resource', { preHandler: app.authenticate }, async (request) => {
  const { claims } = request.auth!;
  return { sub: claims.sub, jti: claims.jti };
});

app.get('/_stats', async () => ({
  name: config.name,
  pid: process.pid,
  replica: replica.stats(),
  source: source.stats(),
  feedErrors,
  memory: process.memoryUsage(),
}));

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`API-READY ${JSON.stringify({ port })}\n`);

process.once('SIGTERM', () => {
  follower.stop();
  replica.close();
  redis.disconnect();
  void app.close().finally(() => process.exit(0));
});
