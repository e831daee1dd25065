// The stand-ins are only worth their name if their tokens look like the real providers': each shape's
// access token has exactly the header and claims that provider sends (docs/external-issuers.md), and
// the test controls (key rotation, JWKS outage, sign-out) do what the end-to-end suites rely on.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trustIssuer } from '@revocable/core';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcShape, type ShapeName, startOidcShape } from './support/oidc-shapes.js';

/** A receiver standing in for the service's back-channel endpoint: records each POST, answers 200. */
const received: { path: string; body: string }[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on('end', () => {
    received.push({ path: req.url ?? '', body });
    res.writeHead(200, { 'cache-control': 'no-store' }).end();
  });
});
let receiverUrl: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const sorted = (value: object) => Object.keys(value).sort();
const lifetime = (payload: Record<string, unknown>) => Number(payload['exp']) - Number(payload['iat']);

interface Expected {
  readonly issuer: RegExp;
  readonly claims: readonly string[];
  readonly lifetimeSec: readonly [number, number];
  readonly logoutTokenHasSid: boolean;
  check(payload: Record<string, unknown>, shape: OidcShape): void;
}

const EXPECTED: Record<ShapeName, Expected> = {
  'entra-v2': {
    issuer: /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/v2\.0$/,
    claims: [
      'aio',
      'aud',
      'azp',
      'azpacr',
      'exp',
      'iat',
      'iss',
      'name',
      'nbf',
      'oid',
      'preferred_username',
      'rh',
      'scp',
      'sub',
      'tid',
      'uti',
      'ver',
    ],
    lifetimeSec: [3600, 5400],
    logoutTokenHasSid: false,
    check(payload, shape) {
      expect(payload['ver']).toBe('2.0');
      expect(payload['aud']).toBe(shape.audience);
      expect(payload['aud']).toMatch(/^[0-9a-f-]{36}$/); // v2: the API's client id, not api://…
      expect(payload['scp']).toBe(shape.scope);
      expect(payload['azp']).toBe(shape.clientId);
      expect(payload['tid']).toBe(new URL(shape.issuer).pathname.split('/')[1]);
      expect(payload['oid']).toMatch(/^[0-9a-f-]{36}$/);
      expect(payload['nbf']).toBe(payload['iat']);
    },
  },
  auth0: {
    issuer: /^http:\/\/127\.0\.0\.1:\d+\/$/,
    claims: ['aud', 'azp', 'exp', 'iat', 'iss', 'permissions', 'scope', 'sub'],
    lifetimeSec: [86_400, 86_400],
    logoutTokenHasSid: true,
    check(payload, shape) {
      expect(payload['aud']).toEqual([shape.audience, `${shape.issuer}userinfo`]);
      expect(String(payload['scope']).split(' ')).toEqual(expect.arrayContaining(['openid', shape.scope]));
      expect(payload['permissions']).toEqual([shape.scope]);
      expect(payload['azp']).toBe(shape.clientId);
      expect(payload['sub']).toMatch(/^auth0\|[0-9a-f]{24}$/);
    },
  },
  keycloak: {
    issuer: /^http:\/\/127\.0\.0\.1:\d+\/realms\/[a-z]+$/,
    claims: [
      'acr',
      'allowed-origins',
      'aud',
      'auth_time',
      'azp',
      'email',
      'email_verified',
      'exp',
      'family_name',
      'given_name',
      'iat',
      'iss',
      'jti',
      'name',
      'preferred_username',
      'realm_access',
      'resource_access',
      'scope',
      'sid',
      'sub',
      'typ',
    ],
    lifetimeSec: [300, 300],
    logoutTokenHasSid: true,
    check(payload, shape) {
      expect(payload['typ']).toBe('Bearer');
      expect(payload['aud']).toEqual([shape.audience, 'account']);
      expect(String(payload['scope']).split(' ')).toEqual(expect.arrayContaining(['openid', shape.scope]));
      expect(payload['realm_access']).toMatchObject({ roles: expect.any(Array) });
      expect(payload['azp']).toBe(shape.clientId);
      expect(payload['sub']).toMatch(/^[0-9a-f-]{36}$/);
    },
  },
};

