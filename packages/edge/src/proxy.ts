import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import proxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BAD_PATH, sendEdgeError, sendRefusal } from './answers.js';
import type { AssertionSigner } from './assertion.js';
import { EdgeError } from './errors.js';
import type { EdgeGate } from './gate.js';
import { IDENTITY_HEADERS, identityHeaders, withoutIdentityHeaders } from './identity.js';

/** Where the verified identity goes besides the `X-Revocable-*` headers. */
export type AssertionPlacement = 'header' | 'authorization';

/** Options of the reverse proxy. */
export interface ProxyOptions {
  /** The upstream's origin, `http://127.0.0.1:8080`. */
  readonly upstream: string;
  readonly gate: EdgeGate;
  /** Signs the assertion JWT; without it, only the identity headers are sent. */
  readonly signer?: AssertionSigner;
  /** `header`: `X-Revocable-Assertion`; `authorization`: replaces the client's token with it. Default `header`. */
  readonly assertionIn?: AssertionPlacement;
  /** Abort an upstream request that sends no headers (or no body data) for this long, ms. Default 30,000. */
  readonly timeoutMs?: number;
  /**
   * Proxy WebSocket upgrades (after the same gate). Off by default: with an upgrade listener, Node hands
   * every `Upgrade:` request to it, and clients that offer `Upgrade: h2c` on plain HTTP (Java's
   * `HttpClient` by default) would be refused; with it on, such requests get 400.
   */
  readonly websocket?: boolean;
}

const ERRORS: Readonly<Record<number, () => EdgeError>> = {
  504: () => new EdgeError('ERR_UPSTREAM_TIMEOUT', 'The upstream did not answer in time.'),
};

function upstreamError(status: number | undefined): EdgeError {
  return (
    ERRORS[status ?? 0]?.() ??
    new EdgeError('ERR_UPSTREAM_UNAVAILABLE', 'The upstream could not be reached or broke off its answer.')
  );
}

/**
 * The reverse proxy (`--upstream`), on `@fastify/http-proxy` (`@fastify/reply-from` on undici:
 * streamed bodies, keep-alive, hop-by-hop headers, WebSocket upgrades, timeouts). Every request
 * first passes the {@link EdgeGate}; the upstream gets it without any client-sent `X-Revocable-*`
 * header, and, when the token passed, with the identity headers and the assertion JWT.
 *
 * @example
 * ```ts
 * await app.register(proxyRoutes({ upstream: 'http://127.0.0.1:8080', gate }));
 * ```
 */
export function proxyRoutes(options: ProxyOptions) {
  const { gate, signer, assertionIn = 'header', timeoutMs = 30_000, websocket = false } = options;
  const identities = new WeakMap<object, Record<string, string>>();

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const verdict = await gate.decide(request.method, request.url, request.headers.authorization);
    switch (verdict.kind) {
      case 'bad-path':
        return sendEdgeError(reply, BAD_PATH());
      case 'refused':
        return sendRefusal(reply, verdict.failure);
      case 'public':
        return;
      case 'allowed': {
        const headers = { ...identityHeaders(verdict.auth) };
        if (signer !== undefined) {
          const assertion = await signer.assertionFor(verdict.auth, verdict.token);
          if (assertionIn === 'authorization') headers['authorization'] = `Bearer ${assertion}`;
          else headers[IDENTITY_HEADERS.assertion] = assertion;
        }
        identities.set(request.raw, headers);
      }
    }
  };

  const forwarded = <H extends IncomingHttpHeaders>(request: { raw: object }, headers: H): H => {
    const next = { ...withoutIdentityHeaders(headers), ...identities.get(request.raw) } as H;
    // Proxy-Authorization is for the first proxy, which is the edge: never the upstream's.
    delete (next as IncomingHttpHeaders)['proxy-authorization'];
    return next;
  };

  return async (app: FastifyInstance) => {
    const common: FastifyHttpProxyOptions = {
      upstream: options.upstream,
      preHandler,
      undici: { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connections: 128, pipelining: 1 },
      replyOptions: {
        rewriteRequestHeaders: forwarded,
        onError: (reply, { error }) => {
          reply.log.warn({ err: error }, 'upstream failed');
          sendEdgeError(reply as FastifyReply, upstreamError((error as { statusCode?: number }).statusCode));
        },
      },
    };
    if (!websocket) {
      await app.register(proxy, common);
      return;
    }
    await app.register(proxy, {
      ...common,
      websocket: true,
      wsClientOptions: {
        rewriteRequestHeaders: (_headers: unknown, request: FastifyRequest) => ({
          ...(request.headers.authorization !== undefined && {
            authorization: request.headers.authorization,
          }),
          ...identities.get(request.raw),
        }),
      } as never,
    });
    onlyWebSocketUpgrades(app);
  };
}

/**
 * Lets only `Upgrade: websocket` through to the WebSocket proxy; any other upgrade (h2c) gets 400.
 * Upgraded sockets are destroyed when the edge closes: they would hold its shutdown open.
 */
function onlyWebSocketUpgrades(app: FastifyInstance): void {
  const upgraded = new Set<Duplex>();
  app.addHook('onReady', async () => {
    const server = app.server;
    const listeners = server.listeners('upgrade') as ((...args: unknown[]) => void)[];
    server.removeAllListeners('upgrade');
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (String(request.headers.upgrade).toLowerCase() === 'websocket') {
        upgraded.add(socket);
        socket.once('close', () => upgraded.delete(socket));
        for (const listener of listeners) listener.call(server, request, socket, head);
        return;
      }
      const body = JSON.stringify({
        error: 'ERR_BAD_REQUEST',
        message: 'Only WebSocket upgrades are taken here: send the request as plain HTTP/1.1.',
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
  });
  app.addHook('preClose', async () => {
    for (const socket of upgraded) socket.destroy();
  });
}
