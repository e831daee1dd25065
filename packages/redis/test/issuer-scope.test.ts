// Token and key rules published on Redis keep their issuer: a follower's replica rejects that issuer's
// token and not another issuer's token with the same jti or kid.
import type { Replica, RevocationRequest, TokenFacts } from '@revocable/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FeedFixture, ISSUER, waitFor } from './support/feed-fixture.js';
import { RedisServer, redisServerAvailable } from './support/redis-server.js';

const available = redisServerAvailable();
const OTHER = 'https://other.example';

function check(replica: Replica, iss: string, over: Partial<TokenFacts> = {}) {
  const now = Date.now();
  return replica.check({
    tokenId: 'shared-jti',
    iss,
    sub: 'user-1',
    sid: undefined,
    kid: 'k-other',
    issuedAtMs: now - 1_000,
    expiresAtMs: now + 600_000,
    ...over,
  });
}

describe.skipIf(!available)('issuer-scoped rules through Redis', () => {
  let redis: RedisServer;
  let fixture: FeedFixture;

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await fixture?.close();
  });

  it("a follower rejects the rule's issuer's token (control) and not another issuer's with the same jti or kid", async () => {
    fixture = new FeedFixture(redis.url);
    fixture.publisher.start();
    const follower = await fixture.follow();
    const expiresAt = Date.now() + 600_000;
    const requests: RevocationRequest[] = [
      {
        rule: { kind: 'token', iss: ISSUER, tokenId: 'shared-jti', expiresAt },
        reason: 'logout',
        actor: 'x',
      },
      {
        rule: { kind: 'key', iss: ISSUER, kid: 'shared-kid', expiresAt },
        reason: 'key_compromise',
        actor: 'x',
      },
    ];
    await fixture.log.append(requests);
    await waitFor(() => follower.replica.lastSeq === 2, 'the follower at seq 2');
    expect(follower.source.stats().events).toBeGreaterThan(0);
    expect(check(follower.replica, ISSUER)).toBe('token');
    expect(check(follower.replica, ISSUER, { tokenId: 'own', kid: 'shared-kid' })).toBe('key');
    expect(check(follower.replica, OTHER)).toBeUndefined();
    expect(check(follower.replica, OTHER, { tokenId: 'own', kid: 'shared-kid' })).toBeUndefined();
  });
});
