import { grantedScopes, RevocableError, type VerifiedToken } from '@revocable/core';
import type { TokenVerifier } from '@revocable/core/fetch';
import type { FastifyInstance } from 'fastify';
import type { IntrospectionClients } from '../client-auth.js';
import { EdgeError } from '../errors.js';

/** Where the edge answers RFC 7662 introspection. */
export const INTROSPECTION_PATH = '/_revocable/introspect';

const FORM = 'application/x-www-form-urlencoded';
const MAX_FORM_BYTES = 64 * 1024;

// Failures the async verify may still turn around: an unknown key (refetch), a stale replica (introspect).
const RETRY_ASYNC = new Set(['ERR_KEY_UNKNOWN', 'ERR_REVOCATION_STALE']);

// Not about the token: the edge cannot decide now, and says so (503) rather than "inactive".
const UNDECIDABLE = new Set(['ERR_REVOCATION_STALE', 'ERR_JWKS_UNAVAILABLE', 'ERR_LOG_UNAVAILABLE']);

/**
 * The RFC 7662 answer for an active token, with what Spring Security's opaque-token introspector
 * reads: `active`, `scope` (space-separated; Entra's `scp` counts), `sub`, `client_id`, `exp`, `iat`,
 * `nbf`, `iss`, `aud`, `token_type` (`Bearer`, RFC 6749 §7.1), and the token's other claims.
 *
 * @example
 * ```ts
 * activeAnswer(verified); // { active: true, scope: 'orders:read', sub: 'alice', token_type: 'Bearer', … }
 * ```
 */
export function activeAnswer(auth: VerifiedToken): Record<string, unknown> {
  const { claims } = auth;
  // The fixed members last: no claim may stand in for them.
  return {
    ...claims,
    scope: [...grantedScopes(claims)].join(' '),
    active: true,
    token_type: 'Bearer',
  };
}

/**
 * `POST /_revocable/introspect`: RFC 7662 with HTTP Basic client authentication, answered from the
 * local replica (no call to the issuer). `{"active": false}` for any token that is not usable,
 * 401 `invalid_client` for bad client credentials, 503 when the revocation state is stale.
 *
 * @example
 * ```ts
 * await app.register(introspectionRoutes(verifier, clients));
 * ```
 */
export function introspectionRoutes(verifier: TokenVerifier, clients: IntrospectionClients) {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_r, body, done) =>
      done(null, new URLSearchParams(body as string)),
    );
    app.post(INTROSPECTION_PATH, async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      try {
        clients.authenticate(request.headers.authorization);
      } catch (err) {
        if (!(err instanceof EdgeError)) throw err;
        return reply
          .status(401)
          .header('WWW-Authenticate', 'Basic realm="revocable-edge"')
          .send({ error: 'invalid_client', error_description: err.message, code: err.code });
      }
      if (!(request.body instanceof URLSearchParams)) {
        throw new EdgeError('ERR_UNSUPPORTED_MEDIA_TYPE', `Introspection takes a ${FORM} form.`);
      }
      const token = request.body.get('token');
      if (token === null || token.length === 0) return { active: false };
      try {
        // Synchronous when the keys are known and the replica fresh (the usual case); else the async path.
        if (verifier.verifySync !== undefined) {
          try {
            return activeAnswer(verifier.verifySync(token));
          } catch (err) {
            if (!(err instanceof RevocableError) || !RETRY_ASYNC.has(err.code)) throw err;
          }
        }
        return activeAnswer(await verifier.verify(token));
      } catch (err) {
        if (err instanceof RevocableError && !UNDECIDABLE.has(err.code)) return { active: false };
        throw err;
      }
    });
  };
}
