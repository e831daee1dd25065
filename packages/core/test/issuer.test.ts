import {
  AccessTokenIssuer,
  DEFAULT_REVOCATION_POLICY,
  KeyRing,
  REGISTERED_CLAIMS,
  RevocableError,
  type RevocationPolicy,
  Verifier,
} from '@revocable/core';
import { beforeAll, describe, expect, it } from 'vitest';

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

const HOUR: RevocationPolicy = { maxTokenLifetimeMs: 3_600_000, clockSkewMs: 60_000 };

describe('issuer and key ring under one revocation policy', () => {
  it('opens a ring on the default policy (600 s, 60 s margin), or on the policy given', async () => {
    expect((await KeyRing.open()).policy).toEqual(DEFAULT_REVOCATION_POLICY);
    expect((await KeyRing.open({ policy: HOUR })).policy).toEqual(HOUR);
  });

  it("takes the ring's policy by default: tokens live its maxTokenLifetimeMs", async () => {
    const ring = await KeyRing.open({ policy: HOUR });
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD });
    expect(issuer.policy).toEqual(HOUR);
    expect(issuer.maxLifetimeSec).toBe(3600);
    expect(issuer.issue({ sub: 'u' }).expiresIn).toBe(3600);
  });

  it('takes a shorter policy than the ring, and its tokens live that long', async () => {
    const ring = await KeyRing.open({ policy: HOUR });
    const issuer = new AccessTokenIssuer({
      keys: ring,
      issuer: ISS,
      audience: AUD,
      policy: DEFAULT_REVOCATION_POLICY,
    });
    expect(issuer.issue({ sub: 'u' }).expiresIn).toBe(600);
  });

  it('refuses a policy longer than the ring keeps retired keys for, naming both values', async () => {
    const ring = await KeyRing.open(); // 600 s
    const err = errorOf(
      () => new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, policy: HOUR }),
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('3600000');
    expect(err.message).toContain('600000');
  });

  it('keeps a retired key verifying for the policy lifetime plus its clock margin, and no longer', async () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    const policy = { maxTokenLifetimeMs: 3_600_000, clockSkewMs: 0 };
    const ring = await KeyRing.open({ clock, policy });
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, clock });
    const verifier = new Verifier({
      keys: ring,
      issuer: ISS,
      audience: AUD,
      clock,
      cache: false,
      revocation: 'none',
      maxTokenLifetimeSec: 3600,
    });
    const { token } = issuer.issue({ sub: 'u' });
    await ring.rotate();
    now += 3_599_000;
    await ring.pruneRetired();
    expect(verifier.verifySync(token).claims.sub).toBe('u');
    now += 1_000;
    expect(ring.list().find((k) => k.state === 'retired')?.verifyUntil).toBe(now);
  });

  it('refuses options without a key ring (ERR_CONFIG_INVALID, not a TypeError)', () => {
    const options = { issuer: ISS, audience: AUD } as unknown as ConstructorParameters<
      typeof AccessTokenIssuer
    >[0];
    expect(errorOf(() => new AccessTokenIssuer(options)).code).toBe('ERR_CONFIG_INVALID');
  });

  for (const [name, policy] of [
    ['a zero lifetime', { maxTokenLifetimeMs: 0, clockSkewMs: 60_000 }],
    ['a negative margin', { maxTokenLifetimeMs: 600_000, clockSkewMs: -1 }],
    ['a lifetime that is not a number', { maxTokenLifetimeMs: Number.NaN, clockSkewMs: 60_000 }],
  ] as const) {
    it(`refuses to open a ring whose policy has ${name}`, async () => {
      const err = await KeyRing.open({ policy }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RevocableError);
      expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    });
  }

  it('refuses a ring given both a policy and the deprecated lifetime fields', async () => {
    const err = await KeyRing.open({ policy: HOUR, maxTokenLifetimeSec: 3600 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
  });
});

