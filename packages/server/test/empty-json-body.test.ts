import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Http, startService } from './support/service.js';

describe('a JSON content type with an empty body', () => {
  let service: RunningService;
  let http: Http;
  beforeAll(async () => {
    service = await startService('memory');
    http = new Http(service.url);
  });
  afterAll(async () => service?.close());

  it('is "no body": POST /auth/logout with content-type: application/json and nothing else works', async () => {
    const tokens = await http.registerAndLogin('empty-body');
    const answer = await http.call('POST', '/auth/logout', {
      token: tokens.access_token,
      headers: { 'content-type': 'application/json' },
      raw: '',
    });
    expect(answer.status).toBe(204);
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
  });

  it('still answers a body that is not JSON with ERR_INVALID_JSON, and a login without a body with 400', async () => {
    const broken = await http.call('POST', '/auth/login', {
      headers: { 'content-type': 'application/json' },
      raw: '{"username": ',
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe('ERR_INVALID_JSON');
    const empty = await http.call('POST', '/auth/login', {
      headers: { 'content-type': 'application/json' },
      raw: '',
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe('ERR_BAD_REQUEST');
  });

  it('still refuses prototype poisoning in a JSON body', async () => {
    const poisoned = await http.call('POST', '/auth/login', {
      headers: { 'content-type': 'application/json' },
      raw: '{"username":"a","password":"b","__proto__":{"admin":true}}',
    });
    expect(poisoned.status).toBe(400);
  });
});
