import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { pageRoutes } from '../../packages/server/src/routes/pages.js';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'";

describe('the page assets', () => {
  it('answers 503 with what to run when the browser client is not built', async () => {
    const app = Fastify();
    pageRoutes(app, { clientDist: new URL('file:///nonexistent/revocable-client-dist/') });
    const missing = await app.inject({ method: 'GET', url: '/assets/client/index.js' });
    expect(missing.statusCode).toBe(503);
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(missing.body).toContain('Run `npm run build`');
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
});
