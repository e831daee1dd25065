import {
  lifetimeOf,
  RevocableError,
  type RevocationPolicy,
  type RevocationReason,
  type RevocationRule,
} from '@revocable/core';
import type { FastifyInstance } from 'fastify';
import type { TokenSet } from '../auth/session-service.js';
import { ServiceError } from '../errors.js';
import { ISSUER_LIST_SCHEMA, issuerToWire } from '../http/issuers-wire.js';
import { documentAdminRoute } from '../http/openapi-schemas.js';
import { clientContext } from '../http/request-context.js';
import {
  eventToWire,
  keyToWire,
  replicaToWire,
  ruleFromWire,
  sessionToWire,
  userToWire,
} from '../http/wire.js';
import {
  EVENT_PAGE_SCHEMA,
  EVENT_SCHEMA,
  KEY_LIST_SCHEMA,
  NO_CONTENT_SCHEMA,
  plainJsonSerializer,
  REPLICA_SCHEMA,
  RULE_INPUT_SCHEMA,
  SESSION_LIST_SCHEMA,
  SUSPENSION_SCHEMA,
  TOKEN_RESPONSE_SCHEMA,
  USER_LIST_SCHEMA,
} from '../http/wire-schemas.js';
import type { Runtime } from '../runtime.js';
import { requireAdmin } from './admin-auth.js';
import { tokenResponse } from './auth.js';

const ADMIN_ACTOR = 'admin';
const CUTOFF_KINDS = new Set(['session', 'subject', 'issuer']);

/**
 * A cutoff rule's time is the server's: omitted, it is now; later than now, it is refused (a future
 * cutoff would reject tokens issued after the revocation, and hold logins back until it passes).
 */
function withServerCutoff(rule: RevocationRule, now: number): RevocationRule {
  const given = rule as { kind?: unknown; cutoff?: unknown };
  if (typeof given !== 'object' || given === null || !CUTOFF_KINDS.has(given.kind as string)) return rule;
  if (given.cutoff === undefined) return { ...rule, cutoff: now } as RevocationRule;
  if (typeof given.cutoff === 'number' && given.cutoff > now) {
    throw new RevocableError(
      'ERR_REVOCATION_INVALID',
      "The cutoff is later than the server's clock; omit it to revoke everything issued until now.",
    );
  }
  return rule;
}

/**
 * A key rule without `expiresAt` lasts until every token the key can have signed so far has expired:
 * now plus the longest token lifetime and the clock margin.
 */
function withKeyExpiry(rule: RevocationRule, now: number, policy: RevocationPolicy): RevocationRule {
  const given = rule as { kind?: unknown; expiresAt?: unknown };
  if (typeof given !== 'object' || given === null || given.kind !== 'key' || given.expiresAt !== undefined)
    return rule;
  const iss = (rule as { iss?: unknown }).iss;
  const lifetime = typeof iss === 'string' ? lifetimeOf(policy, iss) : policy.maxTokenLifetimeMs;
  return { ...rule, expiresAt: now + lifetime + policy.clockSkewMs } as RevocationRule;
}

const ISSUER_SCOPED_KINDS = new Set(['token', 'key', 'allow']);

/** A token, key or allow rule without `iss` is for this service's own tokens (`--issuer`). */
function withOwnIssuer(rule: RevocationRule, issuer: string): RevocationRule {
  const given = rule as { kind?: unknown; iss?: unknown };
  if (typeof given !== 'object' || given === null || !ISSUER_SCOPED_KINDS.has(given.kind as string)) {
    return rule;
  }
  return given.iss === undefined ? ({ ...rule, iss: issuer } as RevocationRule) : rule;
}

/**
 * The error for a revocation body its schema refused: the rule's own reason (`ERR_REVOCATION_INVALID`)
 * when the rule is what is wrong, `ERR_BAD_REQUEST` for the rest of the body.
 */
function refusedBody(error: Error & { validation?: { instancePath: string }[] }, body: unknown): Error {
  const inRule = (error.validation ?? []).some(({ instancePath }) => instancePath.startsWith('/rule'));
  if (inRule) {
    ruleFromWire((body as { rule?: unknown }).rule); // throws the reason, naming the member
    return new RevocableError(
      'ERR_REVOCATION_INVALID',
      `The rule is not valid: ${error.message}`.slice(0, 300),
    );
  }
  return new ServiceError('ERR_BAD_REQUEST', `Invalid request: ${error.message}`.slice(0, 300));
}

