import formbody from '@fastify/formbody';
import { RevocableError } from '@revocable/core';
import { isSessionLive } from '@revocable/core/internal';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { OWN_ISSUER_ID } from '../auth/client-permissions.js';
import { hashRefreshToken, isRefreshTokenShape } from '../auth/refresh-tokens.js';
import { ServiceError } from '../errors.js';
import { INTROSPECTION_ANSWER, OAUTH_TOKEN_ANSWER } from '../http/answer-schemas.js';
import { BODY_LIMIT } from '../http/body-limit.js';
import { errorAnswer, errorAnswers, ref } from '../http/openapi-schemas.js';
import { clientContext } from '../http/request-context.js';
import type { Runtime } from '../runtime.js';
import { tokenResponse } from './auth.js';

interface TokenForm {
  token?: string;
  revocation_target?: string;
  token_type_hint?: string;
  grant_type?: string;
  refresh_token?: string;
  client_id?: string;
}

const form = {
  type: 'object',
  description:
    'An application/x-www-form-urlencoded form (RFC 6749), or a JSON object of the same members. A confidential client authenticates with HTTP Basic, or with client_id and client_secret here.',
  properties: {
    token: { type: 'string', maxLength: 16384 },
    token_type_hint: { type: 'string', maxLength: 64 },
    grant_type: { type: 'string', maxLength: 64 },
    refresh_token: { type: 'string', maxLength: 256 },
    client_id: { type: 'string', maxLength: 128 },
    client_secret: { type: 'string', maxLength: 256 },
    scope: { type: 'string', maxLength: 1024 },
    revocation_target: {
      type: 'string',
      maxLength: 16,
      description:
        '/oauth/revoke only, an extension: what revoking an access token ends. token (default): that token; session: every token of its session (sid); subject: every token of its user from that issuer, issued until now.',
    },
  },
} as const;

/** Both body types the endpoints take, forms first (what RFC 6749 clients send). */
const CONSUMES = ['application/x-www-form-urlencoded', 'application/json'];

/** An error answer that is either an RFC 6749 error (`OAuthError`) or the common `Error`. */
function oauthOrServiceError(status: number, description: string) {
  return errorAnswer(status, description, { oneOf: [ref('OAuthError'), ref('Error')] });
}

/** An RFC 6749 §5.2 invalid_client answer. */
const INVALID_CLIENT = errorAnswer(
  401,
  'Client authentication failed: invalid_client (code ERR_CLIENT_AUTH_FAILED), with WWW-Authenticate: Basic.',
  ref('OAuthError'),
);

/** Failures that are the service's, not the token's: answered 503, never "inactive" or "nothing to revoke". */
const UNAVAILABLE = new Set(['ERR_REVOCATION_STALE', 'ERR_JWKS_UNAVAILABLE']);

/** The grant id of the token's (unverified) issuer, or `undefined` for a token of no trusted issuer. */
function issuerIdOfToken(runtime: Runtime, token: string): string | undefined {
  try {
    return runtime.issuerIdOf(runtime.anyIssuer.routeOf(token).issuer);
  } catch {
    return undefined;
  }
}

/** RFC 6749 §5.2 unauthorized_client: the client authenticated but is not granted this. */
function notGranted(reply: FastifyReply, action: string, issuerId?: string) {
  return oauthError(
    reply,
    400,
    'unauthorized_client',
    'ERR_CLIENT_FORBIDDEN',
    issuerId === undefined
      ? `This client is not granted ${action}.`
      : `This client is not granted ${action} for issuer "${issuerId}".`,
  );
}

/**
 * The RFC 7662 members an introspection client such as Spring Security's reads, from the claims each
 * provider sends: `scope` space-separated (Entra ID's `scp`, a `scope` array), `client_id` (`azp`,
 * Entra v1's `appid`).
 */
function rfc7662Members(claims: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  const scope = claims['scope'] ?? claims['scp'];
  if (typeof scope === 'string') members['scope'] = scope;
  else if (Array.isArray(scope)) members['scope'] = scope.filter((s) => typeof s === 'string').join(' ');
  const clientId = claims['client_id'] ?? claims['azp'] ?? claims['appid'];
  if (typeof clientId === 'string') members['client_id'] = clientId;
  return members;
}

/** An RFC 6749 §5.2 error body (with the stable code alongside). */
function oauthError(reply: FastifyReply, status: number, error: string, code: string, description: string) {
  reply.header('Cache-Control', 'no-store');
  if (status === 401) reply.header('WWW-Authenticate', 'Basic realm="revocable"');
  return reply.status(status).send({ error, error_description: description, code });
}

/**
 * RFC 6749 §5.2 `invalid_client`: 401 when authentication was tried and failed, 400 when a client was
 * named that may not be used without it. Anything but the service's own client errors (a storage
 * failure while looking a client up) is not the client's fault and propagates (503).
 */