describe.each(['entra-v2', 'auth0', 'keycloak'] as const)('the %s stand-in', (name) => {
  const expected = EXPECTED[name];
  let shape: OidcShape;
  beforeAll(async () => {
    shape = await startOidcShape(name, { backchannelLogoutUri: `${receiverUrl}/backchannel-logout/${name}` });
  });
  afterAll(() => shape?.close());

  it('publishes discovery for its exact issuer, with its JWKS and back-channel logout', async () => {
    expect(shape.issuer).toMatch(expected.issuer);
    const metadata = (await (await fetch(shape.discoveryUrl)).json()) as Record<string, unknown>;
    expect(metadata['issuer']).toBe(shape.issuer);
    expect(metadata['jwks_uri']).toBe(shape.jwksUri);
    expect(metadata['backchannel_logout_supported']).toBe(true);
    const jwks = (await (await fetch(shape.jwksUri)).json()) as { keys: { kid: string; use: string }[] };
    expect(jwks.keys.filter((k) => k.use === 'sig').map((k) => k.kid)).toEqual([shape.currentKid]);
    expect(jwks.keys.some((k) => k.use === 'enc')).toBe(name === 'keycloak'); // the realm's encryption key
    expect(JSON.stringify(jwks)).not.toMatch(/"(d|p|q|dp|dq|qi)":/);
  });

  it(`is accepted by trustIssuer with the '${name}' profile, and refused by the default rfc9068 one`, async () => {
    const options = {
      issuer: shape.issuer,
      audience: shape.audience,
      revocation: 'none' as const,
      maxTokenLifetimeSec: shape.maxTokenLifetimeSec,
      allowInsecureLocalhost: true,
    };
    const { accessToken } = await shape.login('erin');
    const trusted = await trustIssuer({ ...options, profile: name });
    expect((await trusted.verify(accessToken)).claims.sub).toBe(shape.subjectOf('erin'));
    const strict = await trustIssuer(options);
    await expect(strict.verify(accessToken)).rejects.toMatchObject({ code: 'ERR_TYP_INVALID' });
  });

  it("issues access tokens with exactly this provider's header and claims", async () => {
    const alice = await shape.login('alice');
    const header = decodeProtectedHeader(alice.accessToken);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: shape.currentKid });
    const payload = decodeJwt(alice.accessToken) as Record<string, unknown>;
    expect(sorted(payload)).toEqual([...expected.claims].sort());
    expect(payload['iss']).toBe(shape.issuer);
    expect(payload['sub']).toBe(shape.subjectOf('alice'));
    expect(lifetime(payload)).toBeGreaterThanOrEqual(expected.lifetimeSec[0]);
    expect(lifetime(payload)).toBeLessThanOrEqual(expected.lifetimeSec[1]);
    expect(lifetime(payload)).toBeLessThanOrEqual(shape.maxTokenLifetimeSec);
    expected.check(payload, shape);
  });

  it('gives two logins of one person the same sub, and of two people different ones', async () => {
    const [a1, a2, b] = [await shape.login('alice'), await shape.login('alice'), await shape.login('bob')];
    const sub = (token: string) => decodeJwt(token).sub;
    expect(sub(a1.accessToken)).toBe(sub(a2.accessToken));
    expect(sub(a1.accessToken)).not.toBe(sub(b.accessToken));
  });

  it('signs out by POSTing a logout+jwt logout token to the configured URI', async () => {
    const bob = await shape.login('bob');
    const before = received.length;
    const deliveries = await shape.signOut(bob);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ uri: `${receiverUrl}/backchannel-logout/${name}`, status: 200 });
    expect(received.slice(before).map((r) => r.path)).toEqual([`/backchannel-logout/${name}`]);
    const logoutToken = deliveries[0]!.logoutToken;
    expect(decodeProtectedHeader(logoutToken)).toMatchObject({ typ: 'logout+jwt', kid: shape.currentKid });
    const claims = decodeJwt(logoutToken);
    expect(claims).toMatchObject({ iss: shape.issuer, aud: shape.clientId, sub: bob.sub });
    expect(claims.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect('sid' in claims).toBe(expected.logoutTokenHasSid);
    if (name === 'keycloak') expect(claims['sid']).toBe(decodeJwt(bob.accessToken)['sid']);
  });

  it('with deliver: false, captures the logout token and sends nothing', async () => {
    const carol = await shape.login('carol');
    const before = received.length;
    const [delivery] = await shape.signOut(carol, { deliver: false });
    expect(delivery).toMatchObject({ status: undefined });
    expect(decodeJwt(delivery!.logoutToken).sub).toBe(carol.sub);
    expect(received.length).toBe(before);
  });

  it('rotates keys: a new kid signs, the old one leaves the JWKS', async () => {
    const old = shape.currentKid;
    const before = await shape.login('dave');
    const kid = await shape.rotateKeys();
    expect(kid).not.toBe(old);
    const jwks = (await (await fetch(shape.jwksUri)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    expect(jwks.keys.map((k) => k.kid)).not.toContain(old);
    const after = await shape.login('dave');
    expect(decodeProtectedHeader(before.accessToken).kid).toBe(old);
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(kid);
    // The session made under the old key survives the rotation: sign-out still reaches the receiver.
    expect((await shape.signOut(before))[0]).toMatchObject({ status: 200 });
  });

  it('its JWKS answers 503 or hangs on command, and recovers', async () => {
    const count = shape.jwksRequests;
    shape.setJwksAvailable(false);
    expect((await fetch(shape.jwksUri)).status).toBe(503);
    shape.setJwksAvailable(false, 'hang');
    const hung = await fetch(shape.jwksUri, { signal: AbortSignal.timeout(300) }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    expect(hung).toBe('TimeoutError');
    shape.setJwksAvailable(true);
    expect((await fetch(shape.jwksUri)).status).toBe(200);
    expect(shape.jwksRequests).toBe(count + 3);
  });
});