interface RevokeBody {
  /** The rule in its wire form (snake_case, RFC 3339 times): see `ruleFromWire`. */
  rule: unknown;
  reason?: RevocationReason;
  actor?: string;
}

interface MintBody {
  sub: string;
  client_id?: string;
  scope?: string;
  claims?: Record<string, unknown>;
  device?: string;
}

/**
 * `/admin/*`, behind the admin credential (`Authorization: Bearer $REVOCABLE_ADMIN_TOKEN`): revoke by
 * any rule, the audit trail, users and sessions, trusted-backend session minting, key rotation.
 */
export function adminRoutes(parent: FastifyInstance, runtime: Runtime): void {
  // An encapsulated context: the credential check is a hook of every route declared in it, whatever
  // the request's URL looks like (`/%61dmin/…` is routed here too, so the URL is never what decides).
  parent.register(async (app) => {
    app.addHook('onRequest', async (request) => requireAdmin(request, runtime.config.adminToken));
    app.addHook('onRoute', documentAdminRoute); // /openapi.json: the admin credential, its refusals
    // The response schemas document the answers; they never filter them.
    app.setSerializerCompiler(plainJsonSerializer);
    declareAdminRoutes(app, runtime);
  });
}

function declareAdminRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { storage, sessions, users, keys, replica } = runtime;

  app.post<{ Body: RevokeBody }>(
    '/admin/revocations',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke by any rule: token, session, subject, key, issuer',
        description:
          'The rule in the wire form of the whole API: snake_case members, times in RFC 3339 (any offset; answered in UTC). For session, subject and issuer rules the cutoff may be omitted: the server uses its own clock. A cutoff later than the server clock is refused. Token, key and allow rules match the tokens of their iss only; omitted, iss is the issuer of this service. A rule that is not valid (an unknown kind or member, a time that is not RFC 3339) is refused with ERR_REVOCATION_INVALID.',
        body: {
          type: 'object',
          required: ['rule'],
          additionalProperties: false,
          properties: {
            rule: RULE_INPUT_SCHEMA,
            reason: { type: 'string', maxLength: 64 },
            actor: { type: 'string', maxLength: 200 },
          },
        },
        response: { 201: EVENT_SCHEMA },
      },
      // A bad rule is answered ERR_REVOCATION_INVALID with its reason, as the log would refuse it.
      attachValidation: true,
    },
    async (request, reply) => {
      if (request.validationError) throw refusedBody(request.validationError, request.body);
      const { reason = 'admin', actor } = request.body;
      const given = ruleFromWire(request.body.rule);
      const now = Date.now();
      const rule = withOwnIssuer(
        withKeyExpiry(withServerCutoff(given, now), now, runtime.config.revocationPolicy),
        runtime.config.issuer,
      );
      const event = await sessions.applyRule(rule, {
        reason,
        actor: actor ? `${ADMIN_ACTOR}:${actor}` : ADMIN_ACTOR,
      });
      return reply.status(201).send(eventToWire(event));
    },
  );

  app.get<{ Querystring: { after?: number; limit?: number } }>(
    '/admin/revocations',
    {
      schema: {
        tags: ['admin'],
        summary: 'The audit trail: revocations in log order, with reason and actor',
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        response: { 200: EVENT_PAGE_SCHEMA },
      },
    },
    async (request) => {
      const events = await storage.log.readAfter(request.query.after ?? 0, request.query.limit ?? 100);
      return { events: events.map(eventToWire) };
    },
  );

  app.get<{ Querystring: { after?: string; limit?: number } }>(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Users, by username',
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'string', maxLength: 64 },
            limit: { type: 'integer', minimum: 1, maximum: 500 },
          },
        },
        response: { 200: USER_LIST_SCHEMA },
      },
    },
    async (request) => {
      const list = await storage.users.listUsers({
        limit: request.query.limit ?? 100,
        ...(request.query.after !== undefined && { after: request.query.after }),
      });
      return { users: list.map(userToWire) };
    },
  );

  app.get<{ Params: { sub: string } }>(
    '/admin/users/:sub/sessions',
    {
      schema: { tags: ['admin'], summary: "A user's live sessions", response: { 200: SESSION_LIST_SCHEMA } },
    },
    async (request) => ({ sessions: (await sessions.list(request.params.sub)).map(sessionToWire) }),
  );

  app.post<{ Params: { sub: string }; Body: { suspended: boolean; actor?: string } }>(
    '/admin/users/:sub/suspension',
    {
      schema: {
        tags: ['admin'],
        summary: 'Suspend (revoking every token) or reinstate a user',
        body: {
          type: 'object',
          required: ['suspended'],
          additionalProperties: false,
          properties: { suspended: { type: 'boolean' }, actor: { type: 'string', maxLength: 200 } },
        },
        response: { 200: SUSPENSION_SCHEMA },
      },
    },
    async (request) => {
      const { suspended, actor } = request.body;
      const who = actor ? `${ADMIN_ACTOR}:${actor}` : ADMIN_ACTOR;
      const found = await users.setSuspended(request.params.sub, suspended, who);
      if (!found) throw new ServiceError('ERR_NOT_FOUND', 'No such user.');
      return { suspended };
    },
  );

  app.post<{ Body: MintBody }>(
    '/admin/sessions',
    {
      schema: {
        tags: ['admin'],
        summary: 'Trusted backend: open a session for a user your app authenticated itself',
        body: {
          type: 'object',
          required: ['sub'],
          additionalProperties: false,
          properties: {
            // No control characters (C0, DEL, C1): they cannot be stored everywhere nor revoked by subject.
            sub: {
              type: 'string',
              minLength: 1,
              maxLength: 256,
              pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$',
            },
            client_id: { type: 'string', minLength: 1, maxLength: 128 },
            scope: { type: 'string', maxLength: 1024 },
            claims: { type: 'object' },
            device: { type: 'string', maxLength: 256 },
          },
        },
        response: { 201: TOKEN_RESPONSE_SCHEMA },
      },
    },
    async (request, reply) => {
      const { sub, client_id: clientId = 'trusted-backend', scope, claims, device } = request.body;
      await runtime.clients.assertNotConfidential(clientId);
      let tokens: TokenSet;
      try {
        tokens = await sessions.open({
          sub,
          clientId,
          scope: scope ?? null,
          claims: claims ?? null,
          device: device ?? clientContext(request).device,
          ip: clientContext(request).ip,
        });
      } catch (err) {
        // A reserved claim (iss, exp, ...) in `claims`, or claims too large for a token verifiers
        // accept, is the caller's mistake, not a bad token.
        if (
          err instanceof RevocableError &&
          (err.code === 'ERR_CLAIM_INVALID' || err.code === 'ERR_TOKEN_TOO_LARGE')
        )
          throw new ServiceError('ERR_BAD_REQUEST', err.message);
        throw err;
      }
      reply.status(201);
      return tokenResponse(reply, tokens, false, runtime.config.sessionAbsoluteSec);
    },
  );

  app.delete<{ Params: { sid: string } }>(
    '/admin/sessions/:sid',
    { schema: { tags: ['admin'], summary: 'End any session', response: { 204: NO_CONTENT_SCHEMA } } },
    async (request, reply) => {
      const session = await storage.sessions.getSession(request.params.sid);
      if (!session) throw new ServiceError('ERR_SESSION_NOT_FOUND', 'No such session.');
      await sessions.end(session.id, { actor: ADMIN_ACTOR, reason: 'admin' });
      return reply.status(204).send();
    },
  );

  app.get(
    '/admin/keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Signing keys and their states',
        response: { 200: KEY_LIST_SCHEMA },
      },
    },
    async () => ({ keys: keys.list().map(keyToWire) }),
  );

  app.post(
    '/admin/keys/rotate',
    {
      schema: {
        tags: ['admin'],
        summary: 'Rotate: next -> active -> retired',
        response: { 200: KEY_LIST_SCHEMA },
      },
    },
    async () => {
      await keys.rotate();
      return { keys: keys.list().map(keyToWire) };
    },
  );

  app.get(
    '/admin/issuers',
    {
      schema: {
        tags: ['admin'],
        summary: 'Trusted issuers (Entra ID, Auth0, Keycloak, …) and their key state',
        response: { 200: ISSUER_LIST_SCHEMA },
      },
    },
    async () => ({ issuers: runtime.issuers.status().map(issuerToWire) }),
  );

  app.get(
    '/admin/replica',
    {
      schema: {
        tags: ['admin'],
        summary: "This process's replica figures",
        response: { 200: REPLICA_SCHEMA },
      },
    },
    async () => replicaToWire(replica.stats(), await storage.log.lastSeq()),
  );
}
