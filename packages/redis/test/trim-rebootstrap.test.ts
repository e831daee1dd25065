import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FeedFixture, rejects, sleep, waitFor } from './support/feed-fixture.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';

const available = redisServerAvailable();

describe.skipIf(!available)('a trimmed stream', () => {
  let redis: RedisServer;
  let admin: Redis;
  let proxy: TcpProxy;
  let fixture: FeedFixture;

  beforeAll(async () => {
    // Small stream nodes, so that `MAXLEN ~` trims small streams too.
    redis = await RedisServer.start(['--stream-node-max-entries', '8']);
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  afterEach(async () => {
    await fixture?.close();
    await proxy?.close();
  });

  it('is capped near maxLength', async () => {
    fixture = new FeedFixture(redis.url, { maxLength: 20 });
    fixture.publisher.start();
    await fixture.revoke(200);
    await fixture.publisher.flush();
    const length = await admin.xlen(fixture.publisher.key);
    expect(length).toBeGreaterThanOrEqual(20);
    expect(length).toBeLessThanOrEqual(40);
  });

  it('makes a replica that fell behind it re-bootstrap from a snapshot, and count it', async () => {
    fixture = new FeedFixture(redis.url, { maxLength: 20 });
    fixture.publisher.start();
    proxy = await TcpProxy.start(redis.port);
    // No fallback polling: the replica must come back through Redis alone.
    const replica = await fixture.follow({ url: `redis://127.0.0.1:${proxy.port}`, fallbackAfterMs: 0 });
    await fixture.revoke(10, 'before');
    await waitFor(() => replica.replica.lastSeq === 10, 'the replica at 10');

    proxy.cut();
    await fixture.revoke(300, 'during');
    await fixture.publisher.flush();
    const [oldest] = (await admin.xrange(fixture.publisher.key, '-', '+', 'COUNT', 1))[0]!;
    expect(Number(oldest.split('-')[0])).toBeGreaterThan(11);
    expect(replica.replica.lastSeq).toBe(10);
    proxy.restore();

    await waitFor(() => replica.replica.lastSeq === 310, 'the replica at 310');
    expect(replica.replica.stats().bootstraps).toBe(2);
    expect(replica.source.stats().fellBehind).toBeGreaterThanOrEqual(1);
    expect(rejects(replica.replica, 'before-9')).toBe(true);
    expect(rejects(replica.replica, 'during-0')).toBe(true);
    expect(rejects(replica.replica, 'during-299')).toBe(true);
  });

  it('lets a replica briefly cut off resume within the retained range, without a re-bootstrap', async () => {
    fixture = new FeedFixture(redis.url, { maxLength: 1000 });
    fixture.publisher.start();
    proxy = await TcpProxy.start(redis.port);
    const replica = await fixture.follow({ url: `redis://127.0.0.1:${proxy.port}`, fallbackAfterMs: 0 });
    await fixture.revoke(10, 'before');
    await waitFor(() => replica.replica.lastSeq === 10, 'the replica at 10');
    proxy.cut();
    await fixture.revoke(50, 'during');
    await sleep(300);
    proxy.restore();
    await waitFor(() => replica.replica.lastSeq === 60, 'the replica at 60');
    expect(replica.replica.stats().bootstraps).toBe(1);
    expect(replica.source.stats().fellBehind).toBe(0);
    expect(replica.applied).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});
