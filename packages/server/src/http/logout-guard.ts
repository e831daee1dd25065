import { bearerToken, type VerifiedToken, Verifier } from '@revocable/core';
import { createAuthenticator } from '@revocable/core/fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { bearerOptions } from './bearer-guard.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the logout guard when the token's own earlier logout revoked it (a retried logout). */
    logoutAlreadyDone?: boolean;
  }
}

/**
 * The bearer guard of `/auth/logout` and `/auth/logout-all`, retry-safe: the core's authenticator
 * first; a token it refuses only because its own completed logout revoked it (see
 * `SessionService.alreadyLoggedOut`) passes with `request.logoutAlreadyDone` set, so the route answers
 * success without writing anything again. Any other refusal is the core's RFC 6750 answer.
 *
 * @example
 * ```ts
 * app.post('/auth/logout', { preHandler: logoutGuard(runtime) }, handler);
 * ```
 */
export function logoutGuard(runtime: Runtime) {
  // The service's own tokens and every trusted issuer's: holding the token is the right to end it.
  const authenticate = createAuthenticator({ ...bearerOptions(runtime), verifier: runtime.anyIssuer });
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const verdict = await authenticate(request.headers.authorization);
    if (verdict.ok) {
      request.auth = verdict.auth;
      return undefined;
    }
    if (verdict.cause.code === 'ERR_TOKEN_REVOKED') {
      const retried = await retriedLogout(runtime, request, verdict.cause.rule);
      if (retried) return undefined;
    }
    return reply.code(verdict.status).headers(verdict.headers).send(verdict.body);
  };
}

async function retriedLogout(
  runtime: Runtime,
  request: FastifyRequest,
  rule: Parameters<Runtime['sessions']['alreadyLoggedOut']>[1],
): Promise<boolean> {
  let verified: VerifiedToken;
  try {
    const token = bearerToken(request.headers.authorization);
    const external = await externalIgnoringRevocation(runtime, token);
    verified = await (external ?? runtime.verifierIgnoringRevocation).verify(token);
  } catch {
    return false;
  }
  const own = verified.claims.iss === runtime.config.issuer;
  // A trusted issuer's token has no stored session here: the rule that revoked it is its logout.
  if (
    own
      ? !(await runtime.sessions.alreadyLoggedOut(verified.claims, rule))
      : rule === 'key' || rule === 'issuer'
  )
    return false;
  request.auth = verified;
  request.logoutAlreadyDone = true;
  return true;
}

/** Verifiers of trusted issuers' tokens that skip revocation, made on first use, per runtime. */
const unrevoked = new WeakMap<Runtime, Map<string, Verifier>>();

/**
 * For a trusted issuer's token: a verifier with that issuer's keys, audience and profile but no
 * revocation (to recognise a retried logout, never to accept a request); `undefined` for the service's
 * own tokens. Throws for an issuer that is not trusted or not reachable.
 */
async function externalIgnoringRevocation(runtime: Runtime, token: string): Promise<Verifier | undefined> {
  const { issuer } = runtime.anyIssuer.routeOf(token);
  if (issuer === runtime.config.issuer) return undefined;
  const config = runtime.issuers.configByIssuer(issuer)!;
  const cache = unrevoked.get(runtime) ?? new Map<string, Verifier>();
  unrevoked.set(runtime, cache);
  const held = cache.get(issuer);
  if (held !== undefined) return held;
  const trusted = (await runtime.issuers.trusted(config.id))!;
  const verifier = new Verifier({
    keys: trusted.keys,
    issuer,
    audience: config.audience,
    types: config.types ?? trusted.profile.types,
    requiredClaims: trusted.profile.requiredClaims,
    tokenIdClaim: trusted.profile.tokenIdClaim,
    algorithms: ['EdDSA', 'ES256', 'RS256'],
    revocation: 'none',
    maxTokenLifetimeSec: config.maxTokenLifetimeSec,
  });
  cache.set(issuer, verifier);
  return verifier;
}
