import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, CLIENT, Http, startService } from './support/service.js';

describe('POST /admin/sessions mints only what the service itself accepts', () => {
  let service: RunningService;
  let http: Http;
  beforeAll(async () => {
    service = await startService('memory');
    http = new Http(service.url);
  });
  afterAll(async () => service?.close());

  const mint = (body: unknown) => http.call('POST', '/admin/sessions', { token: ADMIN_TOKEN, body });
  const sessionsOf = async (sub: string) =>
    (await http.get(`/admin/users/${encodeURIComponent(sub)}/sessions`, ADMIN_TOKEN)).body.sessions;

  it('mints and accepts an ordinary session (control case)', async () => {
    const minted = await mint({ sub: 'ordinary', claims: { tenant: 'acme' } });
    expect(minted.status).toBe(201);
    expect((await http.get('/api/me', minted.body.access_token)).status).toBe(200);
  });

  it('refuses claims too large for a token its verifier accepts, and opens no session', async () => {
    const minted = await mint({ sub: 'too-large', claims: { blob: 'y'.repeat(9000) } });
    expect(minted.status).toBe(400);
    expect(minted.body.error).toBe('ERR_BAD_REQUEST');
    expect(JSON.stringify(minted.body)).not.toContain('yyyy');
    expect(await sessionsOf('too-large')).toEqual([]);
  });

  it("refuses a confidential client's id: a minted session is refreshed without client authentication", async () => {
    const minted = await mint({ sub: 'borrowed-client', client_id: CLIENT.id });
    expect(minted.status).toBe(400);
    expect(minted.body.error).toBe('ERR_BAD_REQUEST');
    expect(await sessionsOf('borrowed-client')).toEqual([]);
  });

  it('refuses a sub with control characters (NUL, C1)', async () => {
    for (const sub of ['a\u0000b', 'tab\there', 'c1\u0085x']) {
      const minted = await mint({ sub });
      expect(minted.status, JSON.stringify(sub)).toBe(400);
      expect(minted.body.error).toBe('ERR_BAD_REQUEST');
    }
  });
});
