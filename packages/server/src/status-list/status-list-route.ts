import { STATUS_LIST_JWT_MEDIA_TYPE } from '@revocable/core';
import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../errors.js';
import { errorAnswer, errorAnswers } from '../http/openapi-schemas.js';
import type { StatusListPublisher } from './status-list-publisher.js';

/** The media ranges an `Accept` value allows the Status List Token under (with a weight above 0). */
const SERVES = new Set([STATUS_LIST_JWT_MEDIA_TYPE, 'application/*', '*/*']);

/**
 * Whether an `Accept` header lets us answer `application/statuslist+jwt` (RFC 9110 §12.5.1): no
 * header accepts anything; otherwise one range must match it (exactly, `application/*` or `*\/*`)
 * with a `q` above 0.
 *
 * @example
 * ```ts
 * acceptsStatusListJwt('application/statuslist+jwt'); // true
 * acceptsStatusListJwt('application/json'); // false
 * ```
 */
export function acceptsStatusListJwt(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type === undefined || !SERVES.has(type)) return false;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

const LIST_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;

/**
 * `GET /status-lists/{id}` (`--status-list`): the Status List Token of the service's access tokens,
 * signed with its keys, served as `application/statuslist+jwt` with `Cache-Control: max-age` the
 * time left of its `ttl`. A request whose `Accept` does not allow that type is answered 406.
 *
 * @example
 * ```ts
 * statusListRoutes(app, { publisher, listId: '1' });
 * ```
 */
export function statusListRoutes(
  app: FastifyInstance,
  lists: { readonly publisher: StatusListPublisher; readonly listId: string },
): void {
  app.get<{ Params: { id: string } }>(
    '/status-lists/:id',
    {
      schema: {
        tags: ['status list'],
        summary: 'Token Status List of the access tokens (--status-list)',
        description: [
          'The Status List Token (draft-ietf-oauth-status-list) that the access tokens name in `status.status_list.uri`: a JWT with `typ: statuslist+jwt`, signed with the keys of /.well-known/jwks.json, whose `sub` is this URL, with `iat`, `exp`, `ttl` and `status_list {bits: 1, lst}`. The entry `idx` of a token is 1 (INVALID) once any revocation rule covers it (token, session, subject, key or issuer), 0 otherwise.',
          '',
          "Send `Accept: application/statuslist+jwt` (an Accept that does not allow it is answered 406). `Cache-Control: max-age` is the time left of the token's `ttl`; the list is re-signed within --status-list-interval of a change. 503 when the list could not be brought up to date for longer than its `ttl`.",
        ].join('\n'),
        params: { type: 'object', required: ['id'], properties: { id: LIST_ID } },
        response: {
          200: {
            description: 'The Status List Token, a compact JWS.',
            headers: {
              'Cache-Control': { type: 'string', description: 'public, max-age=<seconds left of ttl>' },
            },
            content: { [STATUS_LIST_JWT_MEDIA_TYPE]: { schema: { type: 'string' } } },
          },
          ...errorAnswers(400, 503),
          404: errorAnswer(404, 'No status list has this id (ERR_NOT_FOUND).'),
          406: errorAnswer(406),
        },
      },
    },
    async (request, reply) => {
      if (request.params.id !== lists.listId) throw new ServiceError('ERR_NOT_FOUND', 'No such status list.');
      if (!acceptsStatusListJwt(request.headers.accept)) {
        throw new ServiceError(
          'ERR_NOT_ACCEPTABLE',
          `The status list is served as ${STATUS_LIST_JWT_MEDIA_TYPE} only: send Accept: ${STATUS_LIST_JWT_MEDIA_TYPE}.`,
        );
      }
      const published = lists.publisher.current();
      const left = Math.floor((published.issuedAt + published.ttlSec * 1000 - Date.now()) / 1000);
      reply
        .header('Cache-Control', `public, max-age=${Math.max(0, Math.min(published.ttlSec, left))}`)
        .header('Vary', 'Accept')
        .type(STATUS_LIST_JWT_MEDIA_TYPE);
      return published.token;
    },
  );
}
