import { LoginThrottle } from '@revocable/server';
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

  it('forgets failures after the window and a success clears the pair', () => {
    const throttle = new LoginThrottle({ pairFailures: 1, windowMs: 60_000 });
    throttle.failed('bob', '1.1.1.1', T0);
    throttle.failed('bob', '1.1.1.1', T0);
    expect(throttle.retryAfterMs('bob', '1.1.1.1', T0)).toBeGreaterThan(0);
    expect(throttle.retryAfterMs('bob', '1.1.1.1', T0 + 60_001)).toBe(0);
    throttle.failed('bob', '1.1.1.1', T0 + 70_000);
    throttle.failed('bob', '1.1.1.1', T0 + 70_000);
    throttle.succeeded('bob', '1.1.1.1');
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
});
