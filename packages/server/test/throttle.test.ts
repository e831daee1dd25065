import { LoginThrottle } from '@revocable/server/internal';
import { describe, expect, it } from 'vitest';

const T0 = 1_000_000;

describe('login throttling', () => {
  it('lets the first failures through, then delays the (account, IP) pair exponentially', () => {
    const throttle = new LoginThrottle({ pairFailures: 3, baseDelayMs: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterMs('alice', '1.1.1.1', T0)).toBe(0);
      throttle.failed('alice', '1.1.1.1', T0);
    }
    expect(throttle.retryAfterMs('alice', '1.1.1.1', T0)).toBe(1000);
    throttle.failed('alice', '1.1.1.1', T0 + 1000);
    expect(throttle.retryAfterMs('alice', '1.1.1.1', T0 + 1000)).toBe(2000);
  });

  it('does not delay the same account from another IP until the account-wide limit', () => {
    const throttle = new LoginThrottle({ pairFailures: 3, accountFailures: 10 });
    for (let i = 0; i < 5; i++) throttle.failed('alice', '6.6.6.6', T0);
    expect(throttle.retryAfterMs('alice', '6.6.6.6', T0)).toBeGreaterThan(0);
    expect(throttle.retryAfterMs('alice', '2.2.2.2', T0)).toBe(0);
  });

  it('caps every delay, so an attacker cannot lock an account for longer than maxDelay', () => {
    const throttle = new LoginThrottle({ maxDelayMs: 900_000, accountFailures: 5 });
    for (let i = 0; i < 10_000; i++) throttle.failed('victim', `10.0.${i >> 8}.${i & 255}`, T0);
    expect(throttle.retryAfterMs('victim', '192.0.2.1', T0)).toBeLessThanOrEqual(900_000);
    expect(throttle.retryAfterMs('victim', '192.0.2.1', T0 + 900_000)).toBe(0);
  });

  it('cannot keep the owner out from where they logged in before, however the delay is renewed', () => {
    const throttle = new LoginThrottle({ accountFailures: 50, maxDelayMs: 900_000 });
    throttle.succeeded('victim', '192.0.2.1', T0 - 1000); // the owner's usual place
    for (let i = 0; i < 50; i++) throttle.failed('victim', `10.0.0.${i}`, T0);
    // The attacker renews the account-wide delay each time it runs out, for two days.
    let now = T0;
    let ownerKeptOut = 0;
    let newPlaceDelayed = 0;
    for (let round = 0; round < 200; round++) {
      now += throttle.retryAfterMs('victim', '203.0.113.9', now) + 1;
      throttle.failed('victim', `10.1.${round >> 8}.${round & 255}`, now);
      if (throttle.retryAfterMs('victim', '192.0.2.1', now) > 0) ownerKeptOut++;
      if (throttle.retryAfterMs('victim', '203.0.113.9', now) > 0) newPlaceDelayed++;
    }
    expect(now - T0).toBeGreaterThan(86_400_000);
    expect(newPlaceDelayed).toBe(200); // a new place is slowed down, by at most maxDelay each time
    expect(ownerKeptOut).toBe(0);
  });

  it('counts an attempt when it starts and takes it back on success', () => {
    const throttle = new LoginThrottle({ pairFailures: 2, accountFailures: 3 });
    expect(throttle.attempt('amy', '1.1.1.1', T0)).toBe(0);
    expect(throttle.attempt('amy', '1.1.1.1', T0)).toBe(0);
    expect(throttle.attempt('amy', '1.1.1.1', T0)).toBeGreaterThan(0); // two in flight already count
    throttle.succeeded('amy', '1.1.1.1', T0);
    expect(throttle.attempt('amy', '2.2.2.2', T0)).toBe(0); // the account total went back to 1, then 2
    expect(throttle.attempt('amy', '3.3.3.3', T0)).toBe(0);
    expect(throttle.attempt('amy', '4.4.4.4', T0)).toBeGreaterThan(0);
    expect(throttle.attempt('amy', '1.1.1.1', T0)).toBe(0); // known pair: exempt from the account total
  });

  it('forgets failures after the window and a success clears the pair', () => {
    const throttle = new LoginThrottle({ pairFailures: 1, windowMs: 60_000 });
    throttle.failed('bob', '1.1.1.1', T0);
    throttle.failed('bob', '1.1.1.1', T0);
    expect(throttle.retryAfterMs('bob', '1.1.1.1', T0)).toBeGreaterThan(0);
    expect(throttle.retryAfterMs('bob', '1.1.1.1', T0 + 60_001)).toBe(0);
    throttle.failed('bob', '1.1.1.1', T0 + 70_000);
    throttle.failed('bob', '1.1.1.1', T0 + 70_000);
    throttle.succeeded('bob', '1.1.1.1', T0 + 70_000);
    expect(throttle.retryAfterMs('bob', '1.1.1.1', T0 + 70_000)).toBe(0);
  });

  it('holds a bounded number of keys', () => {
    const throttle = new LoginThrottle({
      maxKeys: 100,
      pairFailures: 0,
      ipFailures: 1000,
      accountFailures: 1000,
    });
    for (let i = 0; i < 1000; i++) throttle.failed(`user-${i}`, '1.1.1.1', T0);
    // the oldest pairs were dropped: user-0's pair no longer delays
    expect(throttle.retryAfterMs('user-0', '9.9.9.9', T0)).toBe(0);
    expect(throttle.retryAfterMs('user-999', '1.1.1.1', T0)).toBeGreaterThan(0);
  });

  it('takes back an attempt that could not be checked, on the pair, the account and the IP', () => {
    const throttle = new LoginThrottle({ pairFailures: 1, accountFailures: 1, ipFailures: 1 });
    for (let i = 0; i < 5; i++) {
      expect(throttle.attempt('carl', '1.1.1.1', T0)).toBe(0);
      throttle.abandoned('carl', '1.1.1.1', T0); // the store failed: no guess was checked
    }
    expect(throttle.retryAfterMs('carl', '1.1.1.1', T0)).toBe(0);
    expect(throttle.retryAfterMs('carl', '2.2.2.2', T0)).toBe(0);
    expect(throttle.retryAfterMs('someone-else', '1.1.1.1', T0)).toBe(0);
  });

  it('keeps the real failures counted when an attempt is taken back', () => {
    const throttle = new LoginThrottle({ pairFailures: 2 });
    throttle.failed('dana', '1.1.1.1', T0);
    expect(throttle.attempt('dana', '1.1.1.1', T0)).toBe(0);
    throttle.abandoned('dana', '1.1.1.1', T0);
    expect(throttle.retryAfterMs('dana', '1.1.1.1', T0)).toBe(0);
    throttle.failed('dana', '1.1.1.1', T0); // the second real failure reaches the limit
    expect(throttle.retryAfterMs('dana', '1.1.1.1', T0)).toBeGreaterThan(0);
  });
});
