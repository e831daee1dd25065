// What an API connected to the service needs from it: the metadata that says how to verify its tokens
// (audience, lifetime policy, feed), and `POST /revocations`, where the API's own logout ends a
// session at the service with its client credentials. Over HTTP, on SQLite and PostgreSQL: a session
// or subject rule ends the stored sessions before the rule is written.
import type { RunningService } from '@revocable/server';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, CLIENT, Http, startService } from './support/service.js';

const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const WRONG = `Basic ${Buffer.from(`${CLIENT.id}:not-the-secret-0123456789`).toString('base64')}`;

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`what a connected API uses, on ${backend.name}, over HTTP`, () => {
    let service: RunningService;
    let http: Http;
    let issuer: string;

    beforeAll(async () => {
      service = await startService(await backend.fresh(), ['--access-token-ttl', '900']);
      http = new Http(service.url);
      issuer = service.runtime.config.issuer;
    });
    afterAll(async () => {
      await service?.close();
      await backend.cleanup();
    });

    const post = (rule: unknown, options: { reason?: string; authorization?: string } = {}) =>
      http.call('POST', '/revocations', {
        body: { rule, ...(options.reason !== undefined && { reason: options.reason }) },
        headers: { authorization: options.authorization ?? BASIC },
      });

    /** A user logged in, with the claims a rule names and the refresh token of the session. */
    async function loggedIn(username: string) {
      const tokens = await http.registerAndLogin(username);
      const claims = (await http.get('/api/me', tokens.access_token)).body.claims;
      return { ...tokens, claims };
    }

    const refreshes = async (refreshToken: string) =>
      (await http.post('/auth/refresh', { refresh_token: refreshToken })).status === 200;

    describe('RFC 8414 metadata', () => {
      it('publishes the audience, the lifetime policy and the feed an API follows', async () => {
        const { status, body } = await http.get('/.well-known/oauth-authorization-server');
        expect(status).toBe(200);
        expect(body).toMatchObject({
          issuer,
          revocable_audience: 'revocable-api',
          revocable_revocation_policy: { max_token_lifetime_ms: 900_000, clock_skew_ms: 60_000 },
          revocable_feed_endpoint: `${issuer}/revocations`,
        });
      });
    });

    describe('POST /revocations', () => {
      it('control: the session works before any revocation', async () => {
        const user = await loggedIn('rev-control');
        expect((await http.get('/api/me', user.access_token)).status).toBe(200);
        expect(await refreshes(user.refresh_token)).toBe(true);
      });

      it('ends a session: the stored session first (no refresh), then the rule (the token is refused)', async () => {
        const user = await loggedIn('rev-session');
        const before = Date.now();
        const answer = await post({ kind: 'session', iss: issuer, sid: user.claims.sid });
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        expect(answer.body).toEqual({
          seq: expect.any(Number),
          rule: { kind: 'session', iss: issuer, sid: user.claims.sid, cutoff: expect.any(Number) },
          reason: 'logout',
          actor: `client:${CLIENT.id}`,
          recordedAt: expect.any(Number),
          forgetAfter: answer.body.rule.cutoff + 900_000 + 60_000,
        });
        expect(answer.body.rule.cutoff).toBeGreaterThanOrEqual(before);
        expect(answer.body.rule.cutoff).toBeLessThanOrEqual(Date.now());
        const after = await http.get('/api/me', user.access_token);
        expect(after.status).toBe(401);
        expect(after.body.error).toBe('ERR_TOKEN_REVOKED');
        expect(await refreshes(user.refresh_token)).toBe(false);
      });

      it('answers the event exactly as the feed then serves it', async () => {
        const user = await loggedIn('rev-feed-form');
        const answer = await post({ kind: 'session', iss: issuer, sid: user.claims.sid });
        expect(answer.status).toBe(201);
        // Read as a follower reads it (the feed's own contract is checked by its suites).
        const feed = await fetch(`${service.url}/revocations?after=${answer.body.seq - 1}&limit=1`, {
          headers: { authorization: BASIC },
        });
        expect(((await feed.json()) as { events: unknown[] }).events).toEqual([answer.body]);
      });

      it('ends every session of a subject with logout_all', async () => {
        const first = await loggedIn('rev-subject');
        const second = await http.login('rev-subject');
        const answer = await post(
          { kind: 'subject', iss: issuer, sub: first.claims.sub },
          { reason: 'logout_all' },
        );
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        expect(answer.body).toMatchObject({
          reason: 'logout_all',
          rule: { kind: 'subject', sub: first.claims.sub },
        });
        for (const tokens of [first, second]) {
          expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
          expect(await refreshes(tokens.refresh_token)).toBe(false);
        }
      });

      it('revokes one token by id until its expiry, leaving its session open', async () => {
        const user = await loggedIn('rev-token');
        const rule = {
          kind: 'token',
          iss: issuer,
          tokenId: user.claims.jti,
          expiresAt: user.claims.exp * 1000,
        };
        const answer = await post(rule);
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        expect(answer.body.rule).toEqual(rule);
        expect((await http.get('/api/me', user.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
        expect(await refreshes(user.refresh_token)).toBe(true);
      });

      it('takes the admin credential too, recorded as admin', async () => {
        const user = await loggedIn('rev-admin');
        const answer = await post(
          { kind: 'session', iss: issuer, sid: user.claims.sid },
          { authorization: `Bearer ${ADMIN_TOKEN}` },
        );
        expect(answer.status).toBe(201);
        expect(answer.body.actor).toBe('admin');
      });

      it('answers as /openapi.json documents it', async () => {
        const user = await loggedIn('rev-contract');
        const answer = await post({ kind: 'session', iss: issuer, sid: user.claims.sid });
        const openapi = (await http.get('/openapi.json')).body;
        const operation = openapi.paths['/revocations'].post;
        const schema = operation.responses['201'].content['application/json'].schema;
        const validate = new Ajv({ allErrors: true }).compile(schema);
        expect(validate(answer.body) ? [] : validate.errors).toEqual([]);
        expect(operation.security).toEqual(expect.arrayContaining([{ client: [] }]));
      });

      describe('refuses, and ends nothing', () => {
        /** The session still works after the refused call: so no refusal below passes vacuously. */
        async function stillOpen(user: Awaited<ReturnType<typeof loggedIn>>) {
          expect((await http.get('/api/me', user.access_token)).status).toBe(200);
        }

        it('without client credentials, or with a wrong secret: 401 ERR_CLIENT_AUTH_FAILED', async () => {
          const user = await loggedIn('rev-unauth');
          const rule = { kind: 'session', iss: issuer, sid: user.claims.sid };
          const none = await http.call('POST', '/revocations', { body: { rule } });
          expect(none.status).toBe(401);
          expect(none.body.error).toBe('ERR_CLIENT_AUTH_FAILED');
          const wrong = await post(rule, { authorization: WRONG });
          expect(wrong.status).toBe(401);
          expect(wrong.body.error).toBe('ERR_CLIENT_AUTH_FAILED');
          expect(JSON.stringify(wrong.body)).not.toContain('not-the-secret');
          await stillOpen(user);
        });

        it('a rule for another issuer: 403 ERR_RULE_FORBIDDEN naming both issuers', async () => {
          const user = await loggedIn('rev-foreign');
          const answer = await post({ kind: 'session', iss: 'https://other.example', sid: user.claims.sid });
          expect(answer.status).toBe(403);
          expect(answer.body.error).toBe('ERR_RULE_FORBIDDEN');
          expect(answer.body.message).toContain('https://other.example');
          expect(answer.body.message).toContain(issuer);
          await stillOpen(user);
        });

        it('key, issuer and allow rules: 403 ERR_RULE_FORBIDDEN, pointing at the admin API', async () => {
          const user = await loggedIn('rev-kinds');
          const exp = user.claims.exp * 1000;
          for (const rule of [
            { kind: 'issuer', iss: issuer },
            { kind: 'key', iss: issuer, kid: 'k', expiresAt: exp },
            { kind: 'allow', iss: issuer, tokenId: 't', expiresAt: exp },
          ]) {
            const answer = await post(rule);
            expect(answer.status, rule.kind).toBe(403);
            expect(answer.body.error).toBe('ERR_RULE_FORBIDDEN');
            expect(answer.body.message).toContain('/admin/revocations');
          }
          await stillOpen(user);
        });

        it("a cutoff: 400 ERR_REVOCATION_INVALID, the cutoff is the service's clock", async () => {
          const user = await loggedIn('rev-cutoff');
          const answer = await post({
            kind: 'session',
            iss: issuer,
            sid: user.claims.sid,
            cutoff: Date.now(),
          });
          expect(answer.status).toBe(400);
          expect(answer.body.error).toBe('ERR_REVOCATION_INVALID');
          expect(answer.body.message).toMatch(/cutoff/);
          await stillOpen(user);
        });

        it('the admin wire form (token_id, RFC 3339) or an unknown kind: 400 ERR_REVOCATION_INVALID', async () => {
          const user = await loggedIn('rev-wire');
          const snake = await post({
            kind: 'token',
            iss: issuer,
            token_id: user.claims.jti,
            expires_at: new Date(user.claims.exp * 1000).toISOString(),
          });
          expect(snake.status).toBe(400);
          expect(snake.body.error).toBe('ERR_REVOCATION_INVALID');
          const unknown = await post({ kind: 'everything', iss: issuer });
          expect(unknown.status).toBe(400);
          expect(unknown.body.error).toBe('ERR_REVOCATION_INVALID');
          await stillOpen(user);
        });

        it('a reason other than logout or logout_all: 400 ERR_BAD_REQUEST', async () => {
          const user = await loggedIn('rev-reason');
          const answer = await post(
            { kind: 'session', iss: issuer, sid: user.claims.sid },
            { reason: 'admin' },
          );
          expect(answer.status).toBe(400);
          expect(answer.body.error).toBe('ERR_BAD_REQUEST');
          await stillOpen(user);
        });
      });
    });
  });
}
