import type { ServerResponse } from 'node:http';
import type { RevocationEvent } from '@revocable/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from '../errors.js';
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

/**
 * The feed for remote replicas: `GET /revocations` (a snapshot, or the events after `?after=SEQ`) and
 * `GET /revocations/stream` (Server-Sent Events: `revocation` events with `id: seq`, resumable with
 * `Last-Event-ID`, and `heartbeat` events). Both need a confidential client or the admin credential.
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
    await clients.authenticate(request.headers.authorization, undefined);
  };

  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/revocations',
    { schema: { tags: ['feed'], summary: 'Snapshot of live rules, or the events after ?after=SEQ' } },
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

  app.get<{ Querystring: { after?: string } }>(
    '/revocations/stream',
    {
      schema: { tags: ['feed'], summary: 'Server-Sent Events feed with Last-Event-ID resume and heartbeats' },
    },
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
