// Issue 12's proof, over HTTP, for each of the three real-world shapes (Entra ID v2, Auth0, Keycloak):
// a user signs in at the provider and calls an API protected by the core middleware that follows the
// service's feed; the user logs out through the service (POST /auth/logout with the provider's token),
// or at the provider (which POSTs a logout token to the service), and the API refuses the copied
// token within the propagation bound while another user's token keeps working; introspection says
// active before and not after.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FollowingApi, startFollowingApi } from './support/following-api.js';
import { type OidcShape, SHAPES, startOidcShape } from './support/oidc-shapes.js';
import {
  API_CLIENT,
  reserveService,
  startTrustingService,
  type TrustingService,
  trustedIssuerEntry,
} from './support/trusting-service.js';

/** The bound within which every API following the feed refuses a revoked token; generous for a loaded machine. */
const PROPAGATION_BOUND_MS = 5_000;

/** Polls the API with `token` until it answers other than 200 (or the bound passes); the answer and how long it took. */
async function refusedWithin(api: FollowingApi, token: string) {
  const started = Date.now();
  let answer = await api.me(token);
  while (answer.status === 200 && Date.now() - started < PROPAGATION_BOUND_MS) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    answer = await api.me(token);
  }
  return { ...answer, afterMs: Date.now() - started };
}

