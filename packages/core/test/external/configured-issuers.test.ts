import {
  ConfiguredIssuers,
  checkRevocationPolicy,
  lifetimeOf,
  MemoryRevocationLog,
  parseTrustedIssuers,
  policyWithIssuers,
  RemoteJwks,
  Replica,
  type RevocableError,
  Verifier,
} from '@revocable/core';
import { forgetAfterOf } from '@revocable/core/internal';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from './support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign } from './support/keys.js';

const OWN = 'https://auth.example';
const TENANT = '11111111-2222-3333-4444-555555555555';
const ENTRA = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const BASE = { maxTokenLifetimeMs: 600_000, clockSkewMs: 60_000 };

const servers: TestServer[] = [];
const replicas: Replica[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const replica of replicas.splice(0)) replica.close();
});

let key: IssuerKey;
beforeAll(async () => {
  key = await issuerKey('k1');
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return `${(err as RevocableError).code}: ${(err as Error).message}`;
  }
  return undefined;
}

describe('parseTrustedIssuers', () => {
  it('reads an Entra entry by tenant, with the lifetime in seconds', () => {
    const [entra] = parseTrustedIssuers(
      [
        {
          id: 'entra',
          profile: 'entra-v2',
          tenant: TENANT,
          audience: 'api://orders',
          maxTokenLifetime: 5400,
        },
      ],
      'trustedIssuers',
      OWN,
    );
    expect(entra).toMatchObject({
      id: 'entra',
      issuer: ENTRA,
      audience: ['api://orders'],
      maxTokenLifetimeSec: 5400,
    });
  });

  it.each([
    [
      { profile: 'auth0', issuer: 'https://a.example/', audience: 'x', maxTokenLifetime: 60 },
      'trustedIssuers[0].id',
    ],
    [
      { id: 'a', profile: 'nope', issuer: 'https://a.example/', audience: 'x', maxTokenLifetime: 60 },
      'trustedIssuers[0].profile',
    ],
    [
      { id: 'a', profile: 'auth0', issuer: 'https://a.example/', maxTokenLifetime: 60 },
      'trustedIssuers[0].audience',
    ],
    [
      { id: 'a', profile: 'auth0', issuer: 'https://a.example/', audience: 'x' },
      'trustedIssuers[0].maxTokenLifetime',
    ],
    [
      { id: 'a', profile: 'auth0', issuer: 'https://a.example/', audience: 'x', maxTokenLifetime: 999_999 },
      'trustedIssuers[0].maxTokenLifetime',
    ],
    [
      {
        id: 'a',
        profile: 'auth0',
        issuer: 'https://a.example/',
        audience: 'x',
        maxTokenLifetime: 60,
        extra: 1,
      },
      'trustedIssuers[0].extra',
    ],
    [
      { id: 'a', profile: 'auth0', tenant: TENANT, audience: 'x', maxTokenLifetime: 60 },
      'trustedIssuers[0].tenant',
    ],
    [
      { id: 'a', profile: 'keycloak', issuer: OWN, audience: 'x', maxTokenLifetime: 60 },
      'trustedIssuers[0].issuer',
    ],
    [
      { id: 'a', profile: 'keycloak', issuer: 'ftp://x', audience: 'x', maxTokenLifetime: 60 },
      'trustedIssuers[0].issuer',
    ],
  ])('refuses %j naming %s', (entry, field) => {
    expect(codeOf(() => parseTrustedIssuers([entry], 'trustedIssuers', OWN))).toMatch(
      new RegExp(`^ERR_CONFIG_INVALID: .*${field.replace(/[[\].]/g, '\\$&')}`),
    );
  });

  it('refuses a repeated id or issuer', () => {
    const one = {
      id: 'a',
      profile: 'auth0',
      issuer: 'https://a.example/',
      audience: 'x',
      maxTokenLifetime: 60,
    };
    expect(codeOf(() => parseTrustedIssuers([one, { ...one, issuer: 'https://b.example/' }]))).toMatch(
      /\[1\]\.id/,
    );
    expect(codeOf(() => parseTrustedIssuers([one, { ...one, id: 'b' }]))).toMatch(/\[1\]\.issuer/);
  });
});

