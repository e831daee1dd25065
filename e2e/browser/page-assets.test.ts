import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { pageRoutes } from '../../packages/server/src/routes/pages.js';
import { ensureClientBuilt, ROOT } from './support/browser.js';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'";

describe('the page assets', () => {
  it('answers 503 with what to run when the browser client is not built', async () => {
    const app = Fastify();
    pageRoutes(app, { clientDist: new URL('file:///nonexistent/revocable-client-dist/') });
    const missing = await app.inject({ method: 'GET', url: '/assets/client/index.js' });
    expect(missing.statusCode).toBe(503);
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(missing.body).toContain('run `npm run build`');
    expect(missing.body).toContain('install @revocable/client');
    expect(missing.headers['content-security-policy']).toBe(CSP);
    expect((await app.inject({ method: 'GET', url: '/assets/client/other.js' })).statusCode).toBe(404);
    await app.close();
  });

  it('serves the pages and their scripts under the strict CSP', async () => {
    const app = Fastify();
    pageRoutes(app);
    for (const url of [
      '/demo',
      '/console',
      '/assets/demo.js',
      '/assets/demo.worker.js',
      '/assets/console.feed.js',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-security-policy'], url).toBe(CSP);
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
    }
    await app.close();
  });

  it('serves only flat module names from the client folder', async () => {
    const app = Fastify();
    pageRoutes(app);
    for (const url of [
      '/assets/client/..%2F..%2Fpackage.json',
      '/assets/client/index.d.ts',
      '/assets/client/Index.js',
    ]) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
    await app.close();
  });

  it('finds the client through module resolution when it is not a sibling of the server (a global npm install)', async () => {
    // `npm install -g @revocable/server` nests its dependencies: lib/node_modules/@revocable/server/node_modules/@revocable/client.
    const prefix = mkdtempSync(join(tmpdir(), 'revocable-install-'));
    try {
      const server = join(prefix, 'lib', 'node_modules', '@revocable', 'server');
      const client = join(server, 'node_modules', '@revocable', 'client');
      mkdirSync(join(server, 'src', 'routes'), { recursive: true });
      mkdirSync(join(client, 'dist'), { recursive: true });
      copyFileSync(join(ROOT, 'packages/server/src/routes/pages.ts'), join(server, 'src/routes/pages.ts'));
      writeFileSync(
        join(server, 'package.json'),
        JSON.stringify({ name: '@revocable/server', type: 'module' }),
      );
      writeFileSync(
        join(client, 'package.json'),
        JSON.stringify({
          name: '@revocable/client',
          type: 'module',
          exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
        }),
      );
      writeFileSync(join(client, 'dist', 'index.js'), 'export const installed = "nested";\n');
      const installed = (await import(
        /* @vite-ignore */ pathToFileURL(join(server, 'src/routes/pages.ts')).href
      )) as typeof import('../../packages/server/src/routes/pages.js');

      const app = Fastify();
      installed.pageRoutes(app);
      const response = await app.inject({ method: 'GET', url: '/assets/client/index.js' });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('export const installed = "nested";\n');
      await app.close();
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  it('finds the client of this monorepo (packages/client/dist)', async () => {
    await ensureClientBuilt();
    const app = Fastify();
    pageRoutes(app);
    const response = await app.inject({ method: 'GET', url: '/assets/client/index.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(readFileSync(join(ROOT, 'packages/client/dist/index.js'), 'utf8'));
    await app.close();
  });
});
