// Token and key rules written through the admin API name an issuer (default: this service's own) and
// match that issuer's tokens only: a rule for another issuer's jti or kid leaves ours valid.
import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, Http, startService } from './support/service.js';

const OTHER_ISSUER = 'https://other-issuer.example';

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(
    `token and key rules are scoped by issuer on ${backend.name}, over HTTP`,
    () => {
      let service: RunningService;
      let http: Http;

      beforeAll(async () => {
        service = await startService(await backend.fresh());
        http = new Http(service.url);
      });
      afterAll(async () => {
        await service?.close();
        await backend.cleanup();
      });

      /** A logged-in user's access token, with the facts a rule names. */
      async function loggedIn(username: string) {
        const token = (await http.registerAndLogin(username)).access_token;
        const me = await http.get('/api/me', token);
        expect(me.status).toBe(200);
        const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
        return {
          token,
          iss: me.body.claims.iss as string,
          jti: me.body.claims.jti as string,
          kid: header.kid as string,
          expiresAt: new Date((me.body.claims.exp as number) * 1000).toISOString(),
        };
      }

      const revoke = (rule: object) =>
        http.call('POST', '/admin/revocations', { body: { rule }, token: ADMIN_TOKEN });

      it("control: a token rule naming this service's issuer revokes this service's token", async () => {
        const user = await loggedIn('scoped-control');
        const written = await revoke({
          kind: 'token',
          iss: user.iss,
          token_id: user.jti,
          expires_at: user.expiresAt,
        });
        expect(written.status).toBe(201);
        const after = await http.get('/api/me', user.token);
        expect(after.status).toBe(401);
        expect(after.body.error).toBe('ERR_TOKEN_REVOKED');
      });

      it("a token rule without iss is for this service's issuer", async () => {
        const user = await loggedIn('scoped-default');
        const written = await revoke({ kind: 'token', token_id: user.jti, expires_at: user.expiresAt });
        expect(written.status).toBe(201);
        expect(written.body.rule).toEqual({
          kind: 'token',
          iss: user.iss,
          token_id: user.jti,
          expires_at: user.expiresAt,
        });
        expect((await http.get('/api/me', user.token)).body.error).toBe('ERR_TOKEN_REVOKED');
      });

      it("a token rule for another issuer's token with the same jti leaves this service's token valid", async () => {
        const user = await loggedIn('scoped-token');
        const written = await revoke({
          kind: 'token',
          iss: OTHER_ISSUER,
          token_id: user.jti,
          expires_at: user.expiresAt,
        });
        expect(written.status).toBe(201);
        expect(written.body.rule.iss).toBe(OTHER_ISSUER);
        expect((await http.get('/api/me', user.token)).status).toBe(200);
        const audit = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
        expect(audit.body.events.at(-1).rule).toEqual(written.body.rule);
      });

      it('a token or key rule with an iss that is not a non-empty string is refused, ERR_REVOCATION_INVALID', async () => {
        const user = await loggedIn('scoped-invalid');
        for (const iss of ['', 7, 'i'.repeat(2049)]) {
          for (const rule of [
            { kind: 'token', iss, token_id: user.jti, expires_at: user.expiresAt },
            { kind: 'key', iss, kid: user.kid, expires_at: user.expiresAt },
          ]) {
            const refused = await revoke(rule);
            expect(refused.status).toBe(400);
            expect(refused.body.error).toBe('ERR_REVOCATION_INVALID');
          }
        }
        expect((await http.get('/api/me', user.token)).status).toBe(200);
      });

      // Last: the control revokes the service's own signing key, so every later token would be refused.
      it("a key rule for another issuer's kid leaves this service's tokens valid; without iss it is this service's", async () => {
        const user = await loggedIn('scoped-key');
        const other = await revoke({
          kind: 'key',
          iss: OTHER_ISSUER,
          kid: user.kid,
          expires_at: user.expiresAt,
        });
        expect(other.status).toBe(201);
        expect((await http.get('/api/me', user.token)).status).toBe(200);
        const own = await revoke({ kind: 'key', kid: user.kid, expires_at: user.expiresAt });
        expect(own.status).toBe(201);
        expect(own.body.rule.iss).toBe(user.iss);
        const after = await http.get('/api/me', user.token);
        expect(after.status).toBe(401);
        expect(after.body.error).toBe('ERR_TOKEN_REVOKED');
      });
    },
  );
}
