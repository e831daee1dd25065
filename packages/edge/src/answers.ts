import { HTTP_STATUS, RevocableError } from '@revocable/core';
import type { AuthFailure } from '@revocable/core/fetch';
import type { FastifyError, FastifyReply } from 'fastify';
import { EdgeError, type EdgeErrorCode } from './errors.js';

/**
 * Sends a token refusal as every Revocable middleware does: the RFC 6750 `WWW-Authenticate`
 * challenge (401, 403), `Cache-Control: no-store`, and `{ error, message }`; 503 when stale.
 *
 * @example
 * ```ts
 * if (verdict.kind === 'refused') return sendRefusal(reply, verdict.failure);
 * ```
 */
export function sendRefusal(reply: FastifyReply, failure: AuthFailure): FastifyReply {
  return reply.status(failure.status).headers(failure.headers).send(failure.body);
}

/**
 * Sends one of the edge's own refusals (`{ error, message }` with the code's status, no-store).
 *
 * @example
 * ```ts
 * return sendEdgeError(reply, new EdgeError('ERR_NOT_FOUND', 'No such edge endpoint.'));
 * ```
 */
export function sendEdgeError(reply: FastifyReply, error: EdgeError): FastifyReply {
  return reply
    .status(error.status)
    .header('Cache-Control', 'no-store')
    .send({ error: error.code, message: error.message });
}

/** The path is not canonical: refused before the rules, so no upstream can read it differently. */
export const BAD_PATH = (): EdgeError =>
  new EdgeError(
    'ERR_BAD_REQUEST',
    'The request path is not canonical (dot segments, "//", backslashes or encoded "." "/" "\\"): refused, so no server behind the edge can read it as another path.',
  );

const FASTIFY_CODES: Readonly<Record<number, EdgeErrorCode>> = {
  413: 'ERR_BODY_TOO_LARGE',
  415: 'ERR_UNSUPPORTED_MEDIA_TYPE',
};

/**
 * The edge's error handler: its own and Revocable errors by their codes, Fastify's request errors
 * (a body too large, a bad content type) as the matching code, anything else a bland 500.
 *
 * @example
 * ```ts
 * app.setErrorHandler(handleEdgeError);
 * ```
 */
export function handleEdgeError(error: FastifyError, _request: unknown, reply: FastifyReply) {
  if (error instanceof EdgeError) return sendEdgeError(reply, error);
  if (error instanceof RevocableError) {
    return reply
      .status(HTTP_STATUS[error.code])
      .header('Cache-Control', 'no-store')
      .send({ error: error.code, message: error.message });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = FASTIFY_CODES[status] ?? 'ERR_BAD_REQUEST';
    return sendEdgeError(reply, new EdgeError(code, 'The request could not be read.'));
  }
  reply.log.error({ err: error }, 'edge error');
  return sendEdgeError(reply, new EdgeError('ERR_INTERNAL', 'Internal error.'));
}
