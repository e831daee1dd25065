import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const root = fileURLToPath(new URL('../..', import.meta.url));

// Starts the example exactly as its README says (with PORT=0 for a free port).
function start(server: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [tsx, '--conditions=source', server], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`the example exited with ${code}`)));
  });
}

/**
 * The story every "orders API" example must tell, run against the example started exactly as its
 * README says: a demo token is accepted, a stranger refused, logout ends the session at once, and a
 * missing scope answers 403.
 */
export function describeOrdersApiExample(name: string, server: string): void {
  describe(name, () => {
    let api: { child: ChildProcess; url: string };
    beforeAll(async () => {
      api = await start(server);
    });
    afterAll(() => {
      api?.child.kill();
    });

    const call = (method: string, path: string, token?: string, body?: unknown) =>
      fetch(`${api.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });

    it('serves a demo token holder, refuses a stranger, and ends the session on logout', async () => {
      const minted = await call('POST', '/demo/token', undefined, { sub: 'alice' });
      const { access_token: token } = (await minted.json()) as { access_token: string };

      const me = await call('GET', '/me', token);
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ sub: 'alice', aud: 'orders-api', scope: 'orders:read' });
      expect((await call('GET', '/orders', token)).status).toBe(200);

      const stranger = await call('GET', '/me');
      expect(stranger.status).toBe(401);
      expect(stranger.headers.get('www-authenticate')).toBe('Bearer realm="orders-api"');

      expect((await call('POST', '/logout', token)).status).toBe(204);
      const after = await call('GET', '/me', token);
      expect(after.status).toBe(401);
      expect(await after.json()).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
      expect(after.headers.get('www-authenticate')).toContain('error_description="ERR_TOKEN_REVOKED');
    });

    it('answers 403 insufficient_scope for a token without orders:read', async () => {
      const minted = await call('POST', '/demo/token', undefined, { sub: 'bob', scope: 'profile' });
      const { access_token: token } = (await minted.json()) as { access_token: string };
      const orders = await call('GET', '/orders', token);
      expect(orders.status).toBe(403);
      expect(await orders.json()).toMatchObject({ error: 'ERR_INSUFFICIENT_SCOPE' });
    });
  });
}
