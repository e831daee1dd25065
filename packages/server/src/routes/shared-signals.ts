import { CAEP_EVENTS_SUPPORTED, DELIVERY_METHOD, SET_MEDIA_TYPE } from '@revocable/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { type Receiving, startReceiving } from '../ssf/receiving.js';
import { StreamRegistry, type StreamRequest, streamConfiguration } from '../ssf/streams.js';
import { subjectKeysOf } from '../ssf/subjects.js';
import { type PollArguments, SharedSignalsTransmitter, type TransmitterNotice } from '../ssf/transmitter.js';

const HIDDEN = { schema: { hide: true } } as const;
const NO_STORE = { 'cache-control': 'no-store' } as const;

function bad(message: string): ServiceError {
  return new ServiceError('ERR_BAD_REQUEST', message);
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('The body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** An RFC 8936 poll body, checked. */
function pollArguments(body: unknown): PollArguments {
  const { ack = [], setErrs = {}, maxEvents = 25, returnImmediately = true } = objectBody(body ?? {});
  const isJti = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= 256;
  if (!Array.isArray(ack) || ack.length > 1000 || !ack.every(isJti))
    throw bad('ack must be an array of at most 1000 jti strings (1 to 256 characters).');
  if (typeof setErrs !== 'object' || setErrs === null || Array.isArray(setErrs))
    throw bad('setErrs must be an object.');
  const errs = Object.entries(setErrs);
  if (
    errs.length > 1000 ||
    !errs.every(
      ([jti, problem]) =>
        isJti(jti) &&
        typeof problem === 'object' &&
        problem !== null &&
        !Array.isArray(problem) &&
        (problem.err === undefined || typeof problem.err === 'string') &&
        (problem.description === undefined || typeof problem.description === 'string'),
    )
  ) {
    throw bad(
      'setErrs must map jti strings (1 to 256 characters) to {"err": string, "description"?: string}.',
    );
  }
  if (!Number.isInteger(maxEvents) || (maxEvents as number) < 0 || (maxEvents as number) > 1000) {
    throw bad('maxEvents must be a whole number from 0 to 1000.');
  }
  if (typeof returnImmediately !== 'boolean') throw bad('returnImmediately must be true or false.');
  return {
    ack: ack as string[],
    setErrs: setErrs as PollArguments['setErrs'],
    maxEvents: maxEvents as number,
    returnImmediately,
  };
}

/**
 * OpenID Shared Signals Framework 1.0, both ways.
 *
 * Transmitter (always on): `GET /.well-known/ssf-configuration`; the stream management API for
 * confidential clients (HTTP Basic, as for the feed) — `/ssf/streams` (POST create, GET read or list,
 * PATCH update, DELETE), `/ssf/status` (GET, POST), `/ssf/verify` (POST), `/ssf/subjects/add` and
 * `/ssf/subjects/remove` (POST; every subject is sent by default) — and `POST
 * /ssf/poll/:streamId` (RFC 8936). The service's revocations go out as CAEP events.
 *
 * Receiver (with `--ssf-transmitter`, or the file's `sharedSignals.transmitters`): `POST
 * /ssf/push/{id}` (RFC 8935) takes SETs from that transmitter, and `POST /ssf/push` from the only one
 * (or, with several, the one the SET's `iss` names); a transmitter with a poll endpoint is polled.
 *
 * @example
 * ```ts
 * sharedSignalsRoutes(app, runtime);
 * ```
 */
export function sharedSignalsRoutes(app: FastifyInstance, runtime: Runtime): void {
  void app.register(async (scope) => sharedSignalsScope(scope, runtime));
}

async function sharedSignalsScope(app: FastifyInstance, runtime: Runtime): Promise<void> {
  const { config, clients } = runtime;
  const issuer = config.issuer;
  const notice: TransmitterNotice = (level, facts, message) => app.log[level]({ ssf: facts }, message);
  const pollUrlOf = (streamId: string) => `${issuer}/ssf/poll/${streamId}`;
  const streams = new StreamRegistry({
    store: runtime.storage.streams,
    allowHttp: new URL(issuer).protocol === 'http:',
    pollUrlOf,
    lastSeq: () => runtime.storage.log.lastSeq(),
  });
  const transmitter = new SharedSignalsTransmitter({
    issuer,
    keys: runtime.keys,
    log: runtime.storage.log,
    sessions: runtime.storage.sessions,
    streams,
    store: runtime.storage.streams,
    notice,
  });
  /** When each stream last asked for a verification event (this process's count; at most one a second). */
  const lastVerification = new Map<string, number>();
  transmitter.start();
  const receivings = startReceiving(runtime, notice);
  app.addHook('onClose', async () => {
    await transmitter.stop();
    await Promise.all(receivings.map((r) => r.stop()));
  });

  // A SET body arrives as text; JSON bodies keep the service's parser.
  app.addContentTypeParser(
    SET_MEDIA_TYPE,
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_request, body, done) => done(null, body),
  );

  const clientOf = (request: FastifyRequest) =>
    clients.authenticate(request.headers.authorization, undefined);
  const json = (reply: FastifyReply, status: number, body: unknown) =>
    reply
      .code(status)
      .headers({ ...NO_STORE, 'content-type': 'application/json' })
      .send(JSON.stringify(body));

  app.get('/.well-known/ssf-configuration', HIDDEN, async (_request, reply) =>
    json(reply, 200, {
      spec_version: '1_0',
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      delivery_methods_supported: [DELIVERY_METHOD.push, DELIVERY_METHOD.poll],
      configuration_endpoint: `${issuer}/ssf/streams`,
      status_endpoint: `${issuer}/ssf/status`,
      verification_endpoint: `${issuer}/ssf/verify`,
      add_subject_endpoint: `${issuer}/ssf/subjects/add`,
      remove_subject_endpoint: `${issuer}/ssf/subjects/remove`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:7617' }],
      default_subjects: 'ALL',
      events_supported: CAEP_EVENTS_SUPPORTED,
    }),
  );

  app.post('/ssf/streams', HIDDEN, async (request, reply) => {
    const owner = await clientOf(request);
    const stream = await streams.create(owner, objectBody(request.body) as StreamRequest);
    return json(reply, 201, streamConfiguration(stream, issuer));
  });
  app.get<{ Querystring: { stream_id?: string } }>('/ssf/streams', HIDDEN, async (request, reply) => {
    const owner = await clientOf(request);
    if (request.query.stream_id === undefined) {
      return json(
        reply,
        200,
        (await streams.list(owner)).map((s) => streamConfiguration(s, issuer)),
      );
    }
    return json(reply, 200, streamConfiguration(await streams.get(owner, request.query.stream_id), issuer));
  });
  app.patch('/ssf/streams', HIDDEN, async (request, reply) => {
    const owner = await clientOf(request);
    const body = objectBody(request.body);
    const stream = await streams.update(await streams.get(owner, body['stream_id']), body as StreamRequest);
    return json(reply, 200, streamConfiguration(stream, issuer));
  });
  app.delete<{ Querystring: { stream_id?: string } }>('/ssf/streams', HIDDEN, async (request, reply) => {
    const owner = await clientOf(request);
    const stream = await streams.get(owner, request.query.stream_id);
    await streams.delete(stream);
    transmitter.forget(stream);
    return reply.code(204).headers(NO_STORE).send();
  });

  app.get<{ Querystring: { stream_id?: string } }>('/ssf/status', HIDDEN, async (request, reply) => {
    const stream = await streams.get(await clientOf(request), request.query.stream_id);
    return json(reply, 200, {
      stream_id: stream.streamId,
      status: stream.status,
      ...(stream.reason && { reason: stream.reason }),
    });
  });
  app.post('/ssf/status', HIDDEN, async (request, reply) => {
    const body = objectBody(request.body);
    const current = await streams.get(await clientOf(request), body['stream_id']);
    const { status, reason } = body;
    if (status !== 'enabled' && status !== 'paused' && status !== 'disabled') {
      throw bad('status must be enabled, paused or disabled.');
    }
    if (reason !== undefined && typeof reason !== 'string') throw bad('reason must be a string.');
    const stream = await streams.setStatus(current, status, reason?.slice(0, 256));
    if (stream.status !== current.status) await transmitter.streamUpdated(stream);
    if (status === 'enabled') transmitter.resume(); // held SETs go out now
    return json(reply, 200, {
      stream_id: stream.streamId,
      status,
      ...(stream.reason && { reason: stream.reason }),
    });
  });

  app.post('/ssf/subjects/add', HIDDEN, async (request, reply) => {
    const body = objectBody(request.body);
    const stream = await streams.get(await clientOf(request), body['stream_id']);
    if (body['verified'] !== undefined && typeof body['verified'] !== 'boolean') {
      throw bad('verified must be true or false.');
    }
    await streams.addSubject(stream, subjectKeysOf(body['subject']));
    return reply.code(200).headers(NO_STORE).send();
  });
  app.post('/ssf/subjects/remove', HIDDEN, async (request, reply) => {
    const body = objectBody(request.body);
    const stream = await streams.get(await clientOf(request), body['stream_id']);
    await streams.removeSubject(stream, subjectKeysOf(body['subject']));
    return reply.code(204).headers(NO_STORE).send();
  });

  app.post('/ssf/verify', HIDDEN, async (request, reply) => {
    const body = objectBody(request.body);
    const stream = await streams.get(await clientOf(request), body['stream_id']);
    const { state } = body;
    if (state !== undefined && (typeof state !== 'string' || state.length > 1024)) {
      throw bad('state must be a string of at most 1024 characters.');
    }
    const now = Date.now();
    if (now - (lastVerification.get(stream.streamId) ?? 0) < 1_000) {
      throw new ServiceError('ERR_RATE_LIMITED', 'At most one verification request per second.', {
        retryAfterSec: 1,
      });
    }
    lastVerification.set(stream.streamId, now);
    await transmitter.verify(stream, state);
    return reply.code(204).headers(NO_STORE).send();
  });

  app.post<{ Params: { streamId: string } }>('/ssf/poll/:streamId', HIDDEN, async (request, reply) => {
    const stream = await streams.get(await clientOf(request), request.params.streamId);
    if (stream.method !== DELIVERY_METHOD.poll) throw bad('This stream is delivered by push, not poll.');
    return json(reply, 200, await transmitter.poll(stream, pollArguments(request.body)));
  });

  const push = async (receiving: Receiving | undefined, request: FastifyRequest, reply: FastifyReply) => {
    if (receiving === undefined) {
      throw new ServiceError(
        'ERR_NOT_FOUND',
        receivings.length === 0
          ? 'This service receives no Shared Signals: configure a transmitter (--ssf-transmitter or sharedSignals).'
          : 'No configured Shared Signals transmitter has this id (or this iss).',
      );
    }
    const receiver = receiving.receiver();
    if (receiver === undefined) {
      return reply
        .code(503)
        .headers({ ...NO_STORE, 'retry-after': '5', 'content-type': 'application/json' })
        .send(
          JSON.stringify({
            err: 'temporarily_unavailable',
            description: 'The transmitter has not been read yet.',
          }),
        );
    }
    const body = typeof request.body === 'string' ? request.body : undefined;
    const answer = await receiver.handlePush(
      body,
      request.headers['content-type'],
      request.headers.authorization,
    );
    if (answer.outcome !== undefined) {
      const { action, eventType, jti, target, event } = answer.outcome;
      request.log.info(
        {
          ssf: {
            transmitter: receiving.id,
            action,
            eventType,
            jti: jti.slice(0, 64),
            target: target?.kind,
            seq: event?.seq,
          },
        },
        'Shared Signals event received.',
      );
    } else if (answer.err !== undefined) {
      request.log.warn(
        { ssf: { transmitter: receiving.id, err: answer.err, status: answer.status } },
        'A pushed SET was refused.',
      );
    }
    return reply
      .code(answer.status)
      .headers(answer.headers)
      .send(answer.status === 202 ? undefined : answer.body);
  };
  // One transmitter: its pushes come here. Several: each has /ssf/push/{id}; here, the SET's `iss`
  // (unverified, only to choose whose keys verify it) picks one.
  app.post('/ssf/push', HIDDEN, async (request, reply) => {
    if (receivings.length <= 1) return push(receivings[0], request, reply);
    const receiving = receivingByIssuer(receivings, request.body);
    if (receiving !== undefined) return push(receiving, request, reply);
    return reply
      .code(400)
      .headers({ ...NO_STORE, 'content-type': 'application/json' })
      .send(
        JSON.stringify({
          err: 'invalid_issuer',
          description: 'The SET is from no configured transmitter (or one not read yet).',
        }),
      );
  });
  app.post<{ Params: { id: string } }>('/ssf/push/:id', HIDDEN, async (request, reply) =>
    push(
      receivings.find((r) => r.id === request.params.id),
      request,
      reply,
    ),
  );
}

/** The receiving whose transmitter's issuer is the SET's `iss`, read without verifying anything. */
function receivingByIssuer(receivings: readonly Receiving[], body: unknown): Receiving | undefined {
  if (typeof body !== 'string') return undefined;
  let iss: unknown;
  try {
    iss = JSON.parse(Buffer.from(body.split('.')[1] ?? '', 'base64url').toString('utf8'))?.iss;
  } catch {
    return undefined;
  }
  return typeof iss === 'string' ? receivings.find((r) => r.issuer() === iss) : undefined;
}
