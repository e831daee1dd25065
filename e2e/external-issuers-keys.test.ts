// The provider's keys, as the service and an API following it see them, for each shape: a key rollover
// while tokens are in flight (the new kid is fetched on first sight, tokens of the removed key are
// refused), and a JWKS that fails or hangs (keys already held keep working for their cache time, then
// a clear ERR_JWKS_UNAVAILABLE; a token with a kid nobody could fetch is never accepted).
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../packages/server/test/support/service.js';
import { type FollowingApi, startFollowingApi } from './support/following-api.js';
import { type OidcShape, SHAPES, startOidcShape } from './support/oidc-shapes.js';
import {
  API_CLIENT,
  reserveService,
  startTrustingService,
  type TrustingService,
  trustedIssuerEntry,
} from './support/trusting-service.js';

/** Short key-cache times (seconds), so an outage outlives them within a test. */
const KEYS = { maxAge: 1, cooldown: 1, expireAfter: 4 };
/** Generous: the machine is loaded. */
const DEADLINE_MS = 15_000;

/** Calls `read` until `done` holds for its answer or the deadline passes; the last answer. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe.each(SHAPES)('the %s stand-in’s keys', (name) => {
  const id = name.replace(/-.*/, '');
  let shape: OidcShape;
  let service: TrustingService;
  let api: FollowingApi;

  beforeAll(async () => {
    const slot = await reserveService();
    shape = await startOidcShape(name);
    service = await startTrustingService(slot, {
      trustedIssuers: [trustedIssuerEntry(id, shape, { keys: KEYS, backchannelLogout: undefined })],
    });
    api = await startFollowingApi({
      service: service.url,
      client: API_CLIENT,
      issuer: shape.issuer,
      audience: shape.audience,
      profile: name,
      jwks: {
        maxAgeMs: KEYS.maxAge * 1000,
        cooldownMs: KEYS.cooldown * 1000,
        expireAfterMs: KEYS.expireAfter * 1000,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await service?.close();
    await shape?.close();
  });

  const active = async (token: string) => (await service.introspect(token)).body['active'];

  it('a rollover while tokens are in flight: the new kid is fetched, the removed key’s tokens are refused', async () => {
    shape.setJwksAvailable(true);
    const inFlight = await shape.login('alice');
    expect((await api.me(inFlight.accessToken)).status).toBe(200);
    expect(await active(inFlight.accessToken)).toBe(true);

    const kid = await shape.rotateKeys(); // the old key leaves the JWKS at once
    const fresh = await shape.login('bob');
    expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(kid);
    expect(
      (
        await until(
          () => api.me(fresh.accessToken),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);
    expect(
      await until(
        () => active(fresh.accessToken),
        (a) => a === true,
      ),
    ).toBe(true);

    // The token signed with the removed key: refused once the new key set is read, and from then on.
    const refused = await until(
      () => api.me(inFlight.accessToken),
      (a) => a.status !== 200,
    );
    expect(refused).toMatchObject({ status: 401, body: { error: 'ERR_KEY_UNKNOWN' } });
    expect(
      await until(
        () => active(inFlight.accessToken),
        (a) => a === false,
      ),
    ).toBe(false);
    for (let i = 0; i < 3; i++) expect((await api.me(inFlight.accessToken)).status).toBe(401);

    // And the fresh token can still be logged out through the service.
    expect((await service.http.post('/auth/logout', undefined, fresh.accessToken)).status).toBe(204);
    expect(
      await until(
        () => api.me(fresh.accessToken),
        (a) => a.status !== 200,
      ),
    ).toMatchObject({
      status: 401,
      body: { error: 'ERR_TOKEN_REVOKED' },
    });
  });

  it('a rollover that keeps the previous key published accepts tokens of both', async () => {
    shape.setJwksAvailable(true);
    const before = await shape.login('carol');
    await shape.rotateKeys({ keepPrevious: true });
    const after = await shape.login('carol');
    expect(
      (
        await until(
          () => api.me(after.accessToken),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);
    expect(
      await until(
        () => active(after.accessToken),
        (a) => a === true,
      ),
    ).toBe(true);
    expect((await api.me(before.accessToken)).status).toBe(200);
    expect(await active(before.accessToken)).toBe(true);
  });

  /** What a token verified before the outage got past expireAfter (see the known-gap case below). */
  let cachedPastExpiry: { api: number; service: number } | undefined;

  it('a JWKS outage: held keys work for their cache time, an unfetched kid is never accepted, then a clear 503', async () => {
    shape.setJwksAvailable(true);
    // Three tokens of one key: one presented before the outage, one during it, one only after expireAfter.
    // (Three people: Auth0's tokens have no jti, so one person's logins within a second are one token.)
    const seen = await shape.login('dave');
    const during = await shape.login('dora');
    const late = await shape.login('dan');
    expect((await api.me(seen.accessToken)).status).toBe(200);
    expect(await active(seen.accessToken)).toBe(true);
    const revocationsBefore = (await service.revocations()).length;

    shape.setJwksAvailable(false);
    const outageStarted = Date.now();
    // A new key the service and the API cannot fetch: its tokens are refused, never accepted.
    await shape.rotateKeys({ keepPrevious: true });
    const unknown = await shape.login('erin');
    // Within the cool-down of the last good fetch the answer is 401 ERR_KEY_UNKNOWN (no such key as of
    // then); once a refetch has failed, 503 ERR_JWKS_UNAVAILABLE. Never 200, never active.
    const seenAtApi = new Set<string>();
    const unknownAtApi = await until(
      async () => {
        const answer = await api.me(unknown.accessToken);
        seenAtApi.add(`${answer.status} ${String(answer.body['error'])}`);
        return answer;
      },
      (a) => a.status === 503,
    );
    expect(unknownAtApi).toMatchObject({ status: 503, body: { error: 'ERR_JWKS_UNAVAILABLE' } });
    expect(
      [...seenAtApi].filter((s) => s !== '401 ERR_KEY_UNKNOWN' && s !== '503 ERR_JWKS_UNAVAILABLE'),
    ).toEqual([]);
    const seenAtService = new Set<string>();
    const unknownIntrospected = await until(
      async () => {
        const answer = await service.introspect(unknown.accessToken);
        seenAtService.add(
          `${answer.status} ${JSON.stringify(answer.body['active'] ?? answer.body['error'])}`,
        );
        return answer;
      },
      (a) => a.status === 503,
    );
    expect(unknownIntrospected.body).toMatchObject({ error: 'ERR_JWKS_UNAVAILABLE' });
    expect([...seenAtService].filter((s) => s !== '200 false' && s !== '503 "ERR_JWKS_UNAVAILABLE"')).toEqual(
      [],
    );

    // The held key keeps working within expireAfter of its last successful fetch.
    const early = await api.me(during.accessToken);
    if (Date.now() - outageStarted < (KEYS.expireAfter - 1) * 1000) expect(early.status).toBe(200);

    // Past it: a clear error, at the API and at the service, and nothing written by a logout attempt.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, outageStarted + KEYS.expireAfter * 1000 + 500 - Date.now())),
    );
    expect(await api.me(late.accessToken)).toMatchObject({
      status: 503,
      body: { error: 'ERR_JWKS_UNAVAILABLE' },
    });
    const lateIntrospection = await service.introspect(late.accessToken);
    expect(lateIntrospection).toMatchObject({ status: 503, body: { error: 'ERR_JWKS_UNAVAILABLE' } });
    const logout = await service.http.post('/auth/logout', undefined, late.accessToken);
    expect(logout).toMatchObject({ status: 503, body: { error: 'ERR_JWKS_UNAVAILABLE' } });
    expect((await service.revocations()).length).toBe(revocationsBefore);
    const issuers = await service.http.get('/admin/issuers', ADMIN_TOKEN);
    expect(issuers.body.issuers[0]).toMatchObject({ id, state: 'unavailable' });
    expect(JSON.stringify(issuers.body)).not.toContain(late.accessToken);
    cachedPastExpiry = {
      api: (await api.me(seen.accessToken)).status,
      service: (await service.introspect(seen.accessToken)).status,
    };

    // The JWKS answers again: both keys are read back, the tokens of both accepted.
    shape.setJwksAvailable(true);
    expect(
      (
        await until(
          () => api.me(unknown.accessToken),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await until(
          () => api.me(late.accessToken),
          (a) => a.status === 200,
        )
      ).status,
    ).toBe(200);
    expect(
      await until(
        () => active(unknown.accessToken),
        (a) => a === true,
      ),
    ).toBe(true);
    expect(await active(late.accessToken)).toBe(true);
  });

  // A verification cached before the outage ends with the key: RemoteJwks sets each key's verifyUntil
  // to its last good fetch plus expireAfter, and the verifier's cache checks it.
  it('past expireAfter, a token verified before the outage is refused too', () => {
    expect(cachedPastExpiry).toEqual({ api: 503, service: 503 });
  });

  it.runIf(name === 'entra-v2')(
    'a JWKS that hangs: an unfetched kid is answered 503 within the fetch timeout, not held forever',
    async () => {
      shape.setJwksAvailable(true);
      await until(
        () => service.http.get('/admin/issuers', ADMIN_TOKEN),
        (a) => a.body.issuers[0].state === 'ready',
      );
      shape.setJwksAvailable(false, 'hang');
      await shape.rotateKeys({ keepPrevious: true });
      const unknown = await shape.login('frank');
      // Past the cool-down of the last good fetch, so the unknown kid starts a fetch (which hangs).
      await new Promise((resolve) => setTimeout(resolve, KEYS.cooldown * 1000 + 200));
      const started = Date.now();
      const answer = await service.introspect(unknown.accessToken);
      const tookMs = Date.now() - started;
      expect(answer).toMatchObject({ status: 503, body: { error: 'ERR_JWKS_UNAVAILABLE' } });
      expect(tookMs).toBeLessThan(DEADLINE_MS);
      const atApi = await api.me(unknown.accessToken);
      expect(atApi).toMatchObject({ status: 503, body: { error: 'ERR_JWKS_UNAVAILABLE' } });
      console.info(`${name}: an unfetched kid behind a hanging JWKS answered 503 after ${tookMs} ms`);
      shape.setJwksAvailable(true);
    },
    30_000,
  );
});

describe('a provider whose JWKS cannot be read when the service starts', () => {
  it('does not stop the service: its tokens answer 503 and nothing is written until the keys can be read', async () => {
    const slot = await reserveService();
    const entra = await startOidcShape('entra-v2');
    entra.setJwksAvailable(false);
    let service: TrustingService | undefined;
    try {
      service = await startTrustingService(slot, {
        trustedIssuers: [trustedIssuerEntry('entra', entra, { backchannelLogout: undefined })],
      });
      const started = service;
      const alice = await entra.login('alice');
      const introspected = await started.introspect(alice.accessToken);
      expect(introspected).toMatchObject({ status: 503, body: { error: 'ERR_JWKS_UNAVAILABLE' } });
      const logout = await started.http.post('/auth/logout', undefined, alice.accessToken);
      expect(logout).toMatchObject({ status: 503, body: { error: 'ERR_JWKS_UNAVAILABLE' } });
      expect(await started.revocations()).toEqual([]);
      const issuers = await started.http.get('/admin/issuers', ADMIN_TOKEN);
      expect(issuers.body.issuers[0]).toMatchObject({
        id: 'entra',
        state: 'unavailable',
        last_error: { code: 'ERR_JWKS_UNAVAILABLE' },
      });

      // Discovery is retried (at most every 30 s): once the JWKS answers, the same token is active.
      entra.setJwksAvailable(true);
      const deadline = Date.now() + 45_000;
      let answer = await started.introspect(alice.accessToken);
      while (answer.body['active'] !== true && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        answer = await started.introspect(alice.accessToken);
      }
      expect(answer.body).toMatchObject({ active: true, sub: alice.sub });
      expect((await started.http.post('/auth/logout', undefined, alice.accessToken)).status).toBe(204);
      expect(await started.revocations()).toHaveLength(1);
    } finally {
      await service?.close();
      await entra.close();
    }
  }, 90_000);
});