/** Whole-second `iat`: a cutoff at T also covers tokens of T's second, so a login after a logout waits for the next one. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));

describe.each(SHAPES)('tokens from the %s stand-in, revoked through the service', (name) => {
  const id = name.replace(/-.*/, ''); // entra, auth0, keycloak
  let shape: OidcShape;
  let service: TrustingService;
  let api: FollowingApi;

  beforeAll(async () => {
    const slot = await reserveService();
    shape = await startOidcShape(name, { backchannelLogoutUri: slot.backchannelUri(id) });
    service = await startTrustingService(slot, { trustedIssuers: [trustedIssuerEntry(id, shape)] });
    api = await startFollowingApi({
      service: service.url,
      client: API_CLIENT,
      issuer: shape.issuer,
      audience: shape.audience,
      profile: name,
    });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await service?.close();
    await shape?.close();
  });

  it('control: the API accepts the provider token, and introspection says active with the RFC 7662 fields', async () => {
    const alice = await shape.login('alice');
    expect(await api.me(alice.accessToken)).toMatchObject({ status: 200, body: { sub: alice.sub } });
    const claims = decodeJwt(alice.accessToken);
    const { status, body } = await service.introspect(alice.accessToken);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      active: true,
      sub: alice.sub,
      client_id: shape.clientId,
      exp: claims.exp,
      iat: claims.iat,
      iss: shape.issuer,
      token_type: expect.any(String),
    });
    // Space-separated, as the provider sent it (Entra in scp, the others in scope).
    expect(body['scope']).toBe(claims['scope'] ?? claims['scp']);
    expect(String(body['scope']).split(' ')).toContain(shape.scope);
    expect([body['aud']].flat()).toContain(shape.audience);
  });

  it('logout through the service: the copy is refused by the API, introspection inactive, others untouched', async () => {
    const alice = await shape.login('alice');
    const bob = await shape.login('bob');
    const copy = alice.accessToken;
    const before = (await service.revocations()).length;

    const logout = await service.http.post('/auth/logout', undefined, alice.accessToken);
    expect(logout.status).toBe(204);

    const refused = await refusedWithin(api, copy);
    expect(refused).toMatchObject({ status: 401, body: { error: 'ERR_TOKEN_REVOKED' } });
    console.info(`${name}: logout through the service refused at the API after ${refused.afterMs} ms`);
    expect((await service.introspect(copy)).body).toEqual({ active: false });
    expect((await api.me(bob.accessToken)).status).toBe(200);
    expect((await service.introspect(bob.accessToken)).body).toMatchObject({ active: true });

    // Keycloak's token carries sid: its session ends. Entra's and Auth0's carry none: that token ends
    // (Entra by its uti, Auth0 by a hash of the token), and the user's other tokens stay valid.
    const written = (await service.revocations()).slice(before);
    expect(written).toHaveLength(1);
    expect(written[0]!.rule).toMatchObject({
      kind: name === 'keycloak' ? 'session' : 'token',
      iss: shape.issuer,
    });
  });

  it('back-channel logout from the provider: the user’s tokens are refused, introspection inactive', async () => {
    await nextSecond();
    const carol = await shape.login('carol');
    const dave = await shape.login('dave');
    expect((await api.me(carol.accessToken)).status).toBe(200);
    const before = (await service.revocations()).length;

    const deliveries = await shape.signOut(carol);
    expect(deliveries.map((d) => d.status)).toEqual([200]);

    const refused = await refusedWithin(api, carol.accessToken);
    expect(refused).toMatchObject({ status: 401, body: { error: 'ERR_TOKEN_REVOKED' } });
    console.info(`${name}: back-channel logout refused at the API after ${refused.afterMs} ms`);
    expect((await service.introspect(carol.accessToken)).body).toEqual({ active: false });
    expect((await api.me(dave.accessToken)).status).toBe(200);

    const written = (await service.revocations()).slice(before);
    expect(written).toHaveLength(1);
    // Keycloak's access tokens carry the session's sid: its session ends. Entra and Auth0 tokens carry
    // none: the user's tokens end (a subject cutoff at the logout token's iat).
    const kind = name === 'keycloak' ? 'session' : 'subject';
    expect(written[0]).toMatchObject({ rule: { kind, iss: shape.issuer }, reason: 'backchannel_logout' });

    // The same logout token again (a replay): refused, and nothing more written.
    const replay = await fetch(`${service.url}/backchannel-logout/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: deliveries[0]!.logoutToken }),
    });
    expect(replay.status).toBe(400);
    expect((await service.revocations()).length).toBe(before + 1);
  });

  it.runIf(name === 'keycloak')(
    'logout through the service ends the whole provider session: a token of the same SSO session too',
    async () => {
      const first = await shape.login('grace');
      const sibling = await shape.login('grace', { again: first }); // the same browser: single sign-on
      const elsewhere = await shape.login('grace'); // another browser: another session
      expect(decodeJwt(sibling.accessToken)['sid']).toBe(decodeJwt(first.accessToken)['sid']);
      expect(decodeJwt(elsewhere.accessToken)['sid']).not.toBe(decodeJwt(first.accessToken)['sid']);
      expect((await service.http.post('/auth/logout', undefined, first.accessToken)).status).toBe(204);
      expect(await refusedWithin(api, sibling.accessToken)).toMatchObject({
        status: 401,
        body: { error: 'ERR_TOKEN_REVOKED' },
      });
      expect((await api.me(elsewhere.accessToken)).status).toBe(200);
    },
  );

  it('logout everywhere through the service: every token of the user ends, another user’s stays', async () => {
    await nextSecond();
    const heidi = await shape.login('heidi');
    const heidiElsewhere = await shape.login('heidi');
    const ivan = await shape.login('ivan');
    const before = (await service.revocations()).length;
    const out = await service.http.post('/auth/logout-all', undefined, heidi.accessToken);
    expect(out.status).toBe(200);
    for (const token of [heidi.accessToken, heidiElsewhere.accessToken]) {
      expect(await refusedWithin(api, token)).toMatchObject({
        status: 401,
        body: { error: 'ERR_TOKEN_REVOKED' },
      });
      expect((await service.introspect(token)).body).toEqual({ active: false });
    }
    expect((await api.me(ivan.accessToken)).status).toBe(200);
    const written = (await service.revocations()).slice(before);
    expect(written.map((e) => e.rule)).toEqual([
      expect.objectContaining({ kind: 'subject', iss: shape.issuer, sub: heidi.sub }),
    ]);
  });

  it('RFC 7009 revocation by a client granted this issuer: the token is refused by the API', async () => {
    const kim = await shape.login('kim');
    const revoked = await service.http.call('POST', '/oauth/revoke', {
      headers: {
        authorization: `Basic ${Buffer.from(`${API_CLIENT.id}:${API_CLIENT.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      raw: new URLSearchParams({ token: kim.accessToken }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(await refusedWithin(api, kim.accessToken)).toMatchObject({
      status: 401,
      body: { error: 'ERR_TOKEN_REVOKED' },
    });
    expect((await service.introspect(kim.accessToken)).body).toEqual({ active: false });
  });

  it('a new login after a logout is accepted', async () => {
    const erin = await shape.login('erin');
    expect((await service.http.post('/auth/logout', undefined, erin.accessToken)).status).toBe(204);
    await nextSecond();
    const again = await shape.login('erin');
    expect((await api.me(again.accessToken)).status).toBe(200);
    expect((await service.introspect(again.accessToken)).body).toMatchObject({ active: true });
  });
});
