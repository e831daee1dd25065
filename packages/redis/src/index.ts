export {
  type FellBehind,
  RedisFeedSource,
  type RedisFeedSourceOptions,
  type RedisFeedSourceStats,
} from './feed-source.js';
export {
  PUBLISHER_REDIS_OPTIONS,
  RedisFeedPublisher,
  type RedisFeedPublisherOptions,
  type RedisFeedPublisherStats,
} from './publisher.js';
export type { RedisClient } from './redis-client.js';
export { createRedisFollower, type RedisFollower, type RedisFollowerOptions } from './redis-follower.js';
export { DEFAULT_KEY_PREFIX, type StreamKeyOptions, streamKey } from './stream-key.js';
