import { LogFeedSource, MemoryRevocationLog } from '@revocable/core';
import { describeFeedSourceContract } from '@revocable/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { FreezableTcpProxy } from '../../core/test/support/tcp-proxy.js';
import { PUBLISHER_REDIS_OPTIONS, RedisFeedPublisher, RedisFeedSource } from '../src/index.js';
import { ISSUER, uniquePrefix } from './support/feed-fixture.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

const available = redisServerAvailable();
if (!available)
  console.warn('[skip] redis-server is not installed here: the Redis FeedSource contract is skipped');
const HEARTBEAT_MS = 200;

describe.skipIf(!available)('RedisFeedSource', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => redis?.stop());

  // A log published to a private redis-server; the source reads Redis through a loopback proxy that
  // can make its connections go silent, with the log itself as the fallback (its source of truth).
  describeFeedSourceContract('RedisFeedSource over a private redis-server', async () => {
    const log = new MemoryRevocationLog();
    const keyPrefix = uniquePrefix();
    const publisherClient = new Redis(redis.url, PUBLISHER_REDIS_OPTIONS);
    publisherClient.on('error', () => {});
    const publisher = new RedisFeedPublisher({
      log,
      client: publisherClient,
      issuer: ISSUER,
      keyPrefix,
      heartbeatMs: HEARTBEAT_MS,
    });
    publisher.start();
    const proxy = await FreezableTcpProxy.start(redis.port);
    const client = new Redis(`redis://127.0.0.1:${proxy.port}`, { retryStrategy: () => 50 });
    client.on('error', () => {});
    const source = new RedisFeedSource({
      client,
      issuer: ISSUER,
      keyPrefix,
      fallback: new LogFeedSource(log, { heartbeatMs: HEARTBEAT_MS }),
      blockMs: 500,
    });
    return {
      source,
      append: async (requests) => {
        const events = await log.append(requests);
        await publisher.flush();
        return events;
      },
      heartbeatMs: HEARTBEAT_MS,
      connection: {
        silence: async () => proxy.halfOpen(),
        restore: async () => {},
        noticeWithinMs: 10_000,
      },
      async cleanup() {
        client.disconnect();
        await publisher.stop();
        publisherClient.disconnect();
        await proxy.close();
        await log.close();
      },
    };
  });
});
