import type { RunningService } from '@revocable/server';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, Http, startService } from './support/service.js';

// The IP the login throttle, the registration limit and the session list see, over HTTP, with the
// client rotating X-Forwarded-For on every request. The tests connect from 127.0.0.1.
describe('--trust-proxy', () => {
  const backend = BACKENDS[0]!;
  const services: RunningService[] = [];
  afterAll(async () => {
    for (const service of services) await service.close();
    await backend.cleanup();
  });

  async function start(trustProxy: string): Promise<Http> {
    const service = await startService(await backend.fresh(), ['--trust-proxy', trustProxy]);
    services.push(service);
    return new Http(service.url);
  }

  const forwardedFor = (http: Http, path: string, body: unknown, xff: string) =>
    http.call('POST', path, { body, headers: { 'x-forwarded-for': xff } });

  async function failedLogins(http: Http, username: string, count: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      const answer = await forwardedFor(
        http,
        '/auth/login',
        { username, password: 'wrong password!' },
        `198.51.100.${i + 1}`,
      );
      statuses.push(answer.status);
    }
    return statuses;
  }

  async function sessionIp(http: Http, username: string, xff: string): Promise<string> {
    const login = await forwardedFor(
      http,
      '/auth/login',
      { username, password: 'correct horse battery' },
      xff,
    );
    expect(login.status).toBe(200);
    const list = await http.get('/auth/sessions', login.body.access_token);
    return list.body.sessions[0].ip;
  }

  it('from a peer that is not a trusted proxy, a rotating X-Forwarded-For changes nothing', async () => {
    const http = await start('192.0.2.1'); // some other proxy, not the tests' 127.0.0.1
    await http.registerAndLogin('untrusted-peer');
    // Five failures per (account, IP), then the sixth attempt waits: all from the one real peer.
    expect(await failedLogins(http, 'untrusted-peer', 6)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await sessionIp(http, 'untrusted-peer-2', '203.0.113.7').catch(() => 'none')).toBe('none');
    await http.registerAndLogin('untrusted-peer-2');
    expect(await sessionIp(http, 'untrusted-peer-2', '203.0.113.7')).toMatch(/127\.0\.0\.1$/);
    // The registration limit (20 per IP per hour) holds across forwarded addresses too.
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await forwardedFor(
        http,
        '/auth/register',
        { username: `reg-${i}`, password: 'correct horse battery' },
        `198.51.100.${i + 1}`,
      );
      statuses.push(answer.status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0); // 2 registered above
  });

  it('from a trusted proxy address, the address it appended is the client', async () => {
    const http = await start('127.0.0.1');
    await http.registerAndLogin('behind-proxy');
    expect(await failedLogins(http, 'behind-proxy', 6)).toEqual([401, 401, 401, 401, 401, 401]);
    // A client-chosen entry left of the proxy's own is not believed: the rightmost untrusted one is.
    expect(await sessionIp(http, 'behind-proxy', '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
  });

  it('with a range of trusted proxies, proxies in the chain are skipped to the client', async () => {
    const http = await start('127.0.0.0/8,10.0.0.0/8');
    await http.registerAndLogin('two-hops');
    expect(await sessionIp(http, 'two-hops', '6.6.6.6, 203.0.113.8, 10.1.2.3')).toBe('203.0.113.8');
  });
});
