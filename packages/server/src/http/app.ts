import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { adminRoutes } from '../routes/admin.js';
import { authRoutes } from '../routes/auth.js';
import { backchannelRoutes } from '../routes/backchannel.js';
import { feedRoutes } from '../routes/feed.js';
import { oauthRoutes } from '../routes/oauth.js';
import { opsRoutes } from '../routes/ops.js';
import { pageRoutes } from '../routes/pages.js';
import { sharedSignalsRoutes } from '../routes/shared-signals.js';
import { wellKnownRoutes } from '../routes/well-known.js';
import type { Runtime } from '../runtime.js';
import { statusListRoutes } from '../status-list/status-list-route.js';
import { BODY_LIMIT } from './body-limit.js';
import { installErrorHandling } from './error-handler.js';
import { COMPONENTS, errorAnswers, frameworkErrors, SECURITY_SCHEMES } from './openapi-schemas.js';
import { registerSpaCors } from './spa-cors.js';
import { schemaValidators } from './validation.js';
import { plainJsonSerializer } from './wire-schemas.js';

/**
 * How {@link buildApp} logs.
 *
 * @example
 * ```ts
 * const app = await buildApp(runtime, { logStream: process.stderr });
 * ```
 */
export interface AppOptions {
  /** `false`: no request log at all. Default: pino JSON at the configured level. */
  readonly logger?: boolean;
  /** Where the JSON log lines go. Default: standard output. */
  readonly logStream?: { write(line: string): unknown };
}

/**
 * Builds the Fastify app of `revocable serve` on a runtime. Logs are pino JSON; a request is logged by
 * method, path (never the query string) and status: no header, body, token or secret is ever logged.
 *
 * @example
 * ```ts
 * const app = await buildApp(await openRuntime(config));
 * await app.listen({ port: 3000 });
 * ```
 */
export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const { requestTimeoutMs, connectionTimeoutMs } = runtime.config;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // A client must send its whole request within requestTimeout (408, then the socket is closed: a
    // slowloris holds nothing for long); a connection silent both ways for connectionTimeout is closed.
    // Node enforces requestTimeout on a body only when headersTimeout is not longer, and checks both on
    // an interval (30 s by default): at most a quarter of the timeout here.
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    keepAliveTimeout: 72_000,
    http: {
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(requestTimeoutMs / 4))),
    },
    // Only the configured proxies' X-Forwarded-For counts (a copy: Fastify wants a mutable array).
    trustProxy: runtime.config.trustProxy && [...runtime.config.trustProxy],
    logger:
      options.logger === false
        ? false
        : {
            level: runtime.config.logLevel,
            ...(options.logStream !== undefined && { stream: options.logStream }),
            serializers: {
              req: (req) => ({ method: req.method, path: String(req.url).split('?')[0] }),
              res: (res) => ({ status: res.statusCode }),
            },
          },
    // A URL that cannot be decoded (`/%zz`) gets the same JSON error shape as every other bad request.
    frameworkErrors: (error, _request, generic) => {
      const reply = generic as unknown as FastifyReply;
      reply.header('Cache-Control', 'no-store').header('X-Content-Type-Options', 'nosniff');
      const message =
        error.code === 'FST_ERR_BAD_URL' ? 'The URL cannot be decoded.' : 'The request cannot be routed.';
      return reply.status(400).send({ error: 'ERR_BAD_REQUEST', message });
    },
  });
  app.decorateRequest('auth', null);
  // JSON bodies are validated as sent (no coercion); query strings and params are read from text.
  app.setValidatorCompiler(schemaValidators());
  // Response schemas document the answers and never filter them: Fastify's default serializer would
  // drop in silence any member a schema does not list. The HTTP suites check each answer against them.
  app.setSerializerCompiler(plainJsonSerializer);
  documentFrameworkErrors(app);
  // Every answer, JSON and errors included, like the pages: no browser may sniff another type into it.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
  });
  // JSON everywhere (forms only inside the /oauth/* routes): a text/plain body is answered 415, not parsed.
  app.removeContentTypeParser('text/plain');
  // An empty body sent as JSON (fetch with a content type and no body, for a logout) means "no body",
  // not a JSON syntax error; anything else goes through Fastify's own parser (prototype-poisoning
  // protection included).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') return done(null, undefined);
    return parseJson(request, text, done);
  });
  installErrorHandling(app);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Revocable',
        version: '0.1.0',
        description:
          'JWT sessions you can end. Members are snake_case with RFC 3339 times, except the revocation feed (/revocations, /revocations/stream), which keeps the log\'s own form (camelCase, epoch milliseconds). Errors are `{"error": "ERR_…", "message"}` (the Error schema); /oauth/* answer RFC 6749 errors (OAuthError).',
      },
      servers: [{ url: runtime.config.issuer }],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Schemas added with app.addSchema are named by their $id in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await registerSpaCors(app, runtime.config.spaOrigins);
  authRoutes(app, runtime);
  oauthRoutes(app, runtime);
  backchannelRoutes(app, runtime);
  wellKnownRoutes(app, runtime);
  feedRoutes(app, runtime);
  adminRoutes(app, runtime);
  opsRoutes(app, runtime);
  if (runtime.statusList !== undefined) statusListRoutes(app, runtime.statusList);
  pageRoutes(app);
  sharedSignalsRoutes(app, runtime);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

/**
 * The named schemas, and the errors the framework answers on any route (500; 400, 413 and 415 where a
 * body is read) added to every documented route's responses unless the route declares them itself.
 */
function documentFrameworkErrors(app: FastifyInstance): void {
  for (const [name, schema] of Object.entries(COMPONENTS)) app.addSchema({ $id: name, ...schema });
  app.addHook('onRoute', (route) => {
    const schema = route.schema as
      | { hide?: boolean; summary?: string; response?: Record<string, { description?: string }> }
      | undefined;
    if (schema?.response === undefined || schema.hide === true) return;
    const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
    // An answer without a description of its own is described by the operation's summary.
    const described = Object.entries(schema.response).map(([status, answer]) => [
      status,
      answer.description === undefined ? { description: schema.summary, ...answer } : answer,
    ]);
    route.schema = {
      ...schema,
      response: { ...errorAnswers(...frameworkErrors(method)), ...Object.fromEntries(described) },
    };
  });
}
