import type { ServerResponse } from 'node:http';
import { RevocableError, type RevocationEvent } from '@revocable/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from '../errors.js';
import { clientRuleOf } from '../http/client-rule.js';
import { FEED_READ_SCHEMA, feedStreamSchema } from '../http/feed-openapi.js';
import { CLIENT_RULE_INPUT_SCHEMA, FEED_EVENT_SCHEMA } from '../http/feed-schemas.js';
import { ref } from '../http/openapi-schemas.js';
import { plainJsonSerializer } from '../http/wire-schemas.js';
import type { Runtime } from '../runtime.js';
import { isAdmin } from './admin-auth.js';

/** Heartbeat period of the SSE feed, ms. */
export const SSE_HEARTBEAT_MS = 2000;

function parseSeq(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ServiceError('ERR_BAD_REQUEST', 'after must be a whole number >= 0.');
  return n;
}

/** An error answer of `POST /revocations`: the shared `Error` body (`{ error, message }`), described. */
function errorAnswer(description: string) {
  return ref('Error', description);
}

/** What `POST /revocations` takes: a rule in the log's form, and why. */
interface ClientRevokeBody {
  rule: unknown;
  reason?: 'logout' | 'logout_all';
}

/**
 * The refusal of a `POST /revocations` body its schema did not take: the rule's own reason (403
 * `ERR_RULE_FORBIDDEN` or 400 `ERR_REVOCATION_INVALID`) when the rule is what is wrong, 400
 * `ERR_BAD_REQUEST` for the rest of the body.
 */
function refusedClientBody(
  error: Error & { validation?: { instancePath: string }[] },
  body: unknown,
  issuer: string,
): Error {
  const inRule = (error.validation ?? []).some(({ instancePath }) => instancePath.startsWith('/rule'));
  if (!inRule) return new ServiceError('ERR_BAD_REQUEST', `Invalid request: ${error.message}`.slice(0, 300));
  clientRuleOf((body as { rule?: unknown }).rule, issuer, Date.now()); // throws the reason
  return new RevocableError(
    'ERR_REVOCATION_INVALID',
    `The rule is not valid: ${error.message}`.slice(0, 300),
  );
}

/**
 * The feed for remote replicas: `GET /revocations` (a snapshot, or the events after `?after=SEQ`) and
 * `GET /revocations/stream` (Server-Sent Events: `revocation` events with `id: seq`, resumable with
 * `Last-Event-ID`, and `heartbeat` events). Both need a confidential client or the admin credential.
 * `POST /revocations`, with the same credentials, is an API's own logout: a token, session or subject
 * rule for this service's issuer, answered with the event in the feed's form.
 */
