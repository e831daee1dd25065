import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { isClientError, type LockManagerLike, RevocableClient } from '../src/index.js';
import { FakeService, MemoryStorage, sharedLocks, sleep, TabBus } from './support/fakes.js';

const open: RevocableClient[] = [];

/** Tabs of one origin: one service (and cookie jar), one BroadcastChannel bus, one lock manager, one localStorage. */
function origin() {
  const service = new FakeService();
  const bus = new TabBus();
  const locks = sharedLocks();
  const storage = new MemoryStorage();
  const tab = (options: { retryOn?: string[] } = {}) => {
    const client = new RevocableClient({
      baseUrl: service.origin,
      peerWaitMs: 30,
      ...options,
      environment: { fetch: service.fetch, locks, storage, channel: bus.channel() },
    });
    open.push(client);
    return client;
  };
  return { service, bus, storage, tab };
}

afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

describe('RevocableClient', () => {
  it('keeps the access token in memory only: not in storage, not in any URL', async () => {
    const { service, storage, tab } = origin();
    const client = tab();
    await client.login('ada', 'correct horse battery');
    await client.fetch(`${service.origin}/api/me`);
    expect(storage.dump()).not.toContain('at-');
    expect(service.requests.every((r) => !r.url.includes('at-'))).toBe(true);
  });

  it('logs in in cookie mode and is signed in with the session id', async () => {
    const { service, tab } = origin();
    const client = tab();
    const state = await client.login('ada', 'correct horse battery');
    expect(state).toMatchObject({ status: 'signed-in', sessionId: 's1' });
    const login = service.requests.find((r) => r.url.endsWith('/auth/login'))!;
    expect(await login.json()).toEqual({ username: 'ada', password: 'correct horse battery', cookie: true });
    expect(login.credentials).toBe('include');
  });

  it('reports a refused login with the service code', async () => {
    const client = new RevocableClient({
      baseUrl: 'https://auth.test',
      environment: {
        fetch: async () => Response.json({ error: 'ERR_LOGIN_FAILED', message: 'Wrong.' }, { status: 401 }),
        locks: null,
        storage: null,
        channel: { post() {}, subscribe: () => () => {}, close() {} },
      },
    });
    const err = await client.login('ada', 'nope').catch((e: unknown) => e);
    expect(isClientError(err, 'ERR_LOGIN_FAILED')).toBe(true);
    expect(err).toMatchObject({ serverCode: 'ERR_LOGIN_FAILED', status: 401 });
    expect(client.getState()).toEqual({ status: 'unknown' });
  });

  it('attaches the token to the API origin and never to another origin', async () => {
    const { service, tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    const mine = await (await client.fetch(`${service.origin}/api/me`)).json();
    expect(mine.token).toBe('at-1');
    const theirs = await (await client.fetch('https://elsewhere.test/track')).json();
    expect(theirs).toEqual({ elsewhere: true, auth: null });
  });

  it('refreshes through the cookie with the CSRF header and no body', async () => {
    const { service, tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    expect(await client.refresh()).toBe('at-2');
    const refresh = service.requests.find((r) => r.url.endsWith('/auth/refresh'))!;
    expect(refresh.method).toBe('POST');
    expect(refresh.headers.get('x-revocable-csrf')).toBe('1');
    expect(refresh.credentials).toBe('include');
    expect(await refresh.text()).toBe('');
  });

  it('refreshes once on ERR_TOKEN_EXPIRED and retries the request, body included', async () => {
    const { service, tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    service.expired.add('at-1');
    const response = await client.fetch(`${service.origin}/api/notes`, { method: 'POST', body: 'hello' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ token: 'at-2', body: 'hello' });
    expect(service.refreshes()).toBe(1);
  });

  it('reads the code from the WWW-Authenticate challenge when the body is not Revocable JSON', async () => {
    const { service, tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    service.plainErrors = true;
    service.expired.add('at-1');
    const response = await client.fetch(`${service.origin}/api/me`);
    expect(response.status).toBe(200);
    expect(service.refreshes()).toBe(1);
  });

  it('retries only once: a second ERR_TOKEN_EXPIRED is returned as it is', async () => {
    const { service, tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    service.expired.add('at-1').add('at-2');
    const response = await client.fetch(`${service.origin}/api/me`);
    expect(response.status).toBe(401);
    expect((await response.json()).error).toBe('ERR_TOKEN_EXPIRED');
    expect(service.refreshes()).toBe(1);
  });

  it('does not retry on ERR_TOKEN_REVOKED, drops the token, and finds out on the next call whether the session lives', async () => {
    const { service, tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    service.revoked.add('at-1');
    const first = await client.fetch(`${service.origin}/api/me`);
    expect((await first.json()).error).toBe('ERR_TOKEN_REVOKED');
    expect(service.refreshes()).toBe(0);
    // Only that token was revoked: the session lives, so the next call refreshes and succeeds.
    expect((await (await client.fetch(`${service.origin}/api/me`)).json()).token).toBe('at-2');
    // Now the session is ended too: the next revoked answer leads to a failed refresh and a sign-out.
    service.revoked.add('at-2');
    service.endSession();
    await client.fetch(`${service.origin}/api/me`);
    const err = await client.fetch(`${service.origin}/api/me`).catch((e: unknown) => e);
    expect(isClientError(err, 'ERR_SIGNED_OUT')).toBe(true);
    expect(client.getState()).toEqual({ status: 'signed-out', reason: 'session-ended', byOtherTab: false });
  });

  it('does not rotate for a rejected token when a newer one is already held', async () => {
    const { service, tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    expect(await client.refresh('at-1')).toBe('at-2');
    expect(await client.refresh('at-1')).toBe('at-2');
    expect(service.refreshes()).toBe(1);
  });

  it('signs every tab out when a refresh finds the session ended', async () => {
    const { service, tab } = origin();
    const [a, b] = [tab(), tab()];
    await a.login('ada', 'pw');
    await sleep(5);
    service.endSession();
    await expect(a.refresh()).rejects.toMatchObject({
      code: 'ERR_SIGNED_OUT',
      serverCode: 'ERR_REFRESH_TOKEN_INVALID',
    });
    await expect
      .poll(() => b.getState())
      .toEqual({ status: 'signed-out', reason: 'session-ended', byOtherTab: true });
  });

  it('restores without any session as signed out, without throwing', async () => {
    const { tab } = origin();
    const client = tab();
    expect(await client.restore()).toBe(false);
    expect(client.getState()).toEqual({ status: 'signed-out', reason: 'not-signed-in', byOtherTab: false });
    await expect(client.accessToken()).rejects.toMatchObject({ code: 'ERR_SIGNED_OUT' });
  });

  it('gives a new tab the token of an open tab instead of rotating', async () => {
    const { service, tab } = origin();
    await tab().login('ada', 'pw');
    const fresh = tab();
    expect(await fresh.restore()).toBe(true);
    expect(await fresh.accessToken()).toBe('at-1');
    expect(service.refreshes()).toBe(0);
  });

  it('rotates once when two tabs refresh at once, and both end with the new token', async () => {
    const { service, tab } = origin();
    const [a, b] = [tab(), tab()];
    await a.login('ada', 'pw');
    await expect.poll(() => b.getState().status).toBe('signed-in');
    const tokens = await Promise.all([a.refresh(), b.refresh()]);
    expect(tokens).toEqual(['at-2', 'at-2']);
    expect(service.refreshes()).toBe(1);
    expect(service.reuseDetected).toBe(false);
  });

  it('rotates once when two tabs meet the same expired token at once', async () => {
    const { service, tab } = origin();
    const [a, b] = [tab(), tab()];
    await a.login('ada', 'pw');
    await expect.poll(() => b.getState().status).toBe('signed-in');
    service.expired.add('at-1');
    const answers = await Promise.all(
      [a, b].map((t) => t.fetch(`${service.origin}/api/me`).then((r) => r.json())),
    );
    expect(answers.map((x) => x.token)).toEqual(['at-2', 'at-2']);
    expect(service.refreshes()).toBe(1);
    expect(service.reuseDetected).toBe(false);
  });

  it('logs every tab out when one tab logs out', async () => {
    const { service, tab } = origin();
    const [a, b] = [tab(), tab()];
    await a.login('ada', 'pw');
    await expect.poll(() => b.getState().status).toBe('signed-in');
    const seen: string[] = [];
    b.subscribe(() => seen.push(b.getState().status));
    await a.logout();
    const logout = service.requests.find((r) => r.url.endsWith('/auth/logout'))!;
    expect(logout.headers.get('authorization')).toBe('Bearer at-1');
    expect(a.getState()).toEqual({ status: 'signed-out', reason: 'logout', byOtherTab: false });
    await expect
      .poll(() => b.getState())
      .toEqual({ status: 'signed-out', reason: 'logout', byOtherTab: true });
    expect(seen).toEqual(['signed-out']);
    await expect(b.fetch(`${service.origin}/api/me`)).rejects.toMatchObject({ code: 'ERR_SIGNED_OUT' });
  });

  it('logs out everywhere and says how many sessions ended', async () => {
    const { tab } = origin();
    const client = tab();
    await client.login('ada', 'pw');
    expect(await client.logoutEverywhere()).toBe(2);
    expect(client.getState()).toMatchObject({ status: 'signed-out', reason: 'logout-everywhere' });
  });

  it('keeps the state object stable between changes (for useSyncExternalStore)', async () => {
    const { tab } = origin();
    const client = tab();
    const { getState, subscribe } = client;
    expect(getState()).toBe(getState());
    let calls = 0;
    const stop = subscribe(() => calls++);
    await client.login('ada', 'pw');
    const state = getState();
    expect(getState()).toBe(state);
    stop();
    await client.logout();
    expect(calls).toBe(1);
  });

  it("accepts the browser's own navigator.locks as its LockManager (checked by the typechecker)", () => {
    expectTypeOf<LockManager>().toMatchTypeOf<LockManagerLike>();
  });

  it('needs a baseUrl outside a browser page', () => {
    expect(() => new RevocableClient()).toThrow('baseUrl is required outside a browser page.');
  });
});
