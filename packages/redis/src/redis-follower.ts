import { type Replica, ReplicaFollower, type ReplicaFollowerOptions } from '@revocable/core';
import { RedisFeedSource, type RedisFeedSourceOptions } from './feed-source.js';

/**
 * Options of {@link createRedisFollower}: the source's, plus the follower's.
 *
 * @example
 * ```ts
 * const options: RedisFollowerOptions = { client, issuer, fallback, follower: { onError: console.warn } };
 * ```
 */
export interface RedisFollowerOptions extends RedisFeedSourceOptions {
  readonly follower?: ReplicaFollowerOptions;
}

/**
 * A replica's follower on Redis Streams and the source it reads.
 *
 * @example
 * ```ts
 * const { follower, source }: RedisFollower = createRedisFollower(replica, options);
 * ```
 */
export interface RedisFollower {
  readonly follower: ReplicaFollower;
  readonly source: RedisFeedSource;
}

/**
 * Wires a {@link ReplicaFollower} to a {@link RedisFeedSource}, with a fallen-behind reader answered by
 * `follower.rebootstrap()` (a fresh snapshot from the fallback source, counted in
 * `replica.stats().bootstraps`). Call `follower.start()` to bootstrap and follow, `follower.stop()` to stop.
 *
 * @example
 * ```ts
 * const replica = new Replica({ maxStalenessMs: 10_000 });
 * const { follower, source } = createRedisFollower(replica, {
 *   client: new Redis(process.env.REDIS_URL!),
 *   issuer: 'https://auth.example',
 *   fallback: new HttpFeedSource({ url: 'https://auth.example', clientId: 'api', clientSecret }),
 *   follower: { onError: (err) => log.warn({ err }, 'revocation feed') },
 * });
 * await follower.start();
 * ```
 */
export function createRedisFollower(replica: Replica, options: RedisFollowerOptions): RedisFollower {
  const { follower: followerOptions, ...sourceOptions } = options;
  const source = new RedisFeedSource(sourceOptions);
  const follower = new ReplicaFollower(replica, source, followerOptions);
  const onError = followerOptions?.onError ?? (() => {});
  source.onFellBehind(() => {
    follower.rebootstrap().catch(onError);
  });
  return { follower, source };
}
