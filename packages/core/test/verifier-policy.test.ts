import {
  DEFAULT_REVOCATION_POLICY,
  Replica,
  RevocableError,
  type RevocationCheck,
  type RevocationPolicy,
  Verifier,
  type VerifierOptions,
} from '@revocable/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUD, claims, clock, type Fixture, fixtureFor, ISS, NOW, NOW_MS } from './support/fixtures.js';
import { forgeSigned } from './support/forge.js';
import { expectRejected } from './support/rejection.js';

// The verifier's lifetime bound and clock tolerance come from the revocation check's policy: the one
// place that says how long the log keeps its cutoffs and its margin.

let f: Fixture;
const replicas: Replica[] = [];
beforeAll(async () => {
  f = await fixtureFor('EdDSA');
});
afterEach(() => {
  for (const replica of replicas.splice(0)) replica.close();
});

const TEN_MINUTES: RevocationPolicy = { maxTokenLifetimeMs: 600_000, clockSkewMs: 60_000 };

/** A fresh replica (no rules) on the fixtures' clock, following `policy`. */
function replicaWith(policy?: RevocationPolicy): Replica {
  const replica = new Replica({ clock, purgeIntervalMs: 0, ...(policy && { policy }) });
  replica.load({ seq: 0, events: [], takenAt: NOW_MS });
  replicas.push(replica);
  return replica;
}

function lifetime(seconds: number): string {
  return forgeSigned(f.key, f.header(), claims({ iat: NOW, exp: NOW + seconds }));
}

function configError(make: () => unknown): RevocableError {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(RevocableError);
    expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    return err as RevocableError;
  }
  throw new Error('expected ERR_CONFIG_INVALID, but the verifier was made');
}

const base = (): Omit<VerifierOptions, 'revocation'> => ({ keys: f.ring, issuer: ISS, audience: AUD, clock });