function invalidClient(reply: FastifyReply, err: unknown) {
  if (!(err instanceof ServiceError)) throw err;
  const unusable = err.code === 'ERR_CLIENT_INVALID';
  return oauthError(
    reply,
    unusable ? 400 : 401,
    'invalid_client',
    err.code,
    unusable ? err.message : 'Client authentication failed.',
  );
}

/**
 * `/oauth/token` (refresh_token grant), `/oauth/revoke` (RFC 7009) and `/oauth/introspect` (RFC 7662).
 * Revocation and introspection need a confidential client (HTTP Basic or form credentials).
 */
export function oauthRoutes(parent: FastifyInstance, runtime: Runtime): void {
  // Forms are parsed here only (RFC 6749 clients send them): every other route takes JSON alone, so a
  // cross-site HTML form cannot reach /auth/* (login CSRF).
  parent.register(async (app) => {
    await app.register(formbody, { bodyLimit: BODY_LIMIT });
    declareOAuthRoutes(app, runtime);
  });
}

function declareOAuthRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { clients, sessions, anyIssuer, revoker, storage, config } = runtime;

  app.post<{ Body: TokenForm }>(
    '/oauth/token',
    {
      schema: {
        tags: ['oauth'],
        summary: 'Token endpoint: refresh_token grant (rotation, reuse detection)',
        description:
          'grant_type=refresh_token with refresh_token. A public client names itself with client_id (or not at all); a confidential client authenticates. Each refresh token is single use; presenting a used one ends the whole session (invalid_grant, code ERR_REFRESH_TOKEN_REUSED).',
        consumes: CONSUMES,
        body: form,
        security: [{}, { client: [] }],
        response: {
          200: OAUTH_TOKEN_ANSWER,
          400: oauthOrServiceError(
            400,
            'unsupported_grant_type, invalid_grant (code ERR_REFRESH_TOKEN_INVALID or ERR_REFRESH_TOKEN_REUSED), invalid_client (code ERR_CLIENT_INVALID: not a public client); or the common Error for a body that cannot be read.',
          ),
          401: INVALID_CLIENT,
          ...errorAnswers(503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      if (body.grant_type !== 'refresh_token') {
        return oauthError(
          reply,
          400,
          'unsupported_grant_type',
          'ERR_BAD_REQUEST',
          'Only the refresh_token grant is supported.',
        );
      }
      // A confidential client authenticates; otherwise a client_id, if named, must be a public client.
      let clientId = body.client_id;
      try {
        if (request.headers.authorization || (body as { client_secret?: string }).client_secret) {
          clientId = await clients.authenticate(request.headers.authorization, body);
          if (body.client_id !== undefined && body.client_id !== clientId)
            throw new ServiceError('ERR_CLIENT_AUTH_FAILED', 'client_id is not the authenticated client.');
        } else if (clientId !== undefined) {
          await clients.assertPublic(clientId);
        }
      } catch (err) {
        return invalidClient(reply, err);
      }
      try {
        const tokens = await sessions.refresh(body.refresh_token, clientContext(request), clientId);
        return tokenResponse(reply, tokens, false, config.sessionAbsoluteSec);
      } catch (err) {
        if (
          err instanceof ServiceError &&
          (err.code === 'ERR_REFRESH_TOKEN_INVALID' || err.code === 'ERR_REFRESH_TOKEN_REUSED')
        ) {
          return oauthError(reply, 400, 'invalid_grant', err.code, err.message);
        }
        throw err;
      }
    },
  );

  app.post<{ Body: TokenForm }>(
    '/oauth/revoke',
    {
      schema: {
        tags: ['oauth'],
        summary: 'RFC 7009 token revocation (access or refresh token)',
        description:
          'Revoking a refresh token ends its whole session (RFC 7009 §2.1); revoking an access token revokes that token. A token that is not valid, expired or already revoked is answered 200 as well (RFC 7009 §2.2).',
        consumes: CONSUMES,
        body: form,
        security: [{ client: [] }],
        response: {
          200: { type: 'null', description: 'Revoked (or nothing to revoke). No body.' },
          400: oauthOrServiceError(
            400,
            'invalid_request (no token), invalid_client (code ERR_CLIENT_INVALID); or the common Error for a body that cannot be read.',
          ),
          401: INVALID_CLIENT,
          ...errorAnswers(503),
        },
      },
    },
    async (request, reply) => {
      let clientId: string;
      try {
        clientId = await clients.authenticate(request.headers.authorization, request.body);
      } catch (err) {
        return invalidClient(reply, err);
      }
      const token = request.body?.token;
      if (typeof token !== 'string' || token.length === 0) {
        return oauthError(
          reply,
          400,
          'invalid_request',
          'ERR_BAD_REQUEST',
          'The token parameter is required.',
        );
      }
      const target = request.body?.revocation_target ?? 'token';
      if (target !== 'token' && target !== 'session' && target !== 'subject') {
        return oauthError(
          reply,
          400,
          'invalid_request',
          'ERR_BAD_REQUEST',
          'revocation_target must be token, session or subject.',
        );
      }
      const audit = { actor: `client:${clientId}`, reason: 'token_revocation' } as const;
      if (isRefreshTokenShape(token)) {
        if (!clients.allows(clientId, 'revoke', OWN_ISSUER_ID)) return notGranted(reply, 'revoke');
        const record = await storage.sessions.findRefreshToken(hashRefreshToken(token));
        // Revoking a refresh token revokes its grant: the whole session and its access tokens (RFC 7009 §2.1).
        if (record) await sessions.end(record.sessionId, audit);
        reply.header('Cache-Control', 'no-store');
        return reply.status(200).send();
      }
      const issuerId = issuerIdOfToken(runtime, token);
      if (issuerId === undefined) {
        // RFC 7009 §2.2 answers 200 for a token it cannot revoke; counted and logged, never silent.
        runtime.metrics.untrustedRevocations.inc();
        request.log.warn(
          { event: 'revoke_untrusted', client: clientId },
          'A client asked to revoke a token of an issuer this service does not trust; nothing was written.',
        );
        reply.header('Cache-Control', 'no-store');
        return reply.status(200).send();
      }
      if (!clients.allows(clientId, 'revoke', issuerId)) return notGranted(reply, 'revoke', issuerId);
      try {
        const { facts, claims } = await anyIssuer.verify(token);
        if (target === 'token') await revoker.revokeToken(facts, audit);
        else if (target === 'subject')
          await sessions.applyRule(
            { kind: 'subject', iss: facts.iss, sub: claims.sub, cutoff: Date.now() },
            audit,
          );
        else if (facts.sid !== undefined && facts.iss === config.issuer) await sessions.end(facts.sid, audit);
        else if (facts.sid !== undefined)
          await sessions.applyRule(
            { kind: 'session', iss: facts.iss, sid: facts.sid, cutoff: Date.now() },
            audit,
          );
        else {
          return oauthError(
            reply,
            400,
            'invalid_request',
            'ERR_BAD_REQUEST',
            'revocation_target=session needs a token with a sid claim; this one has none (use token or subject).',
          );
        }
      } catch (err) {
        // Invalid, expired or already revoked tokens need nothing: RFC 7009 §2.2 answers 200.
        if (!(err instanceof RevocableError) || UNAVAILABLE.has(err.code)) throw err;
      }
      reply.header('Cache-Control', 'no-store');
      return reply.status(200).send();
    },
  );

  app.post<{ Body: TokenForm }>(
    '/oauth/introspect',
    {
      schema: {
        tags: ['oauth'],
        summary: 'RFC 7662 introspection: {"active": false} for anything not usable',
        consumes: CONSUMES,
        body: form,
        security: [{ client: [] }],
        response: {
          200: {
            ...INTROSPECTION_ANSWER,
            description: 'The token: inactive, a refresh token, or an access token.',
          },
          400: oauthOrServiceError(
            400,
            'invalid_client (code ERR_CLIENT_INVALID); or the common Error for a body that cannot be read.',
          ),
          401: INVALID_CLIENT,
          ...errorAnswers(503),
        },
      },
    },
    async (request, reply) => {
      let clientId: string;
      try {
        clientId = await clients.authenticate(request.headers.authorization, request.body);
      } catch (err) {
        return invalidClient(reply, err);
      }
      if (!clients.allows(clientId, 'introspect')) return notGranted(reply, 'introspect');
      reply.header('Cache-Control', 'no-store');
      const token = request.body?.token;
      if (typeof token !== 'string' || token.length === 0) return { active: false };
      if (isRefreshTokenShape(token)) {
        if (!clients.allows(clientId, 'introspect', OWN_ISSUER_ID)) return { active: false };
        const record = await storage.sessions.findRefreshToken(hashRefreshToken(token));
        const session = record && (await storage.sessions.getSession(record.sessionId));
        const now = Date.now();
        if (
          !record ||
          !session ||
          record.consumedAt !== null ||
          record.expiresAt <= now ||
          !isSessionLive(session, now)
        ) {
          return { active: false };
        }
        return {
          active: true,
          token_type: 'refresh_token',
          sub: session.sub,
          sid: session.id,
          client_id: session.clientId,
          iss: config.issuer,
          exp: Math.floor(Math.min(record.expiresAt, session.absoluteExpiresAt) / 1000),
          iat: Math.floor(record.createdAt / 1000),
        };
      }
      // A token of an issuer this client is not granted is answered as RFC 7662 §2.2 allows: inactive.
      const issuerId = issuerIdOfToken(runtime, token);
      if (issuerId === undefined || !clients.allows(clientId, 'introspect', issuerId))
        return { active: false };
      try {
        const { claims } = await anyIssuer.verify(token);
        // The fixed members last: no claim may stand in for them.
        return { ...claims, ...rfc7662Members(claims), active: true, token_type: 'access_token' };
      } catch (err) {
        if (err instanceof RevocableError && !UNAVAILABLE.has(err.code)) return { active: false };
        throw err;
      }
    },
  );
}