describe('the deprecated lifetime fields, for one release', () => {
  it('maxTokenLifetimeSec and graceSec of a ring make its policy', async () => {
    const ring = await KeyRing.open({ maxTokenLifetimeSec: 3600, graceSec: 30 });
    expect(ring.policy).toEqual({ maxTokenLifetimeMs: 3_600_000, clockSkewMs: 30_000 });
    expect(ring.maxTokenLifetimeSec).toBe(3600);
  });

  it("lifetimeSec of an issuer is its tokens' lifetime, at most the policy's", async () => {
    const ring = await KeyRing.open(); // 600 s
    const err = errorOf(
      () => new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, lifetimeSec: 601 }),
    );
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain('601');
    expect(
      new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, lifetimeSec: 300 }).maxLifetimeSec,
    ).toBe(300);
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

/** A clock on a whole second plus 123 ms, as a real clock mostly is. */
const NOW_MS = Date.UTC(2026, 0, 1, 12, 0, 0) + 123;
const clock = () => NOW_MS;

/** The payload the token really carries, decoded from its text. */
function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe('issued claims', () => {
  let ring: KeyRing;
  /** An issuer whose policy lets tokens live `lifetimeSec` (default 600), on a ring made for a day. */
  const issuerOf = (lifetimeSec = 600) =>
    new AccessTokenIssuer({
      keys: ring,
      issuer: ISS,
      audience: AUD,
      clock,
      policy: { maxTokenLifetimeMs: lifetimeSec * 1000, clockSkewMs: 60_000 },
    });

  beforeAll(async () => {
    ring = await KeyRing.open({ clock, policy: { maxTokenLifetimeMs: 86_400_000, clockSkewMs: 60_000 } });
  });

  it('are what the token carries', () => {
    const { token, claims } = issuerOf().issue({
      sub: 'u',
      sid: 's',
      clientId: 'c',
      scope: 'read',
      claims: { tenant: 'acme' },
    });
    expect(payloadOf(token)).toEqual(claims);
    expect(claims).toMatchObject({
      iss: ISS,
      sub: 'u',
      aud: AUD,
      sid: 's',
      client_id: 'c',
      scope: 'read',
      tenant: 'acme',
    });
  });

  for (const name of REGISTERED_CLAIMS) {
    it(`cannot have "${name}" set by the caller (ERR_CLAIM_INVALID naming it)`, () => {
      const err = errorOf(() => issuerOf().issue({ sub: 'u', claims: { [name]: 'forged' } }));
      expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim: name });
    });
  }

  it('always carry client_id (RFC 9068): the request\'s, else the issuer\'s clientId, else "revocable"', () => {
    expect(issuerOf().issue({ sub: 'u' }).claims.client_id).toBe('revocable');
    expect(issuerOf().issue({ sub: 'u', clientId: 'web' }).claims.client_id).toBe('web');
    const own = new AccessTokenIssuer({
      keys: ring,
      issuer: ISS,
      audience: AUD,
      clock,
      clientId: 'orders-app',
    });
    expect(own.issue({ sub: 'u' }).claims.client_id).toBe('orders-app');
    expect(
      errorOf(() => new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD, clientId: '' })).code,
    ).toBe('ERR_CONFIG_INVALID');
  });

  it('keep registered values even when the caller claims object inherits registered names', () => {
    const sneaky = Object.create({ iss: 'https://evil.example', sub: 'admin', exp: 9e9 }) as Record<
      string,
      unknown
    >;
    sneaky['tenant'] = 'acme';
    const { token } = issuerOf().issue({ sub: 'u', claims: sneaky });
    expect(payloadOf(token)).toMatchObject({ iss: ISS, sub: 'u', tenant: 'acme' });
    expect(payloadOf(token)['exp']).toBeLessThan(NOW_MS / 1000 + 86_401);
  });

  it('last the policy lifetime (600 s): exp is a whole second 600 s after the whole second of iat', () => {
    const issuer = issuerOf();
    expect(issuer.maxLifetimeSec).toBe(600);
    const { claims, expiresIn } = issuer.issue({ sub: 'u' });
    expect(claims.iat).toBe(NOW_MS / 1000);
    expect(claims.exp).toBe(Math.floor(NOW_MS / 1000) + 600);
    expect(Number.isInteger(claims.exp)).toBe(true);
    expect(expiresIn).toBe(600);
  });

  it('take a longer policy lifetime when one is given', () => {
    const { claims, expiresIn } = issuerOf(3600).issue({ sub: 'u' });
    expect(claims.exp - Math.floor(claims.iat)).toBe(3600);
    expect(expiresIn).toBe(3600);
  });

  it('take a shorter per-token lifetime, down to 1 s', () => {
    const issuer = issuerOf();
    expect(issuer.issue({ sub: 'u', lifetimeSec: 60 }).expiresIn).toBe(60);
    expect(issuer.issue({ sub: 'u', lifetimeSec: 1 }).claims.exp).toBe(Math.floor(NOW_MS / 1000) + 1);
  });

  for (const bad of [0, -1, 1.5, 601, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuse a per-token lifetime of ${bad} s on a 600 s issuer (ERR_CLAIM_INVALID, exp)`, () => {
      const err = errorOf(() => issuerOf().issue({ sub: 'u', lifetimeSec: bad }));
      expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim: 'exp' });
    });
  }

  for (const bad of [0, -1, 1.5, 86_401, Number.NaN]) {
    it(`refuse a policy lifetime of ${bad} s (ERR_CONFIG_INVALID)`, () => {
      expect(errorOf(() => issuerOf(bad)).code).toBe('ERR_CONFIG_INVALID');
    });
  }

  it('accept an issuer lifetime of 86400 s, the upper bound, on a ring made for it', () => {
    expect(issuerOf(86_400).maxLifetimeSec).toBe(86_400);
  });

  it('carry a jti of 16 bytes in canonical base64url (22 characters)', () => {
    const { jti } = issuerOf().issue({ sub: 'u' }).claims;
    expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const bytes = Buffer.from(jti!, 'base64url');
    expect(bytes.length).toBe(16);
    expect(bytes.toString('base64url')).toBe(jti);
  });

  it('carry a different jti on every token, even at the same instant', () => {
    const issuer = issuerOf();
    const ids = new Set(Array.from({ length: 2000 }, () => issuer.issue({ sub: 'u' }).claims.jti));
    expect(ids.size).toBe(2000);
  });
});

describe('request values the verifier would refuse', () => {
  let ring: KeyRing;
  beforeAll(async () => {
    ring = await KeyRing.open();
  });
  const issuer = () => new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD });

  for (const [field, claim] of [
    ['sid', 'sid'],
    ['clientId', 'client_id'],
    ['scope', 'scope'],
  ] as const) {
    it(`refuse a ${field} that is not a string (ERR_CLAIM_INVALID, ${claim}) instead of signing a token no verifier accepts`, () => {
      const err = errorOf(() => issuer().issue({ sub: 'u', [field]: ['read'] as unknown as string }));
      expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim });
    });
  }

  for (const bad of [[], [''], '', [1], ['api', 2]]) {
    it(`refuse a request audience of ${JSON.stringify(bad)} (ERR_CLAIM_INVALID, aud)`, () => {
      const err = errorOf(() => issuer().issue({ sub: 'u', audience: bad as unknown as string[] }));
      expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_CLAIM_INVALID', claim: 'aud' });
    });
    it(`refuse an issuer audience of ${JSON.stringify(bad)} (ERR_CONFIG_INVALID)`, () => {
      const options = { keys: ring, issuer: ISS, audience: bad as unknown as string[] };
      expect(errorOf(() => new AccessTokenIssuer(options)).code).toBe('ERR_CONFIG_INVALID');
    });
  }

  for (const bad of [null, 'tenant', ['a']]) {
    it(`refuse caller claims given as ${JSON.stringify(bad)} rather than an object (ERR_CLAIM_INVALID)`, () => {
      const claims = bad as unknown as Record<string, unknown>;
      expect(errorOf(() => issuer().issue({ sub: 'u', claims })).code).toBe('ERR_CLAIM_INVALID');
    });
  }

  it('accept an array audience, copied so a later change to it does not touch the issued claims', () => {
    const audience = ['api', 'other'];
    const { claims } = issuer().issue({ sub: 'u', audience });
    audience.push('x');
    expect(claims.aud).toEqual(['api', 'other']);
  });
});
