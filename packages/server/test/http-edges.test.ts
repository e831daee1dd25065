import { connect } from 'node:net';
import { loadConfig, type RunningService, serve } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, CLIENT, freePort, Http } from './support/service.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789abcdef';
const basic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;

// Small HTTP behaviours from the outside review, against the real service with its real pino log.
describe('HTTP edges', () => {
  const lines: string[] = [];
  let service: RunningService;
  let http: Http;

  beforeAll(async () => {
    const port = await freePort();
    const config = loadConfig(
      [
        ...['--port', String(port), '--issuer', `http://localhost:${port}`, '--database', ':memory:'],
        ...['--admin-token', ADMIN_TOKEN, '--clients', `${CLIENT.id}:${CLIENT.secret}`],
        ...['--log-level', 'debug', '--metrics-token', METRICS_TOKEN],
      ],
      {},
    );
    service = await serve(config, { logStream: { write: (line: string) => lines.push(line) } });
    http = new Http(service.url);
    await http.post('/auth/register', { username: 'edge-user', password: 'correct horse battery' });
  });
  afterAll(async () => service?.close());

  it('answers HEAD /revocations/stream at once, without opening a stream', async () => {
    const head = await fetch(`${service.url}/revocations/stream`, {
      method: 'HEAD',
      headers: { authorization: basic },
      signal: AbortSignal.timeout(5000),
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const anonymous = await fetch(`${service.url}/revocations/stream`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5000),
    });
    expect(anonymous.status).toBe(401);
  });

  it('sends X-Content-Type-Options: nosniff with JSON answers, errors and the event stream', async () => {
    const answers = [
      await http.get('/healthz'),
      await http.get('/.well-known/jwks.json'),
      await http.post('/auth/login', { username: 'edge-user', password: 'wrong password!' }),
      await http.get('/no/such/route'),
      await http.get('/%zz'),
      await http.call('POST', '/oauth/introspect', {
        raw: 'token=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      }),
    ];
    for (const answer of answers) expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    const controller = new AbortController();
    const stream = await fetch(`${service.url}/revocations/stream`, {
      headers: { authorization: basic },
      signal: controller.signal,
    });
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    controller.abort();
  });

  it('does not coerce JSON types: an array for a string, a string for a boolean are refused', async () => {
    const good = { username: 'edge-user', password: 'correct horse battery' };
    expect((await http.post('/auth/login', good)).status).toBe(200); // control
    for (const body of [
      { ...good, username: ['edge-user'] },
      { ...good, cookie: 'true' },
      { ...good, cookie: 1 },
      { username: 12345, password: 'correct horse battery' },
    ]) {
      const answer = await http.post('/auth/login', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error, JSON.stringify(body)).toBe('ERR_BAD_REQUEST');
    }
    const suspend = await http.call('POST', '/admin/users/nobody/suspension', {
      token: ADMIN_TOKEN,
      body: { suspended: 'true' },
    });
    expect(suspend.status).toBe(400);
  });

  it('still reads numbers from query strings, which are text by nature', async () => {
    const page = await http.call('GET', '/admin/revocations?after=0&limit=5', { token: ADMIN_TOKEN });
    expect(page.status).toBe(200);
    expect((await http.call('GET', '/admin/users?limit=2', { token: ADMIN_TOKEN })).status).toBe(200);
    const bad = await http.call('GET', '/admin/revocations?limit=five', { token: ADMIN_TOKEN });
    expect(bad.status).toBe(400);
  });

  it('logs a client that disconnects mid-request at debug level, without a stack trace', async () => {
    const from = lines.length;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(new URL(service.url).port), '127.0.0.1', () => {
        socket.write(
          'POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
            'Content-Length: 1000\r\n\r\n{"username":',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
      socket.on('error', reject);
    });
    const logged = () => lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
    for (let i = 0; i < 50 && !logged().some((l) => l['msg'] !== 'incoming request'); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = logged();
    expect(entries.some((l) => l['msg'] === 'client closed the connection mid-request')).toBe(true);
    expect(entries.filter((l) => (l['level'] as number) >= 40)).toEqual([]);
    expect(lines.slice(from).join('')).not.toContain('stack');
  });

  it('asks for the metrics credential on /metrics when one is configured', async () => {
    const anonymous = await http.get('/metrics');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('ERR_METRICS_AUTH_REQUIRED');
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await http.get('/metrics', `${METRICS_TOKEN}x`)).status).toBe(401);
    expect((await http.get('/metrics', ADMIN_TOKEN)).status).toBe(401); // not the admin credential
    const scraped = await http.get('/metrics', METRICS_TOKEN);
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('revocable_verifications_total');
  });
});