describe('a per-issuer revocation policy', () => {
  const policy = policyWithIssuers(
    BASE,
    parseTrustedIssuers([
      { id: 'entra', profile: 'entra-v2', tenant: TENANT, audience: 'api', maxTokenLifetime: 5400 },
    ]),
  );

  it('keeps a cutoff about an issuer as long as that issuer’s tokens live, and the own ones by the default', () => {
    const now = Date.now();
    expect(lifetimeOf(policy, ENTRA)).toBe(5_400_000);
    expect(forgetAfterOf({ kind: 'subject', iss: ENTRA, sub: 'u', cutoff: now }, now, policy)).toBe(
      now + 5_400_000 + 60_000,
    );
    expect(forgetAfterOf({ kind: 'subject', iss: OWN, sub: 'u', cutoff: now }, now, policy)).toBe(
      now + 600_000 + 60_000,
    );
  });

  it('accepts a token rule for a 90-minute token of that issuer only', () => {
    const now = Date.now();
    const expiresAt = now + 80 * 60_000;
    expect(forgetAfterOf({ kind: 'token', iss: ENTRA, tokenId: 't', expiresAt }, now, policy)).toBe(
      expiresAt + 60_000,
    );
    expect(
      codeOf(() => forgetAfterOf({ kind: 'token', iss: OWN, tokenId: 't', expiresAt }, now, policy)),
    ).toMatch(/^ERR_REVOCATION_INVALID/);
  });

  it('is kept whole by checkRevocationPolicy and by the logs', async () => {
    expect(checkRevocationPolicy(policy).issuers?.[ENTRA]?.maxTokenLifetimeMs).toBe(5_400_000);
    expect(
      codeOf(() => checkRevocationPolicy({ ...BASE, issuers: { [ENTRA]: { maxTokenLifetimeMs: -1 } } })),
    ).toMatch(/^ERR_CONFIG_INVALID/);
    const log = new MemoryRevocationLog({ policy });
    const now = Date.now();
    const [event] = await log.append([
      { rule: { kind: 'session', iss: ENTRA, sid: 's', cutoff: now }, reason: 'logout', actor: 't' },
    ]);
    expect(event!.forgetAfter).toBeGreaterThanOrEqual(now + 5_400_000);
  });

  it('bounds each verifier by its issuer’s lifetime', () => {
    const replica = new Replica({ policy, purgeIntervalMs: 0 });
    replicas.push(replica);
    const keys = { get: () => undefined, refresh: async () => false };
    expect(
      new Verifier({ keys, issuer: ENTRA, audience: 'api', revocation: replica }).maxTokenLifetimeSec,
    ).toBe(5400);
    expect(
      new Verifier({ keys, issuer: OWN, audience: 'api', revocation: replica }).maxTokenLifetimeSec,
    ).toBe(600);
  });
});

/** An OP stand-in whose discovery document and key set a test can change. */
async function op(): Promise<
  TestServer & { issuer: string; document: Record<string, unknown>; up: boolean }
> {
  const server = await startServer();
  servers.push(server);
  const state = Object.assign(server, {
    issuer: server.origin,
    document: { issuer: server.origin, jwks_uri: `${server.origin}/jwks` } as Record<string, unknown>,
    up: true,
  });
  server.handle = (req, res) => {
    if (!state.up) return sendJson(res, {}, 503);
    if (req.url === '/jwks') return sendJson(res, jwks(key));
    if (req.url === '/.well-known/openid-configuration') return sendJson(res, state.document);
    sendJson(res, {}, 404);
  };
  return state;
}

function replicaFor(policy: ReturnType<typeof policyWithIssuers>): Replica {
  const replica = new Replica({ policy, purgeIntervalMs: 0 });
  replicas.push(replica);
  replica.load({ events: [], seq: 0, takenAt: Date.now() });
  return replica;
}

