import { HttpFeedSource, Replica, ReplicaFollower } from '@revocable/core';
import type { RunningService } from '@revocable/server';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, CLIENT, Http, startService } from './support/service.js';

describe('standards, with real peers: openid-client, jose, an HTTP replica', () => {
  let service: RunningService;
  let http: Http;
  let config: oauth.Configuration;
  let issuer: string;

  beforeAll(async () => {
    service = await startService('memory');
    http = new Http(service.url);
    issuer = service.runtime.config.issuer;
    config = await oauth.discovery(
      new URL(issuer),
      CLIENT.id,
      undefined,
      oauth.ClientSecretBasic(CLIENT.secret),
      {
        algorithm: 'oauth2',
        execute: [oauth.allowInsecureRequests],
      },
    );
  });
  afterAll(async () => service?.close());

  it('serves RFC 8414 metadata that openid-client accepts', () => {
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(issuer);
    expect(metadata.revocation_endpoint).toBe(`${issuer}/oauth/revoke`);
  });

  it('jose createRemoteJWKSet verifies our tokens from our JWKS, across a key rotation', async () => {
    const jwks = createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`));
    const options = { issuer, audience: 'revocable-api', typ: 'at+jwt' };
    const before = await http.registerAndLogin('remote-jwks');
    expect((await jwtVerify(before.access_token, jwks, options)).payload.sid).toBe(before.session_id);
    expect((await http.call('POST', '/admin/keys/rotate', { token: ADMIN_TOKEN })).status).toBe(200);
    const after = await http.login('remote-jwks');
    const fresh = createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`));
    expect((await jwtVerify(after.access_token, fresh, options)).protectedHeader.kid).not.toBe(
      (await jwtVerify(before.access_token, fresh, options)).protectedHeader.kid,
    );
  });

  it('openid-client refreshes (rotation), introspects and revokes as an unmodified client', async () => {
    const tokens = await http.registerAndLogin('oidc-client-user');
    const publicConfig = new oauth.Configuration(
      config.serverMetadata(),
      'revocable-web',
      undefined,
      oauth.None(),
    );
    oauth.allowInsecureRequests(publicConfig);
    const refreshed = await oauth.refreshTokenGrant(publicConfig, tokens.refresh_token);
    expect(refreshed.access_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

    const active = await oauth.tokenIntrospection(config, refreshed.access_token);
    expect(active).toMatchObject({ active: true, sid: tokens.session_id, token_type: 'access_token' });
    await oauth.tokenRevocation(config, refreshed.access_token);
    expect((await oauth.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);
    expect((await http.get('/api/me', refreshed.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');

    // A wrong hint changes nothing (RFC 7009 §2.1: the server may extend its search): told by shape.
    const hinted = await oauth.refreshTokenGrant(publicConfig, refreshed.refresh_token!);
    await oauth.tokenRevocation(config, hinted.access_token, { token_type_hint: 'refresh_token' });
    expect((await http.get('/api/me', hinted.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');

    // Revoking the refresh token ends the session: its other access tokens die too.
    const again = await oauth.refreshTokenGrant(publicConfig, hinted.refresh_token!);
    await oauth.tokenRevocation(config, again.refresh_token!, { token_type_hint: 'refresh_token' });
    expect((await http.get('/api/me', again.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    await expect(oauth.refreshTokenGrant(publicConfig, again.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('a refresh token bound to one client is refused to another', async () => {
    const tokens = await http.registerAndLogin('bound-client-user');
    const other = new oauth.Configuration(config.serverMetadata(), 'someone-else', undefined, oauth.None());
    oauth.allowInsecureRequests(other);
    // An id that is not a public client is refused before the token is looked at (public-clients.test.ts
    // covers a token bound to one public client and offered by another).
    await expect(oauth.refreshTokenGrant(other, tokens.refresh_token)).rejects.toMatchObject({
      error: 'invalid_client',
    });
    expect((await http.post('/auth/refresh', { refresh_token: tokens.refresh_token })).status).toBe(200);
  });

  it('a core Replica follows the service over HTTP (snapshot + SSE) and sees a logout within the stream', async () => {
    const tokens = await http.registerAndLogin('sse-follower');
    const replica = new Replica({ purgeIntervalMs: 0 });
    const follower = new ReplicaFollower(
      replica,
      new HttpFeedSource({ url: service.url, clientId: CLIENT.id, clientSecret: CLIENT.secret }),
    );
    await follower.start();
    const me = (await http.get('/api/me', tokens.access_token)).body.claims;
    const facts = {
      tokenId: me.jti,
      iss: me.iss,
      sub: me.sub,
      sid: me.sid,
      kid: 'any',
      issuedAtMs: Math.round(me.iat * 1000),
      expiresAtMs: me.exp * 1000,
    };
    expect(replica.check(facts)).toBeUndefined();
    await http.post('/auth/logout', undefined, tokens.access_token);
    const started = Date.now();
    while (replica.check(facts) === undefined && Date.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 5));
    expect(replica.check(facts)).toBe('session');
    follower.stop();
    replica.close();
  });

  it('the feed refuses callers without client credentials', async () => {
    expect((await http.get('/revocations')).body.error).toBe('ERR_CLIENT_AUTH_FAILED');
    expect((await http.get('/revocations/stream')).status).toBe(401);
  });

  it('browser mode: the refresh cookie is __Host-, HttpOnly, Secure, SameSite=Strict, and refresh needs the CSRF header and Origin', async () => {
    await http.post('/auth/register', { username: 'cookie-user', password: 'correct horse battery' });
    const login = await fetch(`${service.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'cookie-user', password: 'correct horse battery', cookie: true }),
    });
    const body = await login.json();
    expect(body.refresh_token).toBeUndefined();
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^__Host-revocable-refresh=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    const refresh = (headers: Record<string, string>) =>
      fetch(`${service.url}/auth/refresh`, { method: 'POST', headers: { cookie, ...headers } });
    expect((await (await refresh({})).json()).error).toBe('ERR_CSRF');
    expect(
      (await (await refresh({ 'x-revocable-csrf': '1', origin: 'https://evil.example' })).json()).error,
    ).toBe('ERR_CSRF');
    const ok = await refresh({ 'x-revocable-csrf': '1', origin: issuer });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/^__Host-revocable-refresh=/);
    expect((await ok.json()).access_token).toBeTruthy();
  });

  it('serves an OpenAPI document listing the endpoints', async () => {
    const doc = (await http.get('/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/auth/login',
      '/auth/refresh',
      '/oauth/revoke',
      '/oauth/introspect',
      '/revocations',
      '/admin/revocations',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
  });

  it('exposes Prometheus metrics for verifications, revocations and the replica', async () => {
    const text = (await http.get('/metrics')).body as string;
    for (const name of [
      'revocable_verifications_total',
      'revocable_revocations_total',
      'revocable_replica_staleness_seconds',
      'revocable_replica_lag_events',
      'revocable_refresh_reuse_detections_total',
      'revocable_login_failures_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/revocable_revocations_total\{rule="session",reason="logout"\} \d+/);
  });

  it('counts what happens: each verify, login failure, reuse and revocation moves its counter by one', async () => {
    const read = async () => {
      const text = (await http.get('/metrics')).body as string;
      const value = (series: string) => {
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        return line === undefined ? 0 : Number(line.slice(series.length + 1));
      };
      return {
        ok: value('revocable_verifications_total{result="ok",code="none"}'),
        revoked: value('revocable_verifications_total{result="error",code="ERR_TOKEN_REVOKED"}'),
        loginFailed: value('revocable_login_failures_total{reason="credentials"}'),
        reuse: value('revocable_refresh_reuse_detections_total'),
        logouts: value('revocable_revocations_total{rule="session",reason="logout"}'),
        reuseRevocations: value('revocable_revocations_total{rule="session",reason="refresh_reuse"}'),
      };
    };
    const tokens = await http.registerAndLogin('counted-user');
    const before = await read();
    await http.get('/api/me', tokens.access_token);
    await http.post('/auth/login', { username: 'counted-user', password: 'not the password!' });
    const next = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
    await http.post('/auth/refresh', { refresh_token: tokens.refresh_token }); // the one sibling
    await http.post('/auth/refresh', { refresh_token: tokens.refresh_token }); // reuse
    const again = await http.login('counted-user');
    await http.post('/auth/logout', undefined, again.access_token);
    await http.get('/api/me', again.access_token);
    const after = await read();
    expect(next.status).toBe(200);
    expect(after.ok - before.ok).toBe(2); // /api/me, and the logout's own bearer check
    expect(after.revoked - before.revoked).toBe(1);
    expect(after.loginFailed - before.loginFailed).toBe(1);
    expect(after.reuse - before.reuse).toBe(1);
    expect(after.reuseRevocations - before.reuseRevocations).toBe(1);
    expect(after.logouts - before.logouts).toBe(1);
    expect((await http.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await http.get('/readyz')).status).toBe(200);
  });
});