export function feedRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { storage, clients, config } = runtime;
  // Open streams never finish on their own: on shutdown they are ended (followers reconnect to
  // another issuer, or to this one after its restart, with Last-Event-ID), so close() can complete.
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });
  const authorize = async (request: FastifyRequest) => {
    if (isAdmin(request, config.adminToken)) return;
    const id = await clients.authenticate(request.headers.authorization, undefined);
    clients.assertAllowed(id, 'feed');
  };
  /**
   * The same credentials, naming who writes (`client:<id>`, or `admin`) and which issuers' tokens it
   * may revoke: a client those it is granted `revoke` for (by default the service's own only).
   */
  const authorizeWriter = async (
    request: FastifyRequest,
  ): Promise<{ actor: string; mayRevoke: (iss: string) => boolean }> => {
    if (isAdmin(request, config.adminToken)) {
      return { actor: 'admin', mayRevoke: (iss) => runtime.issuerIdOf(iss) !== undefined };
    }
    const id = await clients.authenticate(request.headers.authorization, undefined);
    return {
      actor: `client:${id}`,
      mayRevoke: (iss) => {
        const issuerId = runtime.issuerIdOf(iss);
        return issuerId !== undefined && clients.allows(id, 'revoke', issuerId);
      },
    };
  };

  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/revocations',
    // The query schema documents `after` and `limit`; parseSeq reads them, with its own message.
    { schema: FEED_READ_SCHEMA, attachValidation: true },
    async (request, reply) => {
      await authorize(request);
      reply.header('Cache-Control', 'no-store');
      const after = parseSeq(request.query.after);
      if (after === undefined) {
        const snapshot = await storage.log.snapshot();
        return { type: 'snapshot', seq: snapshot.seq, taken_at: snapshot.takenAt, events: snapshot.events };
      }
      const limit = Math.min(parseSeq(request.query.limit) ?? 1000, 10_000);
      const events = await storage.log.readAfter(after, limit);
      return { type: 'events', last_seq: await storage.log.lastSeq(), events };
    },
  );

  app.post<{ Body: ClientRevokeBody }>(
    '/revocations',
    {
      schema: {
        tags: ['feed'],
        summary: "An API's own logout: revoke a token, a session or a subject of this service's issuer",
        description:
          "For an API connected to the service (connectToService in @revocable/core) that logs a user out itself. The rule is in the feed's form (camelCase, epoch milliseconds), not the admin API's: token {kind, iss, tokenId, expiresAt}, session {kind, iss, sid}, subject {kind, iss, sub}. iss must be this service's issuer. A session or subject rule ends the stored sessions first (no refresh after it), then is written with the service's clock as its cutoff: a cutoff in the request is refused. reason is logout (the default) or logout_all; the actor recorded is client:<id> (admin with the admin credential). Key, issuer and allow rules, and rules of another issuer, are refused with 403 ERR_RULE_FORBIDDEN.",
        security: [{ client: [] }, { admin: [] }],
        body: {
          type: 'object',
          required: ['rule'],
          additionalProperties: false,
          properties: {
            rule: CLIENT_RULE_INPUT_SCHEMA,
            reason: { type: 'string', enum: ['logout', 'logout_all'] },
          },
        },
        response: {
          201: FEED_EVENT_SCHEMA,
          400: errorAnswer(
            'The body is not valid: ERR_BAD_REQUEST, or ERR_REVOCATION_INVALID naming what is wrong with the rule.',
          ),
          401: errorAnswer('No client or admin credential, or a wrong one (ERR_CLIENT_AUTH_FAILED).'),
          403: errorAnswer(
            'A rule a client may not write: another issuer, or a key, issuer or allow rule (ERR_RULE_FORBIDDEN).',
          ),
          503: errorAnswer(
            'The database cannot record the revocation now (ERR_LOG_UNAVAILABLE); nothing was revoked.',
          ),
        },
      },
      attachValidation: true,
      // The response schema documents the answer; it never filters it.
      serializerCompiler: plainJsonSerializer,
    },
    async (request, reply) => {
      const { actor, mayRevoke } = await authorizeWriter(request);
      if (request.validationError)
        throw refusedClientBody(request.validationError, request.body, config.issuer);
      const rule = clientRuleOf(request.body.rule, config.issuer, Date.now(), mayRevoke);
      const event = await runtime.sessions.applyRule(rule, {
        actor,
        reason: request.body.reason ?? 'logout',
      });
      reply.header('Cache-Control', 'no-store');
      return reply.status(201).send(event);
    },
  );

  app.get<{ Querystring: { after?: string } }>(
    '/revocations/stream',
    // The query and header schemas document after and Last-Event-ID; parseSeq reads them.
    { schema: feedStreamSchema(SSE_HEARTBEAT_MS), attachValidation: true },
    async (request, reply) => {
      await authorize(request);
      // HEAD (Fastify routes it here) describes the stream without opening one that never ends.
      if (request.method === 'HEAD') {
        reply.header('Cache-Control', 'no-store').type('text/event-stream; charset=utf-8');
        return reply.send();
      }
      const resume =
        parseSeq(request.headers['last-event-id'] ?? request.query.after) ?? (await storage.log.lastSeq());
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
        'X-Content-Type-Options': 'nosniff',
      });
      let sent = resume;
      let live = false;
      const pending: RevocationEvent[] = [];
      const send = (event: RevocationEvent) => {
        if (event.seq <= sent) return;
        sent = event.seq;
        raw.write(`id: ${event.seq}\nevent: revocation\ndata: ${JSON.stringify(event)}\n\n`);
      };
      const unsubscribe = storage.log.subscribe((event) => (live ? send(event) : pending.push(event)));
      const beat = async () => {
        try {
          // The time is taken first: the heartbeat then says "everything up to seq was known at `at`".
          const at = Date.now();
          const seq = await storage.log.lastSeq();
          raw.write(`event: heartbeat\ndata: ${JSON.stringify({ seq, at })}\n\n`);
        } catch {
          /* the log is closing; the stream ends with it */
        }
      };
      const timer = setInterval(beat, SSE_HEARTBEAT_MS);
      const stop = () => {
        clearInterval(timer);
        unsubscribe();
        streams.delete(raw);
      };
      streams.add(raw);
      raw.on('close', stop);
      try {
        raw.write(`retry: 1000\n\n`);
        for (
          let batch = await storage.log.readAfter(sent, 1000);
          batch.length > 0;
          batch = await storage.log.readAfter(sent, 1000)
        ) {
          for (const event of batch) send(event);
        }
        live = true;
        for (const event of pending.splice(0)) send(event);
        await beat();
      } catch (err) {
        stop();
        request.log.warn({ err: { message: (err as Error).message } }, 'revocation stream failed');
        raw.end();
      }
    },
  );
}
