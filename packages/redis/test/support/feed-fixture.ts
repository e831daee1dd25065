// A publisher and replicas around one in-memory log and a private redis-server, for the feed tests.
import {
  type FeedSource,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  type ReplicaOptions,
  type RevocationEvent,
  type RevocationRequest,
} from '@revocable/core';
import { Redis } from 'ioredis';
import {
  createRedisFollower,
  PUBLISHER_REDIS_OPTIONS,
  RedisFeedPublisher,
  type RedisFeedPublisherOptions,
  type RedisFeedSourceOptions,
  type RedisFollower,
} from '../../src/index.js';

export const ISSUER = 'https://auth.example';

let prefixCounter = 0;

/** A key prefix no other test uses. */
export function uniquePrefix(): string {
  return `t${process.pid}x${Date.now().toString(36)}x${prefixCounter++}`;
}

/** A `token` revocation of `tokenId`, expiring in ten minutes. */
export function tokenRevocation(tokenId: string): RevocationRequest {
  return {
    rule: { kind: 'token', iss: ISSUER, tokenId, expiresAt: Date.now() + 600_000 },
    reason: 'logout',
    actor: 'user:test',
  };
}

/** Waits until `predicate` holds, polling every 10 ms; throws with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One replica following Redis, recording every event it applied. */
export interface FollowingReplica extends RedisFollower {
  readonly replica: Replica;
  readonly client: Redis;
  /** `seq` of each event applied, in order (duplicates would show up twice). */
  readonly applied: number[];
  readonly errors: unknown[];
  stop(): void;
}

/** The log, its publisher and the replicas of one test. */
export class FeedFixture {
  readonly log = new MemoryRevocationLog();
  readonly prefix = uniquePrefix();
  readonly publisherClient: Redis;
  readonly publisher: RedisFeedPublisher;
  readonly publisherErrors: unknown[] = [];
  readonly #replicas: FollowingReplica[] = [];

  constructor(
    readonly redisUrl: string,
    publisher: Partial<RedisFeedPublisherOptions> = {},
  ) {
    this.publisherClient = new Redis(redisUrl, PUBLISHER_REDIS_OPTIONS);
    this.publisherClient.on('error', () => {});
    this.publisher = new RedisFeedPublisher({
      log: this.log,
      client: this.publisherClient,
      issuer: ISSUER,
      keyPrefix: this.prefix,
      heartbeatMs: 200,
      onError: (error) => this.publisherErrors.push(error),
      ...publisher,
    });
  }

  /** Appends `count` token revocations one by one; resolves with their events (the acknowledgements). */
  async revoke(count: number, label = 'tok'): Promise<RevocationEvent[]> {
    const events: RevocationEvent[] = [];
    for (let i = 0; i < count; i++) {
      const [event] = await this.log.append([tokenRevocation(`${label}-${i}`)]);
      events.push(event!);
    }
    return events;
  }

  /** Starts a replica on Redis (through `url`, default the fixture's Redis) and waits for its bootstrap. */
  async follow(
    options: Partial<RedisFeedSourceOptions> & { url?: string; replica?: ReplicaOptions } = {},
  ): Promise<FollowingReplica> {
    const { url, replica: replicaOptions, ...sourceOptions } = options;
    const client = new Redis(url ?? this.redisUrl, { retryStrategy: () => 50 });
    client.on('error', () => {});
    const replica = new Replica({ purgeIntervalMs: 0, ...replicaOptions });
    const applied: number[] = [];
    const apply = replica.apply.bind(replica);
    replica.apply = (event: RevocationEvent) => {
      const done = apply(event);
      if (done) applied.push(event.seq);
      return done;
    };
    const errors: unknown[] = [];
    const fallback: FeedSource = new LogFeedSource(this.log);
    const wired = createRedisFollower(replica, {
      client,
      issuer: ISSUER,
      keyPrefix: this.prefix,
      fallback,
      blockMs: 500,
      follower: { onError: (error) => errors.push(error) },
      ...sourceOptions,
    });
    await wired.follower.start();
    const following: FollowingReplica = {
      ...wired,
      replica,
      client,
      applied,
      errors,
      stop: () => {
        wired.follower.stop();
        replica.close();
        client.disconnect();
      },
    };
    this.#replicas.push(following);
    return following;
  }

  async close(): Promise<void> {
    for (const replica of this.#replicas.splice(0)) replica.stop();
    await this.publisher.stop();
    this.publisherClient.disconnect();
    await this.log.close();
  }
}

/** Whether a replica rejects the token `tokenId` (a fresh token issued now). */
export function rejects(replica: Replica, tokenId: string): boolean {
  const now = Date.now();
  return (
    replica.check({
      tokenId,
      iss: ISSUER,
      sub: 'user-1',
      sid: undefined,
      kid: 'k1',
      issuedAtMs: now - 1000,
      expiresAtMs: now + 600_000,
    }) === 'token'
  );
}
