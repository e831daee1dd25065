// A replica coming back after a cut-off reads its backlog from the stream in batches: it must not count
// as fresh (and accept tokens revoked further down the backlog) before it has read to the log's end.
import { isRevocableError, type RevocationEvent } from '@revocable/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FeedFixture, rejects, sleep, tokenRevocation, waitFor } from './support/feed-fixture.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';

const available = redisServerAvailable();

/** What a token check answers right now: `stale`, `revoked` or `accepted`. */
function answer(check: () => boolean): 'stale' | 'revoked' | 'accepted' {
  try {
    return check() ? 'revoked' : 'accepted';
  } catch (err) {
    if (isRevocableError(err, 'ERR_REVOCATION_STALE')) return 'stale';
    throw err;
  }
}

describe.skipIf(!available)('a replica catching up after a cut-off', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let fixture: FeedFixture;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await fixture?.close();
    await proxy?.close();
  });

  it('answers ERR_REVOCATION_STALE until it has applied the whole backlog, not from its first old event', async () => {
    fixture = new FeedFixture(redis.url);
    proxy = await TcpProxy.start(redis.port);
    fixture.publisher.start();
    const replica = await fixture.follow({
      url: `redis://127.0.0.1:${proxy.port}`,
      batchSize: 10,
      fallbackAfterMs: 0,
      replica: { maxStalenessMs: 400 },
    });
    // The stream holds the publisher's position (an empty stream would make it start at the log's end).
    await waitFor(() => replica.source.stats().heartbeats > 0, 'a heartbeat through Redis');

    // Cut off, with the issuer's publisher silent too, until the replica is stale.
    proxy.cut();
    await fixture.publisher.stop();
    await waitFor(() => replica.replica.stats().stale, 'the replica to go stale', 3000);

    // 150 revocations queue up in the stream while the replica cannot read it.
    const queued = await fixture.log.append(
      Array.from({ length: 150 }, (_, i) => tokenRevocation(`queued-${i}`)),
    );
    const end = queued.at(-1)!.seq;
    fixture.publisher.start();
    await fixture.publisher.flush();

    // Before each event is applied, ask the replica about the last queued token.
    const seen: string[] = [];
    const apply = replica.replica.apply.bind(replica.replica);
    replica.replica.apply = (event: RevocationEvent) => {
      if (event.seq < end) seen.push(`${event.seq}:${answer(() => rejects(replica.replica, 'queued-149'))}`);
      return apply(event);
    };
    proxy.restore();
    await waitFor(() => replica.replica.lastSeq === end, `the replica at ${end}`);

    expect(seen).toHaveLength(end - 1);
    expect(seen.filter((entry) => !entry.endsWith(':stale'))).toEqual([]);
    await waitFor(() => !replica.replica.stats().stale, 'the replica to be fresh at the end');
    expect(rejects(replica.replica, 'queued-149')).toBe(true);
    expect(replica.replica.stats().bootstraps).toBe(1);
  });

  it('stays stale after reading a backlog whose publisher has since gone silent: old news is not news', async () => {
    fixture = new FeedFixture(redis.url);
    proxy = await TcpProxy.start(redis.port);
    fixture.publisher.start();
    const replica = await fixture.follow({
      url: `redis://127.0.0.1:${proxy.port}`,
      batchSize: 10,
      fallbackAfterMs: 0,
      replica: { maxStalenessMs: 400 },
    });
    await waitFor(() => replica.source.stats().heartbeats > 0, 'a heartbeat through Redis');

    proxy.cut();
    await fixture.revoke(25, 'old');
    await fixture.publisher.flush();
    await fixture.publisher.stop();
    await waitFor(() => replica.replica.stats().stale, 'the replica to go stale', 3000);
    await sleep(500); // every entry in the stream is now older than maxStaleness

    proxy.restore();
    await waitFor(() => replica.replica.lastSeq === 25, 'the replica at 25');
    await sleep(300);
    expect(replica.replica.stats().stale).toBe(true);

    fixture.publisher.start();
    await waitFor(() => !replica.replica.stats().stale, 'the replica to be fresh once the publisher is back');
    expect(rejects(replica.replica, 'old-24')).toBe(true);
  });
});
