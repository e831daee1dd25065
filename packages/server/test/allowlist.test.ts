import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http, startService } from './support/service.js';

describe('allowlist mode (--allowlist)', () => {
  let service: RunningService;
  let http: Http;
  beforeAll(async () => {
    service = await startService('memory', ['--allowlist']);
    http = new Http(service.url);
  });
  afterAll(async () => service?.close());

  it('accepts tokens recorded at issue, including refreshed ones', async () => {
    const tokens = await http.registerAndLogin('allowed');
    expect((await http.get('/api/me', tokens.access_token)).status).toBe(200);
    const refreshed = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
    expect((await http.get('/api/me', refreshed.body.access_token)).status).toBe(200);
  });

  it('rejects a validly signed token that was never recorded', async () => {
    const { token } = service.runtime.issuer.issue({ sub: 'ghost', sid: 'never-recorded' });
    const answer = await http.get('/api/me', token);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('ERR_TOKEN_REVOKED');
    expect(answer.body.message).toContain('allowlist');
  });
});
