// Bad input at the service's external-token endpoints, with real stand-ins: a token of an issuer nobody
// trusts, a trusted issuer's token for another audience, a forged token naming a trusted issuer, a
// logout token of one issuer posted to another's endpoint, and a configuration whose discovery
// document names another issuer. Each gets a stable error and writes nothing (the admin API's
// revocation list is read before and after). Control cases first, so no refusal passes vacuously.
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, backendAvailable, type Http } from '../packages/server/test/support/service.js';
import { type FollowingApi, startFollowingApi } from './support/following-api.js';
import { type OidcShape, startOidcShape } from './support/oidc-shapes.js';
import {
  API_CLIENT,
  reserveService,
  startTrustingService,
  type TrustingService,
  trustedIssuerEntry,
} from './support/trusting-service.js';

let entra: OidcShape;
let keycloak: OidcShape;
/** Trusted, but with an audience its tokens do not carry. */
let otherAudience: OidcShape;
/** Not trusted at all. */
let stranger: OidcShape;
let service: TrustingService;
let api: FollowingApi;

beforeAll(async () => {
  const slot = await reserveService();
  [entra, keycloak, otherAudience, stranger] = await Promise.all([
    startOidcShape('entra-v2', { backchannelLogoutUri: slot.backchannelUri('entra') }),
    startOidcShape('keycloak', { backchannelLogoutUri: slot.backchannelUri('keycloak') }),
    startOidcShape('keycloak'),
    startOidcShape('auth0', { backchannelLogoutUri: slot.backchannelUri('entra') }),
  ]);
  service = await startTrustingService(slot, {
    trustedIssuers: [
      trustedIssuerEntry('entra', entra),
      trustedIssuerEntry('keycloak', keycloak),
      trustedIssuerEntry('kc-billing', otherAudience, {
        audience: 'billing-api',
        backchannelLogout: undefined,
      }),
    ],
  });
  api = await startFollowingApi({
    service: service.url,
    client: API_CLIENT,
    issuer: entra.issuer,
    audience: entra.audience,
    profile: 'entra-v2',
  });
}, 60_000);

afterAll(async () => {
  await api?.close();
  await service?.close();
  await Promise.all([entra, keycloak, otherAudience, stranger].map((shape) => shape?.close()));
});

