import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const PUBLIC = new URL('../../public/', import.meta.url);
/**
 * The compiled browser SDK. `src/routes` and `dist/routes` sit at the same depth, and in both the
 * monorepo (`packages/server`, `packages/client`) and an install (`node_modules/@revocable/server`,
 * `node_modules/@revocable/client`) the client is a sibling of the server.
 */
const CLIENT_DIST = new URL('../../../client/dist/', import.meta.url);

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

const PAGES: Record<string, { file: string; type: string }> = {
  '/demo': { file: 'demo.html', type: HTML },
  '/console': { file: 'console.html', type: HTML },
  '/assets/demo.js': { file: 'demo.js', type: JS },
  '/assets/demo.worker.js': { file: 'demo.worker.js', type: JS },
  '/assets/console.js': { file: 'console.js', type: JS },
  '/assets/console.feed.js': { file: 'console.feed.js', type: JS },
  '/assets/console.charts.js': { file: 'console.charts.js', type: JS },
  '/assets/console.views.js': { file: 'console.views.js', type: JS },
  '/assets/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Module files of the compiled client: flat names only, so no path can leave its folder. */
const CLIENT_FILE = /^[a-z0-9-]+\.js(\.map)?$/;

function secured(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
    )
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer');
}

/**
 * The demo and console pages: static files, no build step, a strict Content-Security-Policy. The
 * pages import `@revocable/client` as ES modules from `/assets/client/` (its compiled `dist`, which
 * `npm run build` — and so `npm start` — produces); without it they answer 503 saying so.
 *
 * @example
 * ```ts
 * pageRoutes(app); // GET /demo, /console, /assets/*, /assets/client/index.js
 * ```
 */
export function pageRoutes(app: FastifyInstance, options: { clientDist?: URL } = {}): void {
  const clientDist = options.clientDist ?? CLIENT_DIST;
  for (const [path, page] of Object.entries(PAGES)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => {
      const body = await readFile(fileURLToPath(new URL(page.file, PUBLIC)), 'utf8');
      return secured(reply, page.type).send(body);
    });
  }

  app.get<{ Params: { file: string } }>(
    '/assets/client/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const { file } = request.params;
      if (!CLIENT_FILE.test(file))
        return reply.status(404).send({ error: 'ERR_NOT_FOUND', message: 'No such resource.' });
      let body: string;
      try {
        body = await readFile(fileURLToPath(new URL(file, clientDist)), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (file !== 'index.js')
          return reply.status(404).send({ error: 'ERR_NOT_FOUND', message: 'No such resource.' });
        return secured(reply.status(503), 'text/plain; charset=utf-8')
          .header('Cache-Control', 'no-store')
          .send(
            'The browser client (@revocable/client) is not built. Run `npm run build` ' +
              '(it compiles packages/client to packages/client/dist), then reload this page.\n',
          );
      }
      return secured(reply, file.endsWith('.map') ? 'application/json; charset=utf-8' : JS)
        .header('Cache-Control', 'no-cache')
        .send(body);
    },
  );

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/demo'));
}
