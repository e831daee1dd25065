import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisFeedPublisher } from '../src/index.js';
import { FeedFixture, ISSUER, rejects, sleep, waitFor } from './support/feed-fixture.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

const available = redisServerAvailable();

describe.skipIf(!available)('while Redis is down', () => {
  let redis: RedisServer;
  let fixture: FeedFixture;

  beforeEach(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await fixture?.close();
    await redis?.stop();
  });

  it('revocations are still acknowledged by the log, and delivered through Redis once it is back', async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    const replica = await fixture.follow({ fallbackAfterMs: 0, replica: { maxStalenessMs: 60_000 } });
    await fixture.revoke(10, 'before');
    await waitFor(() => replica.replica.lastSeq === 10, 'the replica at 10');

    await redis.stop();
    const acknowledged = await fixture.revoke(40, 'during');
    expect(acknowledged.map((event) => event.seq)).toEqual(Array.from({ length: 40 }, (_, i) => 11 + i));
    await sleep(500);
    expect(replica.replica.lastSeq).toBe(10);
    expect(fixture.publisher.stats().healthy).toBe(false);
    expect(fixture.publisherErrors.length).toBeGreaterThan(0);

    // Back, and empty (no persistence): the publisher resumes from its last published seq.
    await redis.restart();
    await waitFor(() => replica.replica.lastSeq === 50, 'the replica at 50', 15_000);
    expect(replica.applied).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(rejects(replica.replica, 'during-0')).toBe(true);
    expect(rejects(replica.replica, 'during-39')).toBe(true);
    expect(replica.replica.stats().bootstraps).toBe(1);
    expect(fixture.publisher.stats().healthy).toBe(true);
  });

  it('a replica keeps fresh and complete from the fallback source, so an outage costs latency only', async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    const replica = await fixture.follow({
      fallbackAfterMs: 400,
      fallbackPollMs: 100,
      replica: { maxStalenessMs: 1000 },
    });
    await redis.stop();
    await fixture.revoke(5, 'during');
    await waitFor(() => replica.replica.lastSeq === 5, 'the replica at 5 from the fallback', 5000);
    await sleep(1500);
    expect(replica.replica.stats().stale).toBe(false);
    expect(replica.source.stats().fallbackPolls).toBeGreaterThan(3);
    expect(rejects(replica.replica, 'during-4')).toBe(true);

    await redis.restart();
    await fixture.revoke(5, 'after');
    await waitFor(() => replica.replica.lastSeq === 10, 'the replica at 10');
    expect(replica.applied).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('the issuer and Redis both restart, Redis empty: the new heartbeats reach a replica that had read further', async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    await fixture.revoke(3, 'before');
    const replica = await fixture.follow({ fallbackAfterMs: 0, replica: { maxStalenessMs: 1000 } });
    // A publisher that has run for a while: its heartbeats after event 3 are numbered far up.
    const admin = new Redis(redis.url);
    await fixture.publisher.flush();
    await admin.xadd(fixture.publisher.key, '3-5000', 't', 'h', 's', '3', 'a', String(Date.now()));
    admin.disconnect();
    await waitFor(() => replica.source.stats().heartbeats > 0 && replica.replica.lastSeq === 3, 'seq 3');
    await sleep(600); // past the 3-5000 heartbeat

    await fixture.publisher.stop();
    await redis.stop();
    await redis.restart();
    const restarted = new RedisFeedPublisher({
      log: fixture.log,
      client: fixture.publisherClient,
      issuer: ISSUER,
      keyPrefix: fixture.prefix,
      heartbeatMs: 200,
    });
    restarted.start();
    try {
      const heard = replica.source.stats().heartbeats;
      await waitFor(
        () => replica.source.stats().heartbeats > heard + 2,
        'heartbeats of the restarted publisher',
        5000,
      );
      await sleep(1500);
      expect(replica.replica.stats().stale).toBe(false);
      await fixture.revoke(1, 'after');
      await waitFor(() => replica.replica.lastSeq === 4, 'the replica at 4');
      expect(rejects(replica.replica, 'after-0')).toBe(true);
    } finally {
      await restarted.stop();
    }
  });
});
