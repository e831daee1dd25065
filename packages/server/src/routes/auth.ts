import { isSessionLive } from '@revocable/core/internal';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenSet } from '../auth/session-service.js';
import { ServiceError } from '../errors.js';
import {
  LOGIN_ANSWER,
  LOGOUT_ALL_ANSWER,
  ME_ANSWER,
  PASSWORD_ANSWER,
  REGISTERED_ANSWER,
} from '../http/answer-schemas.js';
import { bearerGuard } from '../http/bearer-guard.js';
import { logoutGuard } from '../http/logout-guard.js';
import { BEARER_SECURITY, errorAnswer, errorAnswers } from '../http/openapi-schemas.js';
import { authOf, clientContext } from '../http/request-context.js';
import { sessionToWire } from '../http/wire.js';
import { NO_CONTENT_SCHEMA, OWN_SESSION_LIST_SCHEMA, plainJsonSerializer } from '../http/wire-schemas.js';
import type { Runtime } from '../runtime.js';

/** Name of the browser refresh cookie; the `__Host-` prefix pins it to this host, `Path=/`, `Secure`. */
export const REFRESH_COOKIE = '__Host-revocable-refresh';
/** The custom header a cookie refresh must carry: a cross-site form cannot set it (CSRF). */
export const CSRF_HEADER = 'x-revocable-csrf';

/** The default public client of built-in logins. */
export const WEB_CLIENT_ID = 'revocable-web';

const credentials = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    cookie: { type: 'boolean', description: 'browser mode: the refresh token is set as an HttpOnly cookie' },
    client_id: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

interface Credentials {
  username: string;
  password: string;
  cookie?: boolean;
  client_id?: string;
}

/** The OAuth token response (RFC 6749 §5.1) for a token set; in cookie mode the refresh token goes in the cookie. */
export function tokenResponse(
  reply: FastifyReply,
  tokens: TokenSet,
  cookie: boolean,
  cookieMaxAgeSec: number,
) {
  reply.header('Cache-Control', 'no-store');
  const body = {
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    session_id: tokens.sessionId,
    ...(tokens.scope !== null && { scope: tokens.scope }),
  };
  if (!cookie) return { ...body, refresh_token: tokens.refreshToken };
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    path: '/',
    secure: true,
    httpOnly: true,
    sameSite: 'strict',
    maxAge: cookieMaxAgeSec,
  });
  return body;
}

function clearRefreshCookie(reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, { path: '/', secure: true, httpOnly: true, sameSite: 'strict' });
}

/** The `refresh_token` of a refresh body; `undefined` when there is no body or an empty object. */
function refreshTokenField(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new ServiceError('ERR_BAD_REQUEST', 'The body must be a JSON object.');
  const { refresh_token: token, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0)
    throw new ServiceError('ERR_BAD_REQUEST', 'Only refresh_token may be sent.');
  if (token !== undefined && (typeof token !== 'string' || token.length > 256)) {
    throw new ServiceError('ERR_BAD_REQUEST', 'refresh_token must be a string.');
  }
  return token;
}

/** CSRF defence for cookie refreshes: the custom header, and an `Origin` on the allow-list. */
function assertSameOriginCookieUse(request: FastifyRequest, allowedOrigins: readonly string[]): void {
  if (request.headers[CSRF_HEADER] !== '1') {
    throw new ServiceError('ERR_CSRF', `A cookie refresh needs the ${CSRF_HEADER}: 1 header.`);
  }
  const origin = request.headers.origin;
  if (typeof origin !== 'string' || !allowedOrigins.includes(origin)) {
    throw new ServiceError('ERR_CSRF', 'A cookie refresh must come from an allowed Origin.');
  }
}

/**
 * `/auth/*`: register, login, refresh, logout, logout everywhere, password change, own sessions.
 */
