import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const PUBLIC = new URL('../../public/', import.meta.url);
/** The workspace layout (`packages/server`, `packages/client`): the last resort when resolution finds nothing. */
const WORKSPACE_CLIENT_DIST = new URL('../../../client/dist/', import.meta.url);

/**
 * Where the compiled browser SDK is, found the way Node finds `@revocable/client` from this module:
 * `import.meta.resolve` (Node), else the `node_modules` folders `require` would search (vitest has no
 * `import.meta.resolve`), else the workspace layout. The client's entry is `dist/index.js`, or
 * `src/index.ts` under the `source` condition: `../dist/` from either is the compiled folder.
 *
 * @example
 * ```ts
 * locateClientDist(); // e.g. file:///usr/lib/node_modules/@revocable/server/node_modules/@revocable/client/dist/
 * ```
 */
export function locateClientDist(): URL {
  try {
    const entry = import.meta.resolve?.('@revocable/client');
    if (entry?.startsWith('file:')) return new URL('../dist/', entry);
  } catch {
    // Not resolvable here (for example its dist is not built yet): look for the package folder itself.
  }
  const search = createRequire(import.meta.url).resolve.paths('@revocable/client') ?? [];
  for (const folder of search) {
    const root = join(folder, '@revocable', 'client');
    if (existsSync(join(root, 'package.json'))) return pathToFileURL(join(root, 'dist', sep));
  }
  return WORKSPACE_CLIENT_DIST;
}

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
 * pages import `@revocable/client` as ES modules from `/assets/client/`: its compiled `dist`, found by
 * {@link locateClientDist} (in this monorepo `npm run build`, and so `npm start`, produces it);
 * without it they answer 503 saying so.
 *
 * @example
 * ```ts
 * pageRoutes(app); // GET /demo, /console, /assets/*, /assets/client/index.js
 * ```
 */
export function pageRoutes(app: FastifyInstance, options: { clientDist?: URL } = {}): void {
  const clientDist = options.clientDist ?? locateClientDist();
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
            'The browser client (@revocable/client) is not built or not installed. In the Revocable ' +
              'repository, run `npm run build` (it compiles packages/client to packages/client/dist); ' +
              'elsewhere, install @revocable/client next to @revocable/server. Then reload this page.\n',
          );
      }
      return secured(reply, file.endsWith('.map') ? 'application/json; charset=utf-8' : JS)
        .header('Cache-Control', 'no-cache')
        .send(body);
    },
  );

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/demo'));
}
