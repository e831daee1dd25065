import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, Http, startService } from './support/service.js';

describe('a key rule without an end', () => {
  let service: RunningService;
  let http: Http;
  beforeAll(async () => {
    service = await startService('memory');
    http = new Http(service.url);
  });
  afterAll(async () => service?.close());

  it('lasts until every token the key signed has expired: now + the longest lifetime + the margin', async () => {
    const tokens = await http.registerAndLogin('key-rule-user');
    const me = await http.get('/api/me', tokens.access_token);
    const before = Date.now();
    const answer = await http.call('POST', '/admin/revocations', {
      token: ADMIN_TOKEN,
      body: { rule: { kind: 'key', kid: me.body.kid } },
    });
    expect(answer.status).toBe(201);
    const { maxTokenLifetimeMs, clockSkewMs } = service.runtime.config.revocationPolicy;
    const expiresAt = Date.parse(answer.body.rule.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + maxTokenLifetimeMs + clockSkewMs);
    expect(expiresAt).toBeGreaterThanOrEqual(me.body.claims.exp * 1000);
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
  });
});
