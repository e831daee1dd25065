import { RevocableError } from '@revocable/core';
import type { FastifyError, FastifyInstance } from 'fastify';
import { errorResponse, ServiceError } from '../errors.js';

function fromFastify(err: FastifyError): ServiceError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServiceError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        'Send application/json (or a form for /oauth endpoints).',
      );
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ServiceError('ERR_INVALID_JSON', 'The body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ServiceError('ERR_BODY_TOO_LARGE', 'The body is too large.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ServiceError('ERR_BAD_REQUEST', 'The Content-Length does not match the body.');
  }
  if (err.validation)
    return new ServiceError('ERR_BAD_REQUEST', `Invalid request: ${err.message}`.slice(0, 300));
  if (err instanceof SyntaxError && err.statusCode === 400)
    return new ServiceError('ERR_INVALID_JSON', 'The body is not valid JSON.');
  if (err.statusCode === 404) return new ServiceError('ERR_NOT_FOUND', 'No such resource.');
  return undefined;
}

/**
 * Every error becomes `{ "error": CODE, "message": … }` with the code's status (protected routes'
 * token refusals are answered by the core's middleware before they get here); rate limits get
 * `Retry-After`.
 * Unexpected errors are logged (without request bodies or credentials) and answered as `ERR_INTERNAL`.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known =
      error instanceof ServiceError || error instanceof RevocableError ? error : fromFastify(error);
    // A client that hung up mid-request is not the service's failure: a debug line, no stack (an
    // error line with a stack per dropped connection would be a cheap way to flood the log).
    if (request.raw.socket?.destroyed === true) request.log.debug('client closed the connection mid-request');
    else if (!known)
      request.log.error(
        { err: { type: error.name, message: error.message, stack: error.stack } },
        'request failed',
      );
    const { status, body } = errorResponse(known ?? error);
    if (known instanceof ServiceError && known.retryAfterSec !== undefined)
      reply.header('Retry-After', String(known.retryAfterSec));
    if (status === 503) reply.header('Retry-After', reply.getHeader('Retry-After') ?? '1');
    reply.header('Cache-Control', 'no-store');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((_request, reply) => {
    return reply.status(404).send({ error: 'ERR_NOT_FOUND', message: 'No such route.' });
  });
}