const logout = (token: string) => service.http.post('/auth/logout', undefined, token);
const revoke = (token: string) =>
  service.http.call('POST', '/oauth/revoke', {
    headers: {
      authorization: `Basic ${Buffer.from(`${API_CLIENT.id}:${API_CLIENT.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    raw: new URLSearchParams({ token }).toString(),
  });
const backchannel = (issuerId: string, logoutToken: string) =>
  service.http.call('POST', `/backchannel-logout/${issuerId}`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    raw: new URLSearchParams({ logout_token: logoutToken }).toString(),
  });

/** Runs `attempt` and checks that the service's revocation log is the same length afterwards. */
async function writesNothing<T>(attempt: () => Promise<T>): Promise<T> {
  const before = (await service.revocations()).length;
  const result = await attempt();
  expect((await service.revocations()).length).toBe(before);
  return result;
}

describe('control: the same endpoints accept what is right', () => {
  it("a trusted issuer's token: active, and its logout writes one rule", async () => {
    const alice = await entra.login('alice');
    expect((await service.introspect(alice.accessToken)).body).toMatchObject({ active: true });
    const before = (await service.revocations()).length;
    expect((await logout(alice.accessToken)).status).toBe(204);
    expect((await service.revocations()).length).toBe(before + 1);
  });

  it("a logout token at its own issuer's endpoint writes one rule", async () => {
    const bob = await keycloak.login('bob');
    const [delivery] = await keycloak.signOut(bob, { deliver: false });
    const before = (await service.revocations()).length;
    expect((await backchannel('keycloak', delivery!.logoutToken)).status).toBe(200);
    expect((await service.revocations()).length).toBe(before + 1);
  });
});

describe('a token of an issuer nobody trusts', () => {
  it('is inactive, refused at logout and by the API, and "revoked" per RFC 7009 without a write', async () => {
    const mallory = await stranger.login('mallory');
    await writesNothing(async () => {
      expect((await service.introspect(mallory.accessToken)).body).toEqual({ active: false });
      const out = await logout(mallory.accessToken);
      expect(out.status).toBe(401);
      expect(out.body).toMatchObject({ error: 'ERR_CLAIM_INVALID' });
      expect(out.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
      expect((await revoke(mallory.accessToken)).status).toBe(200);
    });
    // The API trusts one issuer: the stranger's kid is none of its keys (checked before the claims).
    expect(await api.me(mallory.accessToken)).toMatchObject({
      status: 401,
      body: { error: 'ERR_KEY_UNKNOWN' },
    });
    const metrics = await fetch(`${service.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/revocable_revoke_untrusted_total [1-9]/);
  });

  it('its logout token is refused at a trusted issuer’s endpoint', async () => {
    const mallory = await stranger.login('mallory');
    const [delivery] = await stranger.signOut(mallory, { deliver: false });
    const answer = await writesNothing(() => backchannel('entra', delivery!.logoutToken));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request' });
  });
});

describe("a trusted issuer's token for another audience", () => {
  it('is inactive, refused at logout, and not revoked', async () => {
    const carol = await otherAudience.login('carol');
    expect(decodeJwt(carol.accessToken).iss).toBe(otherAudience.issuer); // the issuer is trusted…
    await writesNothing(async () => {
      expect((await service.introspect(carol.accessToken)).body).toEqual({ active: false });
      const out = await logout(carol.accessToken);
      expect(out.status).toBe(401);
      expect(out.body).toMatchObject({ error: 'ERR_CLAIM_INVALID' });
      expect(String(out.body.message)).toMatch(/aud/);
      expect((await revoke(carol.accessToken)).status).toBe(200);
    });
  });
});

describe('a forged token naming a trusted issuer and its kid', () => {
  it('is inactive and refused, and writes nothing', async () => {
    const real = await entra.login('dave');
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(decodeJwt(real.accessToken))
      .setProtectedHeader(decodeProtectedHeader(real.accessToken) as { alg: string })
      .sign(privateKey);
    await writesNothing(async () => {
      expect((await service.introspect(forged)).body).toEqual({ active: false });
      const out = await logout(forged);
      expect(out.status).toBe(401);
      expect(out.body).toMatchObject({ error: 'ERR_SIGNATURE_INVALID' });
    });
    expect(await api.me(forged)).toMatchObject({ status: 401, body: { error: 'ERR_SIGNATURE_INVALID' } });
    expect((await api.me(real.accessToken)).status).toBe(200);
    // Not even when its public key is offered in the header.
    const offered = await new SignJWT(decodeJwt(real.accessToken))
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        jwk: await exportJWK((await generateKeyPair('RS256')).publicKey),
      })
      .sign(privateKey);
    await writesNothing(async () => expect((await logout(offered)).status).toBe(401));
  });
});

describe("a logout token of one issuer posted to another's endpoint", () => {
  it('is refused with a stable error, writes nothing, and still works at its own endpoint', async () => {
    const erin = await keycloak.login('erin');
    const [delivery] = await keycloak.signOut(erin, { deliver: false });
    const logoutToken = delivery!.logoutToken;
    const wrong = await writesNothing(() => backchannel('entra', logoutToken));
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('cache-control')).toBe('no-store');
    expect(wrong.body).toMatchObject({ error: 'invalid_request', code: expect.stringMatching(/^ERR_/) });
    const wrongCode = wrong.body.code;
    console.info(`a keycloak logout token at the entra endpoint: 400 ${wrongCode}`);
    // The same mistake answers the same code.
    expect((await writesNothing(() => backchannel('entra', logoutToken))).body.code).toBe(wrongCode);
    // An issuer without back-channel logout configured, and an unknown id: 404.
    expect((await writesNothing(() => backchannel('kc-billing', logoutToken))).status).toBe(404);
    expect((await writesNothing(() => backchannel('nobody', logoutToken))).status).toBe(404);
    // Not consumed by the refusals: the right endpoint takes it.
    const right = await backchannel('keycloak', logoutToken);
    expect(right.status).toBe(200);
  });
});

describe('an issuer whose discovery document names another issuer', () => {
  it('stops the service at start with ERR_CONFIG_INVALID naming the entry and both issuers', async () => {
    const slot = await reserveService();
    const claimed = `${new URL(keycloak.issuer).origin}/realms/other`;
    const error = await startTrustingService(slot, {
      trustedIssuers: [
        trustedIssuerEntry('impostor', keycloak, { issuer: claimed, discoveryUrl: keycloak.discoveryUrl }),
      ],
    }).then(
      async (started) => {
        await started.close();
        return undefined;
      },
      (err: unknown) => err as { code?: string; message?: string },
    );
    expect(error).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect(error!.message).toContain('trustedIssuers[0]');
    expect(error!.message).toContain('impostor');
    expect(error!.message).toContain(keycloak.issuer);
    expect(error!.message).toContain(claimed);
    // Nothing listens: the service did not start half-configured.
    await expect(fetch(`${slot.url}/healthz`)).rejects.toThrow();
  });
});

// The accepted jti is remembered in the store the instances share, not in one process's memory: on
// each backend, two instances of one service (one file, one database) behind an imagined load balancer.
for (const backend of BACKENDS) {
  describe.skipIf(!(await backendAvailable(backend)))(
    `a logout token replayed to another instance of the service on ${backend.name}`,
    () => {
      let first: TrustingService;
      beforeAll(async () => {
        first = await startTrustingService(await reserveService(), {
          database: await backend.fresh(),
          trustedIssuers: [trustedIssuerEntry('keycloak', keycloak)],
        });
      }, 60_000);
      afterAll(async () => {
        await first?.close();
        await backend.cleanup();
      });

      it('is refused there too, and writes nothing', async () => {
        const other = await first.anotherInstance();
        try {
          const judy = await keycloak.login('judy');
          const [delivery] = await keycloak.signOut(judy, { deliver: false });
          const post = (http: Http) =>
            http.call('POST', '/backchannel-logout/keycloak', {
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              raw: new URLSearchParams({ logout_token: delivery!.logoutToken }).toString(),
            });
          expect((await post(first.http)).status).toBe(200);
          const before = (await first.revocations()).length;
          const replay = await post(other.http);
          expect(replay.status).toBe(400);
          expect(replay.body).toMatchObject({ error: 'invalid_request', code: 'ERR_CLAIM_INVALID' });
          expect((await first.revocations()).length).toBe(before);
        } finally {
          await other.close();
        }
      });
    },
  );
}
