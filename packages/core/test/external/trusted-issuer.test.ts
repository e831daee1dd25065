import {
  discoverIssuer,
  entraIssuer,
  MultiIssuerVerifier,
  metadataUrlOf,
  Replica,
  type RevocableError,
  type RevocationPolicy,
  type TOKEN_PROFILES,
  type TrustedIssuerOptions,
  trustIssuer,
} from '@revocable/core';
import type { JWTPayload } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from './support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign } from './support/keys.js';

const AUD = 'api://orders';
const servers: TestServer[] = [];
const replicas: Replica[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const replica of replicas.splice(0)) replica.close();
});

let key: IssuerKey;
let otherKey: IssuerKey;
beforeAll(async () => {
  [key, otherKey] = await Promise.all([issuerKey('k1'), issuerKey('k2')]);
});

/** An OP stand-in: discovery at the standard paths, keys at /jwks; `document` can be edited per test. */
async function op(
  keys: IssuerKey[] = [key],
  path = '',
): Promise<TestServer & { issuer: string; document: Record<string, unknown> }> {
  const server = await startServer();
  servers.push(server);
  const issuer = `${server.origin}${path}`;
  const document: Record<string, unknown> = {
    issuer,
    jwks_uri: `${server.origin}/jwks`,
    backchannel_logout_supported: true,
  };
  server.handle = (req, res) => {
    const url = req.url ?? '';
    if (url === '/jwks') return sendJson(res, jwks(...keys));
    if (
      url === `${path}/.well-known/openid-configuration` ||
      url === `/.well-known/oauth-authorization-server${path}`
    ) {
      return sendJson(res, document);
    }
    sendJson(res, {}, 404);
  };
  return Object.assign(server, { issuer, document });
}

function trust(server: { issuer: string }, options: Partial<TrustedIssuerOptions> = {}) {
  return trustIssuer({
    issuer: server.issuer,
    audience: AUD,
    allowInsecureLocalhost: true,
    revocation: 'none',
    ...options,
  });
}

/** A fresh replica (no rules) following `policy`. */
function replicaWith(policy?: RevocationPolicy): Replica {
  const replica = new Replica({ purgeIntervalMs: 0, ...(policy && { policy }) });
  replicas.push(replica);
  replica.load({ events: [], seq: 0, takenAt: Date.now() });
  return replica;
}

function claims(iss: string, extra: Record<string, unknown> = {}): JWTPayload {
  const iat = Math.floor(Date.now() / 1000);
  return { iss, sub: 'alice', aud: AUD, iat, exp: iat + 300, jti: `jti-${Math.random()}`, ...extra };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (err: RevocableError) => err.code,
  );
}

