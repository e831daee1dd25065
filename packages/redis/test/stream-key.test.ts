import { isRevocableError, LogFeedSource, MemoryRevocationLog } from '@revocable/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisFeedPublisher, RedisFeedSource, streamKey } from '../src/index.js';
import { crc16, hashTag, keySlot } from './support/key-slot.js';

describe('Redis Cluster-safe key names', () => {
  it('computes slots like Redis Cluster (the specification test vector)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  });

  it('puts one hash tag per issuer, with the default prefix', () => {
    const key = streamKey({ issuer: 'https://auth.example' });
    expect(key).toBe('{revocable:https://auth.example}:revocations');
    expect(hashTag(key)).toBe('revocable:https://auth.example');
    expect(key.match(/[{}]/g)).toEqual(['{', '}']);
  });

  it('takes a configurable prefix inside the tag, so deployments sharing a cluster do not collide', () => {
    const a = streamKey({ issuer: 'https://auth.example', keyPrefix: 'prod' });
    const b = streamKey({ issuer: 'https://auth.example', keyPrefix: 'staging' });
    expect(a).toBe('{prod:https://auth.example}:revocations');
    expect(a).not.toBe(b);
    expect(hashTag(a)).toBe('prod:https://auth.example');
  });

  it('spreads different issuers over the slots', () => {
    const slots = new Set(
      Array.from({ length: 50 }, (_, i) => keySlot(streamKey({ issuer: `https://tenant${i}.example` }))),
    );
    expect(slots.size).toBeGreaterThan(40);
  });

  it('encodes braces in an issuer so they cannot end the tag early', () => {
    const key = streamKey({ issuer: 'https://a}b{c%.example' });
    expect(key).toBe('{revocable:https://a%7db%7bc%25.example}:revocations');
    expect(hashTag(key)).toBe('revocable:https://a%7db%7bc%25.example');
    expect(streamKey({ issuer: 'x}' })).not.toBe(streamKey({ issuer: 'x%7d' }));
  });

  it('refuses a bad prefix or issuer with ERR_CONFIG_INVALID', () => {
    for (const options of [
      { issuer: 'https://auth.example', keyPrefix: '' },
      { issuer: 'https://auth.example', keyPrefix: 'has space' },
      { issuer: 'https://auth.example', keyPrefix: '{tag}' },
      { issuer: '' },
    ]) {
      let error: unknown;
      try {
        streamKey(options);
      } catch (err) {
        error = err;
      }
      expect(isRevocableError(error, 'ERR_CONFIG_INVALID')).toBe(true);
    }
  });

  it('gives the publisher and the source the same key', () => {
    const client = new Redis({ lazyConnect: true });
    const log = new MemoryRevocationLog();
    const publisher = new RedisFeedPublisher({ log, client, issuer: 'https://auth.example', keyPrefix: 'p' });
    const source = new RedisFeedSource({
      client,
      issuer: 'https://auth.example',
      keyPrefix: 'p',
      fallback: new LogFeedSource(log),
    });
    expect(publisher.key).toBe(source.key);
    expect(publisher.key).toBe('{p:https://auth.example}:revocations');
    client.disconnect();
  });
});
