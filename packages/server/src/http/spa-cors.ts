import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** The routes a single-page app on another origin calls with its bearer token. */
const CROSS_ORIGIN_PATHS = new Set(['/auth/logout', '/auth/logout-all']);

/**
 * CORS for `--spa-origins`: an SPA signed in at Entra ID, Auth0 or Keycloak calls `/auth/logout` and
 * `/auth/logout-all` from its own origin with `Authorization: Bearer`. Only those two routes, only
 * `POST`, only the listed origins, and never credentials (no cookies across origins: the bearer token
 * is the credential). Nothing is registered without origins.
 *
 * @example
 * ```ts
 * await registerSpaCors(app, ['https://app.example.com']);
 * ```
 */
export async function registerSpaCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (request, callback) => {
      const path = request.url.split('?')[0] ?? '';
      if (!CROSS_ORIGIN_PATHS.has(path)) return callback(null, { origin: false });
      callback(null, {
        origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
        methods: ['POST'],
        allowedHeaders: ['Authorization', 'Content-Type'],
        credentials: false,
        maxAge: 600,
        strictPreflight: true,
      });
    },
  });
}
