import { AccessTokenIssuer, KeyRing, RevocableError, Verifier } from '@revocable/core';
import { describe, expect, it } from 'vitest';

const ISS = 'https://auth.example';
const AUD = 'api';

/** The error `run` throws, failing the test when it returns or throws anything but a RevocableError. */
function errorOf(run: () => unknown): RevocableError {
  try {
    run();
  } catch (err) {
    if (err instanceof RevocableError) return err;
    throw err;
  }
  throw new Error('expected a RevocableError, but nothing was thrown');
}

describe('issuer lifetime against the key ring', () => {
  it('exposes the ring maximum token lifetime (default 600 s)', async () => {
    expect((await KeyRing.open()).maxTokenLifetimeSec).toBe(600);
    expect((await KeyRing.open({ maxTokenLifetimeSec: 3600 })).maxTokenLifetimeSec).toBe(3600);
  });

  it('refuses a lifetime longer than the ring keeps retired keys for (ERR_CONFIG_INVALID)', async () => {
    const ring = await KeyRing.open(); // maxTokenLifetimeSec 600
    const err = errorOf(
      () => new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, lifetimeSec: 601 }),
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('maxTokenLifetimeSec');
  });

  it('refuses the default 600 s lifetime on a ring whose maximum is shorter', async () => {
    const ring = await KeyRing.open({ maxTokenLifetimeSec: 300 });
    expect(errorOf(() => new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD })).code).toBe(
      'ERR_CONFIG_INVALID',
    );
    expect(
      new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, lifetimeSec: 300 }).maxLifetimeSec,
    ).toBe(300);
  });

  it('accepts a lifetime equal to the ring maximum, and the retired key verifies its last token to the end', async () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    const ring = await KeyRing.open({ clock, maxTokenLifetimeSec: 3600, graceSec: 0 });
    const issuer = new AccessTokenIssuer({
      keys: ring,
      issuer: ISS,
      audience: AUD,
      lifetimeSec: 3600,
      clock,
    });
    const verifier = new Verifier({ keys: ring, issuer: ISS, audience: AUD, clock, cache: false });
    const { token } = issuer.issue({ sub: 'u' });
    await ring.rotate();
    now += 3_599_000;
    await ring.pruneRetired();
    expect(verifier.verifySync(token).claims.sub).toBe('u');
  });

  it('refuses options without a key ring (ERR_CONFIG_INVALID, not a TypeError)', () => {
    const options = { issuer: ISS, audience: AUD } as unknown as ConstructorParameters<
      typeof AccessTokenIssuer
    >[0];
    expect(errorOf(() => new AccessTokenIssuer(options)).code).toBe('ERR_CONFIG_INVALID');
  });

  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuses to open a ring whose maxTokenLifetimeSec is ${bad}`, async () => {
      const err = await KeyRing.open({ maxTokenLifetimeSec: bad }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RevocableError);
      expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    });
  }

  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuses to open a ring whose graceSec is ${bad}`, async () => {
      const err = await KeyRing.open({ graceSec: bad }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RevocableError);
      expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    });
  }
});

describe('caller claims that cannot be written as JSON', () => {
  async function issuer(): Promise<AccessTokenIssuer> {
    return new AccessTokenIssuer({ keys: await KeyRing.open(), issuer: ISS, audience: AUD });
  }

  it('refuses a BigInt claim with ERR_CLAIM_INVALID naming it', async () => {
    const i = await issuer();
    const err = errorOf(() => i.issue({ sub: 'u', claims: { tenant: 'acme', balance: 10n } }));
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim: 'balance' });
  });

  it('refuses a BigInt nested inside a claim, naming the top-level claim', async () => {
    const i = await issuer();
    const err = errorOf(() => i.issue({ sub: 'u', claims: { org: { ids: [1n] } } }));
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim: 'org' });
  });

  it('refuses a circular claim with ERR_CLAIM_INVALID naming it', async () => {
    const i = await issuer();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop['self'] = loop;
    const err = errorOf(() => i.issue({ sub: 'u', claims: { fine: 1, loop } }));
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim: 'loop' });
  });

  it('refuses a claim whose toJSON throws, keeping the original error as the cause', async () => {
    const i = await issuer();
    const bad = {
      toJSON() {
        throw new Error('boom');
      },
    };
    const err = errorOf(() => i.issue({ sub: 'u', claims: { bad } }));
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim: 'bad' });
    expect((err.cause as Error).message).toBe('boom');
  });

  it('still issues once the offending claim is gone (nothing half-written)', async () => {
    const i = await issuer();
    expect(() => i.issue({ sub: 'u', claims: { balance: 10n } })).toThrow(RevocableError);
    expect(i.issue({ sub: 'u', claims: { balance: '10' } }).claims['balance']).toBe('10');
  });
});
