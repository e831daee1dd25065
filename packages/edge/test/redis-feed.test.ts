// The edge following Redis Streams (--redis) instead of the service's SSE feed: a logout at the
// service is refused by the edge. Skips outside CI when Redis does not answer; fails in CI.
import { type RunningEdge, startEdge } from '@revocable/edge';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingUpstream, startRecordingUpstream } from './support/recording-upstream.js';
import { CLIENT, eventually, freePort, startTestService, type TestService } from './support/service.js';

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
    console.warn(`Redis not reachable at ${REDIS_URL}: skipping the edge on Redis Streams.`);
    return false;
  } finally {
    probe.disconnect();
  }
}

describe.skipIf(!(await redisAvailable()))('the edge on Redis Streams', () => {
  const prefix = `edge${process.pid}-${Date.now()}`;
  let service: TestService;
  let upstream: RecordingUpstream;
  let edge: RunningEdge;

  beforeAll(async () => {
    service = await startTestService(['--redis', REDIS_URL, '--redis-key-prefix', prefix]);
    upstream = await startRecordingUpstream();
    edge = await startEdge({
      service: service.issuer,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      port: await freePort(),
      upstream: upstream.url,
      redis: { url: REDIS_URL, keyPrefix: prefix },
    });
  });
  afterAll(async () => {
    await edge?.close();
    await upstream?.close();
    await service?.service.close();
    const client = new Redis(REDIS_URL);
    for (const key of await client.keys(`{${prefix}:*`)) await client.del(key);
    client.disconnect();
  });

  it('a logout at the service is refused by the edge', async () => {
    const { access_token } = await service.mint('rita');
    const call = () => fetch(`${edge.url}/x`, { headers: { authorization: `Bearer ${access_token}` } });
    expect((await call()).status).toBe(200);
    await service.logout(access_token);
    const answer = await eventually(call, (a) => a.status !== 200);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
  });
});
