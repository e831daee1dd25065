import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http, startService } from './support/service.js';

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
    console.warn(`Redis not reachable at ${REDIS_URL}: skipping the revocable serve --redis suite.`);
    return false;
  } finally {
    probe.disconnect();
  }
}

const available = await redisAvailable();

describe.skipIf(!available)('revocable serve --redis with a key prefix and a stream cap', () => {
  const prefix = `t${process.pid}-${Date.now()}`;
  let admin: Redis;
  let service: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
    service = await startService('memory', [
      '--redis',
      REDIS_URL,
      '--redis-key-prefix',
      prefix,
      '--redis-max-length',
      '5000',
    ]);
  });
  afterAll(async () => {
    await service?.close();
    if (admin) {
      for (const key of await admin.keys(`{${prefix}:*`)) await admin.del(key);
      admin.disconnect();
    }
  });

  it('publishes each revocation under {<prefix>:<issuer>}:revocations', async () => {
    const http = new Http(service.url);
    const tokens = await http.registerAndLogin('redis-prefix-user');
    const { iss } = (await http.get('/api/me', tokens.access_token)).body.claims;
    await http.post('/auth/logout', undefined, tokens.access_token);
    const key = `{${prefix}:${iss}}:revocations`;
    let entries: [string, string[]][] = [];
    for (let i = 0; i < 100 && !entries.some(([, f]) => f[1] === 'e'); i++) {
      entries = (await admin.xrange(key, '-', '+')) as [string, string[]][];
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const events = entries
      .filter(([, fields]) => fields[1] === 'e')
      .map(([, fields]) => JSON.parse(fields[3]!));
    expect(events.map((event) => event.rule)).toContainEqual(
      expect.objectContaining({ kind: 'session', sid: tokens.session_id }),
    );
    expect(await admin.exists(`{revocable:${iss}}:revocations`)).toBe(0);
  });
});