describe('a verifier reads its bounds from the revocation policy', () => {
  it('control: a 600 s token passes a verifier following a 600 s replica', () => {
    const verifier = new Verifier({ ...base(), revocation: replicaWith(TEN_MINUTES) });
    expect(verifier.verifySync(lifetime(600)).claims.exp).toBe(NOW + 600);
  });

  it('refuses a 3,600 s token when it follows a replica whose policy is 600 s, with no bound given', () => {
    const verifier = new Verifier({ ...base(), revocation: replicaWith(TEN_MINUTES) });
    const err = expectRejected(verifier, lifetime(3600), { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
    expect(err.message).toContain('600');
  });

  it('follows a longer policy: a 3,600 s token passes a replica whose policy is an hour', () => {
    const hour = { maxTokenLifetimeMs: 3_600_000, clockSkewMs: 60_000 };
    const verifier = new Verifier({ ...base(), revocation: replicaWith(hour) });
    expect(verifier.verifySync(lifetime(3600)).claims.exp).toBe(NOW + 3600);
    expect(verifier.maxTokenLifetimeSec).toBe(3600);
  });

  it('reports the bound and the policy it took', () => {
    const replica = replicaWith(TEN_MINUTES);
    const verifier = new Verifier({ ...base(), revocation: replica });
    expect(verifier.maxTokenLifetimeSec).toBe(600);
    expect(verifier.policy).toEqual(TEN_MINUTES);
    expect(verifier.clockToleranceSec).toBe(5);
  });

  it('refuses at construction a maxTokenLifetimeSec above the policy, naming both values', () => {
    const err = configError(
      () => new Verifier({ ...base(), revocation: replicaWith(TEN_MINUTES), maxTokenLifetimeSec: 3600 }),
    );
    expect(err.message).toContain('3600');
    expect(err.message).toContain('600000');
  });

  it('takes a smaller maxTokenLifetimeSec, and enforces it', () => {
    const verifier = new Verifier({
      ...base(),
      revocation: replicaWith(TEN_MINUTES),
      maxTokenLifetimeSec: 300,
    });
    expect(verifier.maxTokenLifetimeSec).toBe(300);
    expect(verifier.verifySync(lifetime(300)).claims.exp).toBe(NOW + 300);
    expectRejected(verifier, lifetime(301), { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
  });

  it('refuses at construction a clock tolerance beyond the policy clock margin, naming both values', () => {
    const tight = { maxTokenLifetimeMs: 600_000, clockSkewMs: 2_000 };
    const err = configError(
      () => new Verifier({ ...base(), revocation: replicaWith(tight), clockToleranceSec: 3 }),
    );
    expect(err.message).toContain('clockToleranceSec (3)');
    expect(err.message).toContain('2000');
    expect(
      new Verifier({ ...base(), revocation: replicaWith(tight), clockToleranceSec: 2 }).clockToleranceSec,
    ).toBe(2);
  });

  it('defaults the clock tolerance to 5 s, or to the policy margin when that is smaller', () => {
    const tight = { maxTokenLifetimeMs: 600_000, clockSkewMs: 1_000 };
    expect(new Verifier({ ...base(), revocation: replicaWith(tight) }).clockToleranceSec).toBe(1);
    expect(new Verifier({ ...base(), revocation: replicaWith(TEN_MINUTES) }).clockToleranceSec).toBe(5);
  });

  it('follows the policy of any RevocationCheck, not only a Replica', () => {
    const check: RevocationCheck = {
      policy: { maxTokenLifetimeMs: 120_000, clockSkewMs: 5_000 },
      check: () => undefined,
    };
    const verifier = new Verifier({ ...base(), revocation: check });
    expect(verifier.maxTokenLifetimeSec).toBe(120);
    expectRejected(verifier, lifetime(121), { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
  });

  for (const [name, policy] of [
    ['missing', undefined],
    ['a zero lifetime', { maxTokenLifetimeMs: 0, clockSkewMs: 60_000 }],
    ['a lifetime that is not a number', { maxTokenLifetimeMs: '600000', clockSkewMs: 60_000 }],
    ['a negative clock margin', { maxTokenLifetimeMs: 600_000, clockSkewMs: -1 }],
    ['an infinite lifetime', { maxTokenLifetimeMs: Number.POSITIVE_INFINITY, clockSkewMs: 60_000 }],
  ] as const) {
    it(`refuses a revocation check whose policy is ${name}`, () => {
      const check = { policy, check: () => undefined } as unknown as RevocationCheck;
      const err = configError(() => new Verifier({ ...base(), revocation: check }));
      expect(err.message).toContain('policy');
    });
  }
});

describe('a verifier without revocation says so', () => {
  it('refuses a missing revocation, saying to pass a replica or "none"', () => {
    const err = configError(() => new Verifier(base() as VerifierOptions));
    expect(err.message).toMatch(/replica/i);
    expect(err.message).toContain("'none'");
  });

  it('refuses a revocation that is neither a check nor "none"', () => {
    configError(() => new Verifier({ ...base(), revocation: 'off' as 'none' }));
    configError(() => new Verifier({ ...base(), revocation: {} as RevocationCheck }));
  });

  it("with 'none', bounds the lifetime by the default policy (600 s) unless told otherwise", () => {
    const verifier = new Verifier({ ...base(), revocation: 'none' });
    expect(verifier.maxTokenLifetimeSec).toBe(DEFAULT_REVOCATION_POLICY.maxTokenLifetimeMs / 1000);
    expect(verifier.policy).toBeUndefined();
    expect(verifier.verifySync(lifetime(600)).claims.exp).toBe(NOW + 600);
    expectRejected(verifier, lifetime(601), { code: 'ERR_CLAIM_INVALID', claim: 'exp' });
  });

  it("with 'none', takes any explicit bound: there is no log whose memory it could outlive", () => {
    const verifier = new Verifier({ ...base(), revocation: 'none', maxTokenLifetimeSec: 86_400 });
    expect(verifier.verifySync(lifetime(86_400)).claims.exp).toBe(NOW + 86_400);
  });

  it('checks a token against its check on every verify, and the fixtures clock is the replica clock', () => {
    // control for the cases above: a rule on the replica does reject through the verifier
    const replica = replicaWith(TEN_MINUTES);
    const verifier = new Verifier({ ...base(), revocation: replica });
    const token = lifetime(600);
    replica.apply({
      seq: 1,
      rule: { kind: 'token', iss: ISS, tokenId: 'jti-1', expiresAt: NOW_MS + 600_000 },
      reason: 'logout',
      actor: 'test',
      recordedAt: NOW_MS,
      forgetAfter: NOW_MS + 660_000,
    });
    expectRejected(verifier, token, { code: 'ERR_TOKEN_REVOKED', rule: 'token' });
  });
});

describe('Replica.policy', () => {
  it('is the policy it was given, and the default policy otherwise', () => {
    const hour = { maxTokenLifetimeMs: 3_600_000, clockSkewMs: 30_000 };
    expect(replicaWith(hour).policy).toEqual(hour);
    expect(replicaWith().policy).toEqual(DEFAULT_REVOCATION_POLICY);
  });

  it('is made of the deprecated maxTokenLifetimeMs for one release, never of both', () => {
    const old = new Replica({ purgeIntervalMs: 0, maxTokenLifetimeMs: 120_000 });
    replicas.push(old);
    expect(old.policy).toEqual({ maxTokenLifetimeMs: 120_000, clockSkewMs: 60_000 });
    configError(() => new Replica({ purgeIntervalMs: 0, policy: TEN_MINUTES, maxTokenLifetimeMs: 120_000 }));
  });

  it('refuses a policy that is not one', () => {
    configError(
      () => new Replica({ purgeIntervalMs: 0, policy: { maxTokenLifetimeMs: -5, clockSkewMs: 0 } }),
    );
  });
});