export function authRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { users, sessions, config } = runtime;
  const guard = bearerGuard(runtime);
  const cookieAge = config.sessionAbsoluteSec;

  app.post<{ Body: Credentials }>(
    '/auth/register',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a built-in user',
        body: credentials,
        response: {
          201: REGISTERED_ANSWER,
          ...errorAnswers(429, 503),
          400: errorAnswer(400, 'Not valid: ERR_BAD_REQUEST (the username), ERR_PASSWORD_WEAK.'),
          404: errorAnswer(404, 'Registration is disabled (ERR_NOT_FOUND).'),
          409: errorAnswer(409, 'The username is taken (ERR_USERNAME_TAKEN).'),
        },
      },
    },
    async (request, reply) => {
      if (!config.registration) throw new ServiceError('ERR_NOT_FOUND', 'Registration is disabled.');
      const user = await users.register(
        request.body.username,
        request.body.password,
        clientContext(request).ip,
      );
      return reply.status(201).send({ id: user.id, username: user.username });
    },
  );

  app.post<{ Body: Credentials }>(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in; returns tokens (or sets the refresh cookie)',
        body: credentials,
        response: {
          200: LOGIN_ANSWER,
          ...errorAnswers(503),
          400: errorAnswer(
            400,
            'Not valid: ERR_BAD_REQUEST, or ERR_CLIENT_INVALID (client_id is not a public client).',
          ),
          401: errorAnswer(401, 'Wrong username or password (ERR_LOGIN_FAILED).'),
          403: errorAnswer(403, 'The account is suspended (ERR_ACCOUNT_DISABLED).'),
          429: errorAnswer(429, 'Too many failed logins (ERR_LOGIN_THROTTLED), with Retry-After.'),
        },
      },
    },
    async (request, reply) => {
      const { username, password, cookie = false, client_id: clientId = WEB_CLIENT_ID } = request.body;
      await runtime.clients.assertPublic(clientId); // nobody authenticates here: public clients only
      const tokens = await users.login(username, password, clientContext(request), clientId);
      return tokenResponse(reply, tokens, cookie, cookieAge);
    },
  );

  app.post<{ Body: unknown }>(
    '/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token (body for native clients, cookie + CSRF header for browsers)',
        // No body schema: the body is optional (Fastify would require one), refreshTokenField checks it.
        description:
          'Body `{"refresh_token": "…"}` (native), or no body / `{}` with the refresh cookie (browsers), which also needs the `x-revocable-csrf: 1` header and an allowed Origin. Each refresh token is single use: the answer carries the next one (in the cookie in cookie mode); presenting a used one again ends the whole session (ERR_REFRESH_TOKEN_REUSED).',
        security: [{}, { refresh_cookie: [] }],
        response: {
          200: LOGIN_ANSWER,
          ...errorAnswers(503),
          401: errorAnswer(
            401,
            'No refresh token, or one that is not valid (ERR_REFRESH_TOKEN_INVALID) or was used before (ERR_REFRESH_TOKEN_REUSED: the session is ended).',
          ),
          403: errorAnswer(
            403,
            'A cookie refresh without the CSRF header or from an Origin not allowed (ERR_CSRF).',
          ),
        },
      },
    },
    async (request, reply) => {
      const fromBody = refreshTokenField(request.body);
      const fromCookie = request.cookies[REFRESH_COOKIE];
      if (fromBody === undefined) {
        if (fromCookie === undefined)
          throw new ServiceError('ERR_REFRESH_TOKEN_INVALID', 'No refresh token was sent.');
        assertSameOriginCookieUse(request, config.allowedOrigins);
      }
      try {
        const tokens = await sessions.refresh(fromBody ?? fromCookie, clientContext(request));
        return tokenResponse(reply, tokens, fromBody === undefined, cookieAge);
      } catch (err) {
        if (fromBody === undefined) clearRefreshCookie(reply);
        throw err;
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      preHandler: logoutGuard(runtime),
      schema: {
        tags: ['auth'],
        summary: 'End this session',
        description:
          "Revokes the session of the access token (or the token itself when it has none) and clears the refresh cookie. Takes the service's own tokens and those of every trusted issuer (Entra ID, Auth0, Keycloak: a session rule when the token carries sid, else a token rule); from the --spa-origins with CORS. Retry-safe: the same token sent again after a logout that completed answers 204 again. No body is needed; an empty body sent as JSON is accepted.",
        security: BEARER_SECURITY,
        response: { 204: { ...NO_CONTENT_SCHEMA, description: 'Logged out.' }, ...errorAnswers(401, 503) },
      },
    },
    async (request, reply) => {
      const { claims } = authOf(request);
      const own = claims.iss === runtime.config.issuer;
      if (request.logoutAlreadyDone === true) {
        // A retry of a logout that completed: nothing to write again.
      } else if (claims.sid !== undefined && own)
        await sessions.end(claims.sid, { actor: `user:${claims.sub}`, reason: 'logout' });
      else if (claims.sid !== undefined)
        // A trusted issuer's token with a session id (Keycloak): that session's tokens, every copy.
        await sessions.applyRule(
          { kind: 'session', iss: claims.iss, sid: claims.sid, cutoff: Date.now() },
          { actor: `user:${claims.sub}`, reason: 'logout' },
        );
      else
        await runtime.revoker.revokeToken(authOf(request).facts, {
          actor: `user:${claims.sub}`,
          reason: 'logout',
        });
      clearRefreshCookie(reply);
      return reply.status(204).send();
    },
  );

  app.post(
    '/auth/logout-all',
    {
      preHandler: logoutGuard(runtime),
      schema: {
        tags: ['auth'],
        summary: 'End every session of this user',
        description:
          "Retry-safe like /auth/logout (a retry answers ended_sessions: 0). With a trusted issuer's token: a subject cutoff for that issuer (every token of the user issued until now); ended_sessions counts sessions stored here, so 0.",
        security: BEARER_SECURITY,
        response: { 200: LOGOUT_ALL_ANSWER, ...errorAnswers(401, 503) },
      },
    },
    async (request, reply) => {
      const { claims } = authOf(request);
      const audit = { actor: `user:${claims.sub}`, reason: 'logout_all' } as const;
      // A retry of a logout that completed ended its sessions then: none are left to count. A trusted
      // issuer's user has no sessions stored here: a subject cutoff for that issuer ends every token.
      const { ended } =
        request.logoutAlreadyDone === true
          ? { ended: [] }
          : claims.iss === runtime.config.issuer
            ? await sessions.endAllOf(claims.sub, audit)
            : await sessions
                .applyRule({ kind: 'subject', iss: claims.iss, sub: claims.sub, cutoff: Date.now() }, audit)
                .then(() => ({ ended: [] }));
      clearRefreshCookie(reply);
      return reply.status(200).send({ ended_sessions: ended.length });
    },
  );

  app.post<{ Body: { current_password: string; new_password: string } }>(
    '/auth/password',
    {
      preHandler: guard,
      schema: {
        tags: ['auth'],
        summary: "Change the password; ends the user's other sessions and reissues this one's access token",
        body: {
          type: 'object',
          required: ['current_password', 'new_password'],
          additionalProperties: false,
          properties: {
            current_password: { type: 'string', minLength: 1, maxLength: 1024 },
            new_password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
        security: BEARER_SECURITY,
        response: {
          200: PASSWORD_ANSWER,
          ...errorAnswers(503),
          400: errorAnswer(
            400,
            'Not valid: ERR_BAD_REQUEST (also: a token without a session), ERR_PASSWORD_WEAK.',
          ),
          401: errorAnswer(401, 'The token is refused, or the current password is wrong (ERR_LOGIN_FAILED).'),
          429: errorAnswer(429, 'Too many wrong passwords (ERR_LOGIN_THROTTLED), with Retry-After.'),
        },
      },
    },
    async (request, reply) => {
      const { claims } = authOf(request);
      if (claims.sid === undefined) throw new ServiceError('ERR_BAD_REQUEST', 'This token has no session.');
      const result = await users.changePassword(
        claims.sub,
        claims.sid,
        request.body.current_password,
        request.body.new_password,
        clientContext(request),
      );
      reply.header('Cache-Control', 'no-store');
      return {
        ended_sessions: result.ended.length,
        ...(result.kept && {
          access_token: result.kept.accessToken,
          token_type: 'Bearer',
          expires_in: result.kept.expiresIn,
        }),
      };
    },
  );

  app.get(
    '/auth/sessions',
    {
      preHandler: guard,
      schema: {
        tags: ['auth'],
        summary: "The user's live sessions",
        security: BEARER_SECURITY,
        response: { 200: OWN_SESSION_LIST_SCHEMA, ...errorAnswers(401, 503) },
      },
      serializerCompiler: plainJsonSerializer, // the schema documents the answer, never filters it
    },
    async (request) => {
      const { claims } = authOf(request);
      const list = await sessions.list(claims.sub);
      return { sessions: list.map((s) => ({ ...sessionToWire(s), current: s.id === claims.sid })) };
    },
  );

  app.delete<{ Params: { sid: string } }>(
    '/auth/sessions/:sid',
    {
      preHandler: guard,
      schema: {
        tags: ['auth'],
        summary: 'End one of your own sessions',
        params: { type: 'object', properties: { sid: { type: 'string', maxLength: 64 } }, required: ['sid'] },
        security: BEARER_SECURITY,
        response: {
          204: { ...NO_CONTENT_SCHEMA, description: 'The session is ended.' },
          ...errorAnswers(401, 503),
          400: errorAnswer(400, 'The sid is not valid (ERR_BAD_REQUEST).'),
          404: errorAnswer(404, 'No such live session of yours (ERR_SESSION_NOT_FOUND).'),
        },
      },
    },
    async (request, reply) => {
      const { claims } = authOf(request);
      const session = await sessions.get(request.params.sid);
      if (!session || session.sub !== claims.sub || !isSessionLive(session, Date.now())) {
        throw new ServiceError('ERR_SESSION_NOT_FOUND', 'No such live session of yours.');
      }
      await sessions.end(session.id, { actor: `user:${claims.sub}`, reason: 'logout' });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/me',
    {
      preHandler: guard,
      schema: {
        tags: ['api'],
        summary: 'A protected example: the verified claims',
        security: BEARER_SECURITY,
        response: { 200: ME_ANSWER, ...errorAnswers(401, 503) },
      },
    },
    async (request) => {
      const { claims, header } = authOf(request);
      return { claims, kid: header.kid };
    },
  );
}
