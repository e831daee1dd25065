import formbody from '@fastify/formbody';
import { BackchannelLogoutReceiver, type BackchannelLogoutResponse } from '@revocable/core';
import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../errors.js';
import { BODY_LIMIT } from '../http/body-limit.js';
import { errorAnswer, errorAnswers, ref } from '../http/openapi-schemas.js';
import type { Runtime } from '../runtime.js';

/** A refused logout as the RFC 6749-style body of /oauth/*: `error`, `error_description`, `code`. */
function refusal(answer: BackchannelLogoutResponse): { status: 400 | 503; body: Record<string, string> } {
  let parsed: { error?: string; error_description?: string } = {};
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {}
  const description = parsed.error_description ?? 'The logout token was refused.';
  // The receiver prefixes token errors with their code ("ERR_TOKEN_EXPIRED: …").
  const code = /^(ERR_[A-Z_]+): /.exec(description)?.[1] ?? 'ERR_BAD_REQUEST';
  const unavailable = parsed.error === 'temporarily_unavailable';
  return {
    status: unavailable ? 503 : 400,
    body: {
      error: unavailable ? 'temporarily_unavailable' : 'invalid_request',
      error_description: description,
      code,
    },
  };
}

/**
 * `POST /backchannel-logout/{issuer-id}`: OIDC Back-Channel Logout 1.0 from a trusted issuer whose
 * entry has `backchannelLogout`. The `logout_token` is verified with that issuer's keys (its `iss`
 * must be that issuer: a token of one issuer posted to another's endpoint is refused) and becomes a
 * `session` rule (with `sid`, when the issuer's access tokens carry it) or a `subject` cutoff at its
 * `iat`. A replayed `jti` is refused; nothing is written on any error.
 *
 * @example
 * ```ts
 * backchannelRoutes(app, runtime); // the IdP is registered with https://auth.example/backchannel-logout/keycloak
 * ```
 */
export function backchannelRoutes(parent: FastifyInstance, runtime: Runtime): void {
  const receivers = new Map<string, Promise<BackchannelLogoutReceiver>>();
  const receiverOf = (issuerId: string): Promise<BackchannelLogoutReceiver> | undefined => {
    const config = runtime.issuers.configById(issuerId);
    if (config?.backchannelLogout === undefined) return undefined;
    let receiver = receivers.get(issuerId);
    if (receiver === undefined) {
      receiver = runtime.issuers.trusted(issuerId).then(
        (trusted) =>
          new BackchannelLogoutReceiver({
            issuer: config.issuer,
            keys: trusted!.keys,
            clientId: config.backchannelLogout!.clientId,
            revoker: runtime.revoker,
            preferSession: config.backchannelLogout!.preferSession,
            // Replay memory in the store: a logout token replayed to another process is refused too.
            seen: runtime.storage.seenTokens,
          }),
      );
      // An issuer unreachable now is tried again on the next logout token.
      receiver.catch(() => receivers.delete(issuerId));
      receivers.set(issuerId, receiver);
    }
    return receiver;
  };

  parent.register(async (app) => {
    await app.register(formbody, { bodyLimit: BODY_LIMIT });
    app.post<{ Params: { issuerId: string }; Body: Record<string, unknown> }>(
      '/backchannel-logout/:issuerId',
      {
        schema: {
          tags: ['oauth'],
          summary: 'OIDC Back-Channel Logout receiver for a trusted issuer',
          description:
            "The IdP POSTs logout_token (application/x-www-form-urlencoded). Verified with the trusted issuer's keys and audience (its backchannelLogout.clientId); becomes a session rule (sid) or a subject cutoff. 200 once written; 400 with invalid_request for a bad, foreign or replayed token; 404 for an issuer id not configured for back-channel logout.",
          consumes: ['application/x-www-form-urlencoded'],
          params: {
            type: 'object',
            required: ['issuerId'],
            properties: { issuerId: { type: 'string', maxLength: 63 } },
          },
          response: {
            200: { type: 'null', description: 'The logout was recorded. No body.' },
            400: errorAnswer(
              400,
              'invalid_request: a bad, foreign (another issuer) or replayed logout token, with its code.',
              ref('OAuthError'),
            ),
            404: errorAnswer(404, 'No trusted issuer with this id receives back-channel logout.'),
            503: errorAnswer(
              503,
              "temporarily_unavailable: the issuer's keys or the log cannot be reached; nothing was written, retry.",
              ref('OAuthError'),
            ),
            ...errorAnswers(415),
          },
        },
      },
      async (request, reply) => {
        const { issuerId } = request.params;
        const pending = receiverOf(issuerId);
        if (pending === undefined) {
          throw new ServiceError(
            'ERR_NOT_FOUND',
            'No trusted issuer with this id receives back-channel logout.',
          );
        }
        reply.header('cache-control', 'no-store');
        let answer: BackchannelLogoutResponse;
        try {
          const receiver = await pending;
          answer = await receiver.handleForm(request.body, request.headers['content-type']);
        } catch {
          runtime.metrics.backchannelLogouts.inc({ issuer: issuerId, result: 'unavailable' });
          return reply
            .status(503)
            .header('retry-after', '5')
            .send({
              error: 'temporarily_unavailable',
              error_description: `The keys of trusted issuer "${issuerId}" could not be loaded; nothing was written.`,
              code: 'ERR_JWKS_UNAVAILABLE',
            });
        }
        if (answer.status === 200) {
          runtime.metrics.backchannelLogouts.inc({ issuer: issuerId, result: 'ok' });
          return reply.status(200).send();
        }
        const { status, body } = refusal(answer);
        runtime.metrics.backchannelLogouts.inc({ issuer: issuerId, result: 'refused' });
        request.log.warn(
          { event: 'backchannel_logout_refused', issuer: issuerId, code: body['code'] },
          'Back-channel logout refused; nothing was written.',
        );
        if (status === 503) reply.header('retry-after', '5');
        return reply.status(status).send(body);
      },
    );
  });
}