describe('discovery', () => {
  it('reads the issuer, its jwks_uri and back-channel support from the OIDC document', async () => {
    const server = await op();
    const metadata = await discoverIssuer({ issuer: server.issuer, allowInsecureLocalhost: true });
    expect(metadata).toMatchObject({
      issuer: server.issuer,
      jwksUri: `${server.origin}/jwks`,
      backchannelLogoutSupported: true,
    });
  });

  it('reads RFC 8414 metadata at its well-known path for an issuer with a path', async () => {
    const server = await op([key], '/tenant-a');
    const metadata = await discoverIssuer({
      issuer: server.issuer,
      kind: 'oauth-authorization-server',
      allowInsecureLocalhost: true,
    });
    expect(metadata.issuer).toBe(server.issuer);
    expect(server.hitsOf('/.well-known/oauth-authorization-server/tenant-a')).toBe(1);
  });

  it('builds the standard document URLs', () => {
    expect(metadataUrlOf('https://idp.example/realms/demo').href).toBe(
      'https://idp.example/realms/demo/.well-known/openid-configuration',
    );
    expect(metadataUrlOf('https://dev-1.eu.auth0.com/').href).toBe(
      'https://dev-1.eu.auth0.com/.well-known/openid-configuration',
    );
    expect(metadataUrlOf('https://idp.example/realms/demo', 'oauth-authorization-server').href).toBe(
      'https://idp.example/.well-known/oauth-authorization-server/realms/demo',
    );
  });

  it('refuses a document whose issuer is not exactly the expected one', async () => {
    const server = await op();
    server.document['issuer'] = `${server.issuer}/`;
    expect(await codeOf(discoverIssuer({ issuer: server.issuer, allowInsecureLocalhost: true }))).toBe(
      'ERR_CONFIG_INVALID',
    );
  });

  it('refuses a jwks_uri that is not https, even with allowInsecureLocalhost unless it is loopback', async () => {
    const server = await op();
    server.document['jwks_uri'] = 'http://keys.example/jwks';
    expect(await codeOf(discoverIssuer({ issuer: server.issuer, allowInsecureLocalhost: true }))).toBe(
      'ERR_CONFIG_INVALID',
    );
    server.document['jwks_uri'] = `${server.origin}/jwks`;
    expect(await codeOf(discoverIssuer({ issuer: server.issuer }))).toBe('ERR_CONFIG_INVALID');
  });

  it('refuses a document without jwks_uri and reports an unreachable one as ERR_JWKS_UNAVAILABLE', async () => {
    const server = await op();
    delete server.document['jwks_uri'];
    expect(await codeOf(discoverIssuer({ issuer: server.issuer, allowInsecureLocalhost: true }))).toBe(
      'ERR_CONFIG_INVALID',
    );
    expect(
      await codeOf(
        discoverIssuer({
          issuer: server.issuer,
          url: `${server.origin}/missing`,
          allowInsecureLocalhost: true,
        }),
      ),
    ).toBe('ERR_JWKS_UNAVAILABLE');
  });

  it('gives the Entra ID issuer and document for each token version', () => {
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    expect(entraIssuer(tenant, 'v1')).toEqual({
      issuer: `https://sts.windows.net/${tenant}/`,
      discoveryUrl: `https://login.microsoftonline.com/${tenant}/.well-known/openid-configuration`,
    });
    expect(entraIssuer(tenant, 'v2').issuer).toBe(`https://login.microsoftonline.com/${tenant}/v2.0`);
    expect(() => entraIssuer('common', 'v2')).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});

describe('a trusted issuer', () => {
  it('is configured by discovery or by a JWKS URL, never both', async () => {
    const server = await op();
    expect((await trust(server)).metadata?.jwksUri).toBe(`${server.origin}/jwks`);
    const direct = await trust(server, { jwksUri: `${server.origin}/jwks` });
    expect(direct.metadata).toBeUndefined();
    expect(direct.keys.kids).toEqual(['k1']);
    expect(server.hitsOf('/.well-known/openid-configuration')).toBe(1);
    expect(
      await codeOf(trust(server, { jwksUri: `${server.origin}/jwks`, discoveryUrl: server.issuer })),
    ).toBe('ERR_CONFIG_INVALID');
  });

  it('accepts only typ at+jwt by default: typ JWT needs an explicit profile', async () => {
    const server = await op();
    const strict = await trust(server);
    expect(await codeOf(strict.verify(await sign(key, claims(server.issuer))))).toBe('resolved');
    expect(await codeOf(strict.verify(await sign(key, claims(server.issuer), { typ: 'JWT' })))).toBe(
      'ERR_TYP_INVALID',
    );
    expect(await codeOf(strict.verify(await sign(key, claims(server.issuer), {})))).toBe('ERR_TYP_INVALID');
    const keycloak = await trust(server, { profile: 'keycloak' });
    expect(await codeOf(keycloak.verify(await sign(key, claims(server.issuer), { typ: 'JWT' })))).toBe(
      'resolved',
    );
    expect(await codeOf(keycloak.verify(await sign(key, claims(server.issuer))))).toBe('ERR_TYP_INVALID');
  });

  it('with an Entra profile requires uti and revokes by it', async () => {
    const server = await op();
    const replica = replicaWith();
    const entra = await trust(server, { profile: 'entra-v2', revocation: replica });
    const entraClaims = claims(server.issuer, { jti: undefined, uti: 'AbCdEf123' });
    const token = await sign(key, entraClaims, { typ: 'JWT' });
    expect((await entra.verify(token)).facts.tokenId).toBe('AbCdEf123');
    expect(
      await codeOf(entra.verify(await sign(key, { ...entraClaims, uti: undefined }, { typ: 'JWT' }))),
    ).toBe('ERR_CLAIM_INVALID');
    replica.apply({
      seq: 1,
      rule: { kind: 'token', iss: server.issuer, tokenId: 'AbCdEf123', expiresAt: Date.now() + 300_000 },
      reason: 'logout',
      actor: 'user:alice',
      recordedAt: Date.now(),
      forgetAfter: Date.now() + 300_000,
    });
    expect(await codeOf(entra.verify(token))).toBe('ERR_TOKEN_REVOKED');
  });

  it('with the Auth0 profile needs no jti and identifies a token by its hash', async () => {
    const server = await op();
    const auth0 = await trust(server, { profile: 'auth0' });
    const token = await sign(key, claims(server.issuer, { jti: undefined }), { typ: 'JWT' });
    expect((await auth0.verify(token)).facts.tokenId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses an unknown profile', async () => {
    const server = await op();
    expect(await codeOf(trust(server, { profile: 'okta' as keyof typeof TOKEN_PROFILES }))).toBe(
      'ERR_CONFIG_INVALID',
    );
  });

  it('refuses tokens living longer than maxTokenLifetimeSec, which keeps cutoffs sound', async () => {
    const server = await op();
    const issuer = await trust(server, { maxTokenLifetimeSec: 600 });
    const iat = Math.floor(Date.now() / 1000);
    expect(await codeOf(issuer.verify(await sign(key, claims(server.issuer, { exp: iat + 600 }))))).toBe(
      'resolved',
    );
    const long = await sign(key, claims(server.issuer, { exp: iat + 601 }));
    expect(await codeOf(issuer.verify(long))).toBe('ERR_CLAIM_INVALID');
    expect(() => issuer.verifySync(long)).toThrow(expect.objectContaining({ claim: 'exp' }));
  });

  it('fails at startup with ERR_JWKS_UNAVAILABLE when the keys cannot be fetched, unless preload is off', async () => {
    const server = await op();
    expect(await codeOf(trust(server, { jwksUri: `${server.origin}/nothing` }))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(await codeOf(trust(server, { jwksUri: `${server.origin}/nothing`, preload: false }))).toBe(
      'resolved',
    );
  });
});

describe('a trusted issuer and its revocation policy', () => {
  it('is refused without revocation, before any request, saying to pass a replica or "none"', async () => {
    const server = await op();
    const { revocation: _omitted, ...options } = {
      issuer: server.issuer,
      audience: AUD,
      allowInsecureLocalhost: true,
      revocation: 'none',
    } as const;
    const err = await trustIssuer(options as TrustedIssuerOptions).catch((e: RevocableError) => e);
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect((err as RevocableError).message).toMatch(/replica/i);
    expect((err as RevocableError).message).toContain("'none'");
    expect(server.hitsOf('/.well-known/openid-configuration')).toBe(0);
  });

  it("verifies without revocation only with revocation: 'none', bounded by the default 600 s", async () => {
    const server = await op();
    const issuer = await trust(server, { revocation: 'none' });
    expect(issuer.maxTokenLifetimeSec).toBe(600);
    const iat = Math.floor(Date.now() / 1000);
    expect(await codeOf(issuer.verify(await sign(key, claims(server.issuer, { exp: iat + 600 }))))).toBe(
      'resolved',
    );
    expect(await codeOf(issuer.verify(await sign(key, claims(server.issuer, { exp: iat + 601 }))))).toBe(
      'ERR_CLAIM_INVALID',
    );
  });

  it('takes its lifetime bound from the replica policy: an hour-long policy accepts an hour-long token', async () => {
    const server = await op();
    const hour = { maxTokenLifetimeMs: 3_600_000, clockSkewMs: 60_000 };
    const issuer = await trust(server, { revocation: replicaWith(hour) });
    expect(issuer.maxTokenLifetimeSec).toBe(3600);
    const iat = Math.floor(Date.now() / 1000);
    expect(await codeOf(issuer.verify(await sign(key, claims(server.issuer, { exp: iat + 3600 }))))).toBe(
      'resolved',
    );
    const long = await sign(key, claims(server.issuer, { exp: iat + 3601 }));
    expect(await codeOf(issuer.verify(long))).toBe('ERR_CLAIM_INVALID');
  });

  it('refuses a 3,600 s token when its replica keeps cutoffs for 600 s, with no bound given', async () => {
    const server = await op();
    const issuer = await trust(server, { revocation: replicaWith() });
    const iat = Math.floor(Date.now() / 1000);
    const long = await sign(key, claims(server.issuer, { exp: iat + 3600 }));
    expect(await codeOf(issuer.verify(long))).toBe('ERR_CLAIM_INVALID');
  });

  it('refuses at startup a maxTokenLifetimeSec longer than its replica policy, naming both values', async () => {
    const server = await op();
    const err = await trust(server, { revocation: replicaWith(), maxTokenLifetimeSec: 5400 }).catch(
      (e: RevocableError) => e,
    );
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect((err as RevocableError).message).toContain('5400');
    expect((err as RevocableError).message).toContain('600000');
  });
});

describe('a multi-issuer verifier', () => {
  it("verifies each token with the issuer its iss names, and that issuer's keys only", async () => {
    const [a, b] = await Promise.all([op([key]), op([otherKey])]);
    const verifier = new MultiIssuerVerifier([await trust(a), await trust(b, { profile: 'keycloak' })]);
    expect((await verifier.verify(await sign(key, claims(a.issuer)))).claims.iss).toBe(a.issuer);
    expect((await verifier.verify(await sign(otherKey, claims(b.issuer), { typ: 'JWT' }))).claims.iss).toBe(
      b.issuer,
    );
    // iss names A, signed with B's key: A does not know kid k2.
    expect(await codeOf(verifier.verify(await sign(otherKey, claims(a.issuer))))).toBe('ERR_KEY_UNKNOWN');
    // A's typ policy applies to A's tokens.
    expect(await codeOf(verifier.verify(await sign(key, claims(a.issuer), { typ: 'JWT' })))).toBe(
      'ERR_TYP_INVALID',
    );
  });

  it('refuses a token naming an issuer that is not configured, before any key lookup', async () => {
    const a = await op();
    const verifier = new MultiIssuerVerifier([await trust(a)]);
    const err = await verifier
      .verify(await sign(key, claims('https://evil.example')))
      .catch((e: RevocableError) => e);
    expect(err).toMatchObject({ code: 'ERR_CLAIM_INVALID', claim: 'iss' });
    expect(() => verifier.verifySync('not.a.token')).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED' }),
    );
  });

  it('takes a plain Verifier with its issuer, and refuses the same issuer twice', async () => {
    const a = await op();
    const trusted = await trust(a);
    const verifier = new MultiIssuerVerifier([{ issuer: a.issuer, verifier: trusted.verifier }]);
    expect(verifier.verifySync(await sign(key, claims(a.issuer))).claims.sub).toBe('alice');
    expect(() => new MultiIssuerVerifier([trusted, trusted])).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
