import { isRevocableError } from '@revocable/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisFeedPublisher } from '../src/index.js';
import { FeedFixture, ISSUER, rejects, sleep, waitFor } from './support/feed-fixture.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

const available = redisServerAvailable();
const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.skipIf(!available)('publishing a log to Redis and following it', () => {
  let redis: RedisServer;
  let admin: Redis;
  let fixture: FeedFixture;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  afterEach(async () => {
    await fixture?.close();
  });

  it('delivers every committed event to every replica once, in seq order', async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    const a = await fixture.follow();
    const b = await fixture.follow();
    await fixture.revoke(120, 'single');
    await fixture.log.append(Array.from({ length: 80 }, (_, i) => tokenRequest(`batch-${i}`)));
    await waitFor(() => a.replica.lastSeq === 200 && b.replica.lastSeq === 200, 'both replicas at 200');
    expect(a.applied).toEqual(seqs(1, 200));
    expect(b.applied).toEqual(seqs(1, 200));
    expect(rejects(a.replica, 'single-119') && rejects(b.replica, 'batch-79')).toBe(true);
    expect(rejects(a.replica, 'never-revoked')).toBe(false);
    expect(a.source.stats().events).toBeGreaterThan(0);
    expect(a.replica.stats().bootstraps).toBe(1);
  });

  it('writes each event under the id <seq>-0 with the event as JSON, then heartbeats', async () => {
    fixture = new FeedFixture(redis.url);
    await fixture.revoke(3);
    fixture.publisher.start();
    await fixture.publisher.flush();
    await waitFor(() => fixture.publisher.stats().heartbeats > 0, 'a heartbeat');
    const entries = (await admin.xrange(fixture.publisher.key, '-', '+')) as [string, string[]][];
    // The stream was empty, so the publisher starts at the log's lastSeq: the replicas' snapshot covers the rest.
    const heartbeat = entries.find(([id]) => id.startsWith('3-') && id !== '3-0');
    expect(heartbeat?.[1]).toEqual(['t', 'h', 's', '3', 'a', expect.stringMatching(/^\d+$/)]);
    await fixture.revoke(1, 'next');
    await fixture.publisher.flush();
    const [id, fields] = (await admin.xrange(fixture.publisher.key, '4-0', '4-0'))[0]!;
    expect(id).toBe('4-0');
    expect(fields[0]).toBe('t');
    expect(fields[1]).toBe('e');
    expect(JSON.parse(fields[3]!)).toMatchObject({ seq: 4, rule: { kind: 'token', tokenId: 'next-0' } });
  });

  it('publishes what is appended while it is still finding its place in an empty stream', async () => {
    fixture = new FeedFixture(redis.url);
    await fixture.revoke(2, 'old');
    fixture.publisher.start();
    await fixture.revoke(3, 'racing'); // no await between start() and these appends
    await fixture.publisher.flush();
    const entries = (await admin.xrange(fixture.publisher.key, '-', '+')) as [string, string[]][];
    const eventIds = entries.filter(([, fields]) => fields[1] === 'e').map(([id]) => id);
    expect(eventIds).toEqual(['3-0', '4-0', '5-0']);
  });

  it('retries from its last published seq with backoff while Redis refuses writes, then catches up', async () => {
    fixture = new FeedFixture(redis.url, { maxBackoffMs: 100 });
    fixture.publisher.start();
    await fixture.publisher.flush();
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      await fixture.revoke(20, 'refused');
      await waitFor(() => fixture.publisher.stats().failures >= 3, 'three refused attempts');
      expect(fixture.publisher.stats().healthy).toBe(false);
      expect(fixture.publisher.stats().publishedSeq).toBe(0);
      expect(String(fixture.publisherErrors.at(-1))).toMatch(/OOM/);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    await fixture.publisher.flush();
    expect(fixture.publisher.stats().healthy).toBe(true);
    const entries = (await admin.xrange(fixture.publisher.key, '-', '+')) as [string, string[]][];
    const eventIds = entries.filter(([, fields]) => fields[1] === 'e').map(([id]) => id);
    expect(eventIds).toEqual(seqs(1, 20).map((seq) => `${seq}-0`));
  });

  it('resumes after its connection drops, with no gap and no double effect', async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    const replica = await fixture.follow({ fallbackAfterMs: 0 });
    for (let round = 0; round < 5; round++) {
      await fixture.revoke(20, `round${round}`);
      // Every client connection but this one: the replica's reader and the publisher both drop.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    }
    await waitFor(() => replica.replica.lastSeq === 100, 'the replica at 100');
    expect(replica.applied).toEqual(seqs(1, 100));
    expect(replica.replica.stats().bootstraps).toBe(1);
    for (let round = 0; round < 5; round++) expect(rejects(replica.replica, `round${round}-19`)).toBe(true);
  });

  it('keeps duplicates harmless: a re-added id is refused, two publishers write each event once', async () => {
    fixture = new FeedFixture(redis.url);
    const second = new RedisFeedPublisher({
      log: fixture.log,
      client: fixture.publisherClient,
      issuer: ISSUER,
      keyPrefix: fixture.prefix,
      heartbeatMs: 200,
    });
    fixture.publisher.start();
    second.start();
    const replica = await fixture.follow();
    await fixture.revoke(60);
    await Promise.all([fixture.publisher.flush(), second.flush()]);
    await expect(admin.xadd(fixture.publisher.key, '5-0', 't', 'e', 'e', '{}')).rejects.toThrow(
      /equal or smaller/,
    );
    const entries = (await admin.xrange(fixture.publisher.key, '-', '+')) as [string, string[]][];
    const eventIds = entries.filter(([, fields]) => fields[1] === 'e').map(([id]) => id);
    expect(eventIds).toEqual(seqs(1, 60).map((seq) => `${seq}-0`));
    expect(fixture.publisher.stats().published + second.stats().published).toBe(60);
    await waitFor(() => replica.replica.lastSeq === 60, 'the replica at 60');
    expect(replica.applied).toEqual(seqs(1, 60));
    await second.stop();
  });

  it('keeps an idle replica fresh with heartbeats, and lets it go stale when they stop', async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    const replica = await fixture.follow({ fallbackAfterMs: 0, replica: { maxStalenessMs: 700 } });
    await sleep(1500);
    expect(replica.replica.stats().stale).toBe(false);
    expect(replica.source.stats().heartbeats).toBeGreaterThanOrEqual(4);
    expect(rejects(replica.replica, 'anything')).toBe(false);

    await fixture.publisher.stop();
    await waitFor(() => replica.replica.stats().stale, 'the replica to go stale', 3000);
    let error: unknown;
    try {
      rejects(replica.replica, 'anything');
    } catch (err) {
      error = err;
    }
    expect(isRevocableError(error, 'ERR_REVOCATION_STALE')).toBe(true);

    fixture.publisher.start();
    await waitFor(() => !replica.replica.stats().stale, 'the replica to be fresh again', 3000);
  });

  it('catches a replica up from the fallback when a heartbeat shows it is behind', async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    const replica = await fixture.follow({ fallbackAfterMs: 0 });
    // Events the stream never carries (written straight past it), then a heartbeat ahead of the replica.
    await fixture.publisher.stop();
    await fixture.revoke(5, 'unpublished');
    await admin.xadd(fixture.publisher.key, '5-*', 't', 'h', 's', '5', 'a', String(Date.now()));
    await waitFor(() => replica.replica.lastSeq === 5, 'the replica at 5');
    expect(rejects(replica.replica, 'unpublished-4')).toBe(true);
    expect(replica.applied).toEqual(seqs(1, 5));
  });
});

function tokenRequest(tokenId: string) {
  return {
    rule: { kind: 'token' as const, iss: ISSUER, tokenId, expiresAt: Date.now() + 600_000 },
    reason: 'logout' as const,
    actor: 'user:test',
  };
}