describe('ConfiguredIssuers', () => {
  it('verifies an issuer’s token and shows its key state', async () => {
    const server = await op();
    const configs = parseTrustedIssuers([
      {
        id: 'kc',
        profile: 'keycloak',
        issuer: server.issuer,
        audience: 'api',
        maxTokenLifetime: 300,
        allowInsecureLocalhost: true,
      },
    ]);
    const issuers = await ConfiguredIssuers.open(configs, {
      revocation: replicaFor(policyWithIssuers(BASE, configs)),
    });
    const iat = Math.floor(Date.now() / 1000);
    const token = await sign(
      key,
      { iss: server.issuer, sub: 'u', aud: 'api', iat, exp: iat + 300, jti: 'j' },
      { typ: 'JWT' },
    );
    const [route] = issuers.routes;
    await expect(route!.verify(token)).resolves.toMatchObject({ claims: { sub: 'u' } });
    expect(issuers.status()[0]).toMatchObject({
      id: 'kc',
      state: 'ready',
      kids: ['k1'],
      lastError: undefined,
    });
  });

  it('refuses at open a discovery document naming another issuer, naming the entry', async () => {
    const server = await op();
    server.document['issuer'] = 'https://elsewhere.example';
    const configs = parseTrustedIssuers([
      {
        id: 'kc',
        profile: 'keycloak',
        issuer: server.issuer,
        audience: 'api',
        maxTokenLifetime: 300,
        allowInsecureLocalhost: true,
      },
    ]);
    await expect(
      ConfiguredIssuers.open(configs, { revocation: replicaFor(policyWithIssuers(BASE, configs)) }),
    ).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringContaining('trustedIssuers[0] (kc)'),
    });
  });

  it('starts with an unreachable issuer, answers its tokens ERR_JWKS_UNAVAILABLE, and recovers', async () => {
    const server = await op();
    server.up = false;
    const configs = parseTrustedIssuers([
      {
        id: 'kc',
        profile: 'keycloak',
        issuer: server.issuer,
        audience: 'api',
        maxTokenLifetime: 300,
        allowInsecureLocalhost: true,
      },
    ]);
    let now = Date.now();
    const issuers = await ConfiguredIssuers.open(configs, {
      revocation: replicaFor(policyWithIssuers(BASE, configs)),
      clock: () => now,
    });
    expect(issuers.status()[0]).toMatchObject({
      state: 'unavailable',
      lastError: { code: 'ERR_JWKS_UNAVAILABLE' },
    });
    const iat = Math.floor(Date.now() / 1000);
    const token = await sign(
      key,
      { iss: server.issuer, sub: 'u', aud: 'api', iat, exp: iat + 300, jti: 'j' },
      { typ: 'JWT' },
    );
    await expect(issuers.routes[0]!.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' });
    server.up = true;
    now += 31_000; // past the retry interval
    await expect(issuers.routes[0]!.verify(token)).resolves.toMatchObject({ claims: { sub: 'u' } });
  });
});

describe('RemoteJwks expireAfterMs', () => {
  it('keeps the held keys while the key set is unreachable, then refuses every kid', async () => {
    const server = await op();
    let now = 1_000_000;
    const keys = new RemoteJwks({
      url: `${server.origin}/jwks`,
      allowInsecureLocalhost: true,
      maxAgeMs: 10_000,
      cooldownMs: 1_000,
      expireAfterMs: 60_000,
      clock: () => now,
    });
    await keys.load();
    server.up = false;
    now += 30_000; // stale, refresh fails in the background: the held key still works
    expect(keys.get('k1')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    now += 31_000; // past expireAfterMs since the last good fetch
    expect(keys.get('k1')).toBeUndefined();
    expect(keys.kids).toEqual([]);
    await expect(keys.refresh('k1')).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' });
  });

  it('ends a cached verification with the key: a token verified before the outage is refused after expiry', async () => {
    const server = await op();
    let now = Date.now();
    const keys = new RemoteJwks({
      url: `${server.origin}/jwks`,
      allowInsecureLocalhost: true,
      maxAgeMs: 10_000,
      cooldownMs: 1_000,
      expireAfterMs: 60_000,
      clock: () => now,
    });
    await keys.load();
    const verifier = new Verifier({
      keys,
      issuer: server.issuer,
      audience: 'api',
      revocation: 'none',
      clock: () => now,
    });
    const iat = Math.floor(now / 1000);
    const token = await sign(key, {
      iss: server.issuer,
      sub: 'u',
      aud: 'api',
      iat,
      exp: iat + 300,
      jti: 'j',
    });
    expect(verifier.verifySync(token).claims.sub).toBe('u'); // cached from here on
    server.up = false;
    now += 61_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' });
  });
});
