import type { Socket } from 'node:net';
import type { Replica } from '@revocable/core';
import type { TokenVerifier } from '@revocable/core/fetch';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { BAD_PATH, handleEdgeError, sendEdgeError } from './answers.js';
import type { AssertionSigner } from './assertion.js';
import type { IntrospectionClients } from './client-auth.js';
import { EdgeError } from './errors.js';
import { EdgeGate } from './gate.js';
import { PathRules } from './path-rules.js';
import { type AssertionPlacement, type ProxyOptions, proxyRoutes } from './proxy.js';
import { forwardAuthRoutes } from './routes/forward-auth.js';
import { introspectionRoutes } from './routes/introspection.js';

/** Everything an edge app is made of; {@link startEdge} builds it from a service connection. */
export interface EdgeAppSettings {
  /** Verifies tokens, revocations included (a connection's `verifier`). */
  readonly verifier: TokenVerifier;
  /** The replica behind the verifier, for `/_revocable/health`. */
  readonly replica?: Pick<Replica, 'stats'>;
  /** The reverse proxy's upstream; without it, only the edge's own endpoints answer. */
  readonly upstream?: string;
  readonly rules?: PathRules;
  readonly signer?: AssertionSigner;
  readonly assertionIn?: AssertionPlacement;
  /** The clients allowed to introspect; none: the endpoint answers 404. */
  readonly introspectionClients?: IntrospectionClients;
  readonly realm?: string;
  readonly upstreamTimeoutMs?: number;
  /** Proxy WebSocket upgrades too (see {@link ProxyOptions.websocket}). Default false. */
  readonly websocket?: boolean;
  readonly logger?: FastifyServerOptions['logger'];
}

const SMUGGLING_ANSWER = JSON.stringify({
  error: 'ERR_BAD_REQUEST',
  message:
    'The request could not be parsed: conflicting or repeated Content-Length / Transfer-Encoding, or bad framing.',
});

/** A request Node's strict parser refused (request smuggling among them): 400, and the connection closed. */
function refuseUnparsable(_error: Error, socket: Socket): void {
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(SMUGGLING_ANSWER)}\r\n\r\n${SMUGGLING_ANSWER}`,
    );
  }
  socket.destroy();
}

/** A request as the log shows it: no query string (RFC 6750 allows `?access_token=`), no headers. */
function loggedRequest(request: { method: string; url: string; ip?: string }) {
  return { method: request.method, path: request.url.split('?', 1)[0], ip: request.ip };
}

/** The logger settings, with requests logged without their query strings. */
function withoutQueries(
  logger: FastifyServerOptions['logger'],
): Exclude<FastifyServerOptions['logger'], undefined> {
  if (logger === false || logger === undefined) return false;
  const base = logger === true ? {} : logger;
  return { ...base, serializers: { ...base.serializers, req: loggedRequest as never } };
}

/**
 * Builds the edge's HTTP app (not listening): the forward-auth endpoint, the introspection endpoint,
 * the assertion keys, the health check, and the reverse proxy when there is an upstream. Nothing under
 * `/_revocable/` is ever proxied.
 *
 * @example
 * ```ts
 * const app = await createEdgeApp({ verifier: connection.verifier, upstream: 'http://127.0.0.1:8080' });
 * await app.listen({ port: 8181, host: '127.0.0.1' });
 * ```
 */
export async function createEdgeApp(settings: EdgeAppSettings): Promise<FastifyInstance> {
  const app = Fastify({
    logger: withoutQueries(settings.logger ?? false),
    clientErrorHandler: refuseUnparsable,
    return503OnClosing: true,
    forceCloseConnections: true,
    // A URL Fastify cannot decode (`/%zz?access_token=…`) gets the edge's own 400, never Fastify's
    // answer, which echoes the URL, query string (and so a token) included.
    frameworkErrors: (_error, _request, reply) => sendEdgeError(reply, BAD_PATH()),
  });
  app.setErrorHandler(handleEdgeError);
  const gate = new EdgeGate({
    verifier: settings.verifier,
    rules: settings.rules ?? new PathRules(),
    ...(settings.realm !== undefined && { realm: settings.realm }),
  });
  await app.register(forwardAuthRoutes(gate, settings.signer));
  const clients = settings.introspectionClients;
  if (clients?.enabled) await app.register(introspectionRoutes(settings.verifier, clients));
  const signer = settings.signer;
  if (signer !== undefined) {
    app.get('/_revocable/jwks.json', async (_request, reply) => {
      reply.header('Cache-Control', 'public, max-age=300');
      return signer.jwks();
    });
  }
  app.get('/_revocable/health', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
    const stats = settings.replica?.stats();
    if (stats?.stale) {
      return reply.status(503).send({
        error: 'ERR_REVOCATION_STALE',
        message: `No news from the revocation feed for ${stats.stalenessMs} ms: tokens are refused until it is back.`,
      });
    }
    return { status: 'ok', ...(stats && { last_seq: stats.lastSeq, staleness_ms: stats.stalenessMs }) };
  });
  app.all('/_revocable/*', async (_request, reply) =>
    sendEdgeError(reply, new EdgeError('ERR_NOT_FOUND', 'No such edge endpoint.')),
  );
  if (settings.upstream !== undefined) {
    await app.register(
      proxyRoutes({
        upstream: settings.upstream,
        gate,
        ...(settings.signer !== undefined && { signer: settings.signer }),
        ...(settings.assertionIn !== undefined && { assertionIn: settings.assertionIn }),
        ...(settings.upstreamTimeoutMs !== undefined && { timeoutMs: settings.upstreamTimeoutMs }),
        ...(settings.websocket !== undefined && { websocket: settings.websocket }),
      }),
    );
  } else {
    app.setNotFoundHandler(async (_request, reply) =>
      sendEdgeError(
        reply,
        new EdgeError(
          'ERR_NOT_FOUND',
          'This edge has no upstream (--upstream): only /_revocable/ endpoints.',
        ),
      ),
    );
  }
  return app;
}
