import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BAD_PATH, sendEdgeError, sendRefusal } from '../answers.js';
import type { AssertionSigner } from '../assertion.js';
import { EdgeError } from '../errors.js';
import type { EdgeGate } from '../gate.js';
import { IDENTITY_HEADERS, identityHeaders } from '../identity.js';

/** Where the forward-auth endpoint is; Envoy's `path_prefix` is this, the original path follows. */
export const FORWARD_AUTH_PATH = '/_revocable/auth';

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The original request the proxy asks about: `X-Forwarded-Method`/`-Uri` (Traefik, Caddy, and nginx
 * as the recipe sets them), `X-Original-Method`/`-URI` (nginx's usual names), or, for Envoy's
 * `ext_authz` with `path_prefix`, the path after {@link FORWARD_AUTH_PATH} with the request's method.
 */
function originalRequest(
  request: FastifyRequest,
): { method: string; target: string } | 'conflict' | undefined {
  const { headers } = request;
  const forwarded = single(headers['x-forwarded-uri']);
  const original = single(headers['x-original-uri']);
  // nginx's auth_request passes the client's own headers on: behind a proxy that sets one pair, a
  // client could send the other. Two URIs that disagree are refused; the method comes from the same
  // pair as the URI, never mixed.
  if (forwarded !== undefined && original !== undefined && forwarded !== original) return 'conflict';
  if (forwarded !== undefined) {
    return { method: single(headers['x-forwarded-method']) ?? request.method, target: forwarded };
  }
  if (original !== undefined) {
    return { method: single(headers['x-original-method']) ?? request.method, target: original };
  }
  const rest = request.url.slice(FORWARD_AUTH_PATH.length);
  return rest.startsWith('/') ? { method: request.method, target: rest } : undefined;
}

const UNKNOWN_URI = () =>
  new EdgeError(
    'ERR_BAD_REQUEST',
    `The original request is unknown: the proxy must send X-Forwarded-Uri and X-Forwarded-Method (or X-Original-URI and X-Original-Method), or call ${FORWARD_AUTH_PATH}<original path> (Envoy's path_prefix).`,
  );

const CONFLICTING_URI = () =>
  new EdgeError(
    'ERR_BAD_REQUEST',
    'X-Forwarded-Uri and X-Original-URI name different requests: the proxy must set one pair, and drop what the client sent.',
  );

/**
 * The forward-auth endpoint (`/_revocable/auth`, any method, and below it for Envoy): 200 with the
 * identity in response headers when the original request may pass, the RFC 6750 401/403 (with
 * `WWW-Authenticate`) when not, 503 when the revocation state is stale, 400 when the original URI is
 * unknown or not canonical. Request bodies are drained, never read.
 *
 * @example
 * ```ts
 * await app.register(forwardAuthRoutes(gate, signer));
 * ```
 */
export function forwardAuthRoutes(gate: EdgeGate, signer: AssertionSigner | undefined) {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, payload, done) => {
      payload.on('end', () => done(null));
      payload.on('error', done);
      payload.resume();
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.header('Cache-Control', 'no-store');
      const original = originalRequest(request);
      if (original === undefined) return sendEdgeError(reply, UNKNOWN_URI());
      if (original === 'conflict') return sendEdgeError(reply, CONFLICTING_URI());
      const verdict = await gate.decide(original.method, original.target, request.headers.authorization);
      switch (verdict.kind) {
        case 'bad-path':
          return sendEdgeError(reply, BAD_PATH());
        case 'refused':
          return sendRefusal(reply, verdict.failure);
        case 'public':
          // Empty, not absent: a proxy that copies them (Caddy 2.6's copy_headers) then overwrites
          // what the client sent instead of leaving it, or a placeholder, in place.
          for (const name of Object.values(IDENTITY_HEADERS)) reply.header(name, '');
          return reply.status(200).send();
        case 'allowed': {
          reply.headers(identityHeaders(verdict.auth));
          if (signer !== undefined) {
            reply.header(IDENTITY_HEADERS.assertion, await signer.assertionFor(verdict.auth, verdict.token));
          }
          return reply.status(200).send();
        }
      }
    };
    app.all(FORWARD_AUTH_PATH, handler);
    app.all(`${FORWARD_AUTH_PATH}/*`, handler);
  };
}
