// The connected API against the real service: a token the service issued is served, a logout at the
// service is refused by the API within a bound, and the API's own logout ends the session at the
// service (no refresh after it, the service's own API refuses the token too).
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  BACKENDS,
  CLIENT,
  Http,
  startService,
} from '../../packages/server/test/support/service.js';
import { type ConnectedApi, startConnectedApi } from './api.js';

/** How long a revocation may take to reach the API over the feed (it takes milliseconds). */
const BOUND_MS = 2_000;

const backend = BACKENDS[0]!; // SQLite: the story is about the API; the service's suites cover storage
let service: RunningService;
let http: Http;
let api: ConnectedApi;

beforeAll(async () => {
  service = await startService(await backend.fresh());
  http = new Http(service.url);
  api = await startConnectedApi({
    service: service.runtime.config.issuer,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    port: 0,
  });
});
afterAll(async () => {
  await api?.close();
  await service?.close();
  await backend.cleanup();
});

const orders = (token: string) =>
  fetch(`${api.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
const postApi = (path: string, token: string) =>
  fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

/** The API's answer once it refuses `token`, polled up to the bound; and how long that took. */
async function refusedWithin(
  token: string,
): Promise<{ status: number; body: { error?: string }; ms: number }> {
  const started = Date.now();
  let answer = await orders(token);
  while (answer.status === 200 && Date.now() - started < BOUND_MS) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    answer = await orders(token);
  }
  return {
    status: answer.status,
    body: (await answer.json()) as { error?: string },
    ms: Date.now() - started,
  };
}

const refreshes = async (refreshToken: string) =>
  (await http.post('/auth/refresh', { refresh_token: refreshToken })).status === 200;

describe('examples/connected-api, following a running service', () => {
  it('takes the audience and lifetime policy the service publishes', () => {
    expect(api.connection.issuer).toBe(service.runtime.config.issuer);
    expect(api.connection.metadata.audience).toBe(service.runtime.config.audience);
    expect(api.connection.replica.policy).toEqual(service.runtime.config.revocationPolicy);
  });

  it('refuses a request without a token', async () => {
    const answer = await fetch(`${api.url}/orders`);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: 'ERR_TOKEN_MISSING' });
  });

  it("serves the service's token, and refuses it once the user logs out at the service", async () => {
    const { access_token: token } = await http.registerAndLogin('ada');
    const before = await orders(token);
    expect(before.status).toBe(200);
    expect(await before.json()).toMatchObject({ orders: [] });

    expect((await http.post('/auth/logout', undefined, token)).status).toBe(204);
    const after = await refusedWithin(token);
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
    expect(after.ms).toBeLessThan(BOUND_MS);
  });

  it("the API's own logout ends the session at the service", async () => {
    const tokens = await http.registerAndLogin('grace');
    expect((await orders(tokens.access_token)).status).toBe(200);
    expect((await http.get('/api/me', tokens.access_token)).status).toBe(200);

    expect((await postApi('/logout', tokens.access_token)).status).toBe(204);

    // At the service: the stored session ended (no refresh), its own API refuses the token.
    expect(await refreshes(tokens.refresh_token)).toBe(false);
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    // At the API, through the feed.
    expect((await refusedWithin(tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    // Recorded as the API's client did it.
    const trail = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
    expect(trail.body.events.at(-1)).toMatchObject({
      rule: { kind: 'session', sid: tokens.session_id },
      reason: 'logout',
      actor: `client:${CLIENT.id}`,
    });
  });

  it("the API's logout-all ends every session of the user at the service", async () => {
    const first = await http.registerAndLogin('hopper');
    const second = await http.login('hopper');
    expect((await postApi('/logout-all', first.access_token)).status).toBe(204);
    for (const tokens of [first, second]) {
      expect(await refreshes(tokens.refresh_token)).toBe(false);
      expect((await refusedWithin(tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    }
  });
});

describe('examples/connected-api, started as its README says', () => {
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const script = fileURLToPath(new URL('./api.ts', import.meta.url));

  /** Starts the example as a process; `output` resolves once it listens, or with all it said when it exits. */
  function run(env: Record<string, string>): { child: ChildProcess; output: Promise<string> } {
    const child = spawn(process.execPath, [tsx, '--conditions=source', script], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = new Promise<string>((resolve) => {
      let text = '';
      const heard = (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('listening on')) resolve(text);
      };
      child.stdout!.on('data', heard);
      child.stderr!.on('data', heard);
      child.once('exit', () => resolve(text));
    });
    return { child, output };
  }

  it('listens on PORT, following the service at REVOCABLE_URL', { timeout: 30_000 }, async () => {
    const { child, output } = run({
      PORT: '0',
      REVOCABLE_URL: service.runtime.config.issuer,
      REVOCABLE_CLIENT_ID: CLIENT.id,
      REVOCABLE_CLIENT_SECRET: CLIENT.secret,
    });
    try {
      const text = await output;
      const url = /listening on (http:\/\/\S+),/.exec(text)?.[1];
      expect(url, text).toBeDefined();
      expect((await fetch(`${url}/orders`)).status).toBe(401);
    } finally {
      child.kill();
    }
  });

  it('says how to get a secret when REVOCABLE_CLIENT_SECRET is not set', { timeout: 30_000 }, async () => {
    const { output } = run({ PORT: '0', REVOCABLE_CLIENT_SECRET: '' });
    expect(await output).toContain('npx revocable client add orders-api');
  });

  it('defaults to port 4000, never the service port 3000', async () => {
    const source = await import('node:fs').then((fs) => fs.readFileSync(script, 'utf8'));
    expect(source).toContain("process.env['PORT'] ?? 4000");
    expect(source).not.toMatch(/PORT'\] \?\? 3000/);
  });
});
