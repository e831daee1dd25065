import { RevocableError } from '../errors.js';
import { type Algorithm, isAlgorithm } from '../keys/algorithms.js';
import type { KeyResolver } from '../keys/verification-key.js';
import { readBodyWithin } from '../net/read-body.js';
import type { Revoker } from '../revocation/revoker.js';
import type { RevocationEvent } from '../revocation/rules.js';
import { DEFAULT_SIZE_LIMITS, type SizeLimits } from '../token/compact.js';
import { normalizeTyp } from '../verify/header.js';
import { type LogoutTokenClaims, type LogoutTokenPolicy, verifyLogoutToken } from './logout-token.js';
import { MemorySeenTokenStore } from './memory-seen-token-store.js';
import type { SeenTokenStore } from './seen-token-store.js';

/** Options of a {@link BackchannelLogoutReceiver}. Checked when it is created (`ERR_CONFIG_INVALID`). */
export interface BackchannelLogoutOptions {
  /** The OP's issuer identifier; the logout token's `iss` must equal it. */
  readonly issuer: string;
  /** The OP's keys, usually the `keys` of the {@link TrustedIssuer} (its `RemoteJwks`). */
  readonly keys: KeyResolver;
  /** This RP's `client_id` at the OP (the logout token's `aud`). */
  readonly clientId: string | readonly string[];
  /** Writes the `session` / `subject` rules. */
  readonly revoker: Revoker;
  /**
   * Accepted `typ` header values. Default `['logout+jwt']` (§2.4 recommends explicit typing). Add
   * `null` to accept logout tokens without `typ`; add `'JWT'` only for OPs that type them so (Keycloak
   * before 25): that gives up the protection explicit typing offers against other JWTs of the OP.
   */
  readonly types?: readonly (string | null)[];
  /** Oldest accepted `iat`, seconds. Default 120. */
  readonly maxAgeSec?: number;
  /**
   * Refuse logout tokens without `exp`. Default `true`: Back-Channel Logout 1.0 (final, 2022) makes
   * `exp` REQUIRED. Set `false` only for an OP built on an earlier draft that omits it; the `iat` age
   * limit (`maxAgeSec`) still bounds how long such a token is accepted.
   */
  readonly requireExp?: boolean;
  /** Default 5 seconds. */
  readonly clockToleranceSec?: number;
  /** Default EdDSA, ES256, RS256. */
  readonly algorithms?: readonly Algorithm[];
  /**
   * With `sid` in the logout token: `true` (default) writes a `session` rule for that session only;
   * `false` writes a `subject` rule (every token of that user issued until the logout), for OPs whose access
   * tokens carry no `sid` (Auth0's default profile, Entra ID), where a session rule would match nothing.
   */
  readonly preferSession?: boolean;
  /**
   * Where accepted `jti`s are remembered for replay protection, in the scope
   * `backchannel-logout:<issuer>`. Default: a {@link MemorySeenTokenStore} of this receiver alone
   * (per process). Give a shared store (the service's `storage.seenTokens`, a `SqlSeenTokenStore`) so
   * that a replay sent to another process is refused too.
   */
  readonly seen?: SeenTokenStore;
  /** Size of the default in-memory replay memory (`jti`s of accepted logout tokens). Default 10,000. */
  readonly maxRememberedTokens?: number;
  readonly limits?: Partial<SizeLimits>;
  readonly clock?: () => number;
}

/** What one accepted logout token did. */
export interface BackchannelLogoutOutcome {
  readonly rule: 'session' | 'subject';
  readonly iss: string;
  readonly sub: string | undefined;
  readonly sid: string | undefined;
  readonly jti: string;
  /** The revocation as the log recorded it. */
  readonly event: RevocationEvent;
}

/** A framework-neutral HTTP answer: write `status`, `headers` and `body` as they are. */
export interface BackchannelLogoutResponse {
  readonly status: 200 | 400 | 405;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Set on success. */
  readonly outcome?: BackchannelLogoutOutcome;
}

/** Largest accepted request body, bytes. */
const MAX_BODY_BYTES = 16 * 1024;
const FORM_TYPE = 'application/x-www-form-urlencoded';
const UNAVAILABLE = new Set(['ERR_JWKS_UNAVAILABLE', 'ERR_LOG_UNAVAILABLE', 'ERR_REVOCATION_STALE']);

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/** A problem with the request itself (not the token): answered without an error code. */
class RequestProblem extends Error {}

function errorResponse(status: 400 | 405, error: string, description: string): BackchannelLogoutResponse {
  return {
    status,
    headers: { 'cache-control': 'no-store', 'content-type': 'application/json' },
    body: JSON.stringify({ error, error_description: description }),
  };
}

function logoutTokenOf(
  body: string | URLSearchParams | Readonly<Record<string, unknown>> | undefined,
): string {
  let values: unknown[];
  if (typeof body === 'string') {
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new RequestProblem('The request body is too large.');
    values = new URLSearchParams(body).getAll('logout_token');
  } else if (body instanceof URLSearchParams) {
    values = body.getAll('logout_token');
  } else if (typeof body === 'object' && body !== null) {
    const value = body['logout_token'];
    values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  } else {
    values = [];
  }
  if (values.length !== 1)
    throw new RequestProblem('The request must carry exactly one "logout_token" parameter.');
  const [token] = values;
  if (typeof token !== 'string' || token.length === 0) throw new RequestProblem('"logout_token" is empty.');
  return token;
}

function readBody(request: Request): Promise<string> {
  return readBodyWithin(request, MAX_BODY_BYTES, () => new RequestProblem('The request body is too large.'));
}

/**
 * An OIDC Back-Channel Logout 1.0 receiver for one OP: validates each `logout_token` completely (see
 * {@link verifyLogoutToken}), refuses a `jti` seen before (a {@link SeenTokenStore}, by default a
 * bounded in-memory one, held for each token's acceptance window), and turns it into a `session` rule (`sid`) or a `subject` rule
 * (`sub`) through a {@link Revoker}, with reason `backchannel_logout` and actor `issuer:<iss>`, whose
 * cutoff is the logout token's `iat`: tokens the OP issued up to the logout are revoked, a login after
 * it is not, even when the same logout token is delivered (or replayed) later to another process. Every
 * API process following the log then rejects the tokens of that session or user.
 *
 * The HTTP side is framework-neutral: {@link handleRequest} takes a fetch `Request`;
 * {@link handleForm} takes the raw `application/x-www-form-urlencoded` body (or a parsed one) and
 * returns status, headers and body to write. Per §2.8: 200 with `Cache-Control: no-store` on success;
 * 400 with `{"error", "error_description"}` otherwise — `invalid_request` for a bad request or token,
 * `temporarily_unavailable` when the OP's keys or the revocation log could not be reached.
 *
 * @example
 * ```ts
 * const receiver = new BackchannelLogoutReceiver({ issuer: op.issuer, keys: op.keys, clientId: 'spa', revoker });
 * // Express: raw form body in, answer out
 * app.post('/backchannel-logout', express.text({ type: 'application/x-www-form-urlencoded' }), async (req, res) => {
 *   const answer = await receiver.handleForm(req.body, req.get('content-type'));
 *   res.status(answer.status).set(answer.headers).send(answer.body);
 * });
 * ```
 */
export class BackchannelLogoutReceiver {
  readonly issuer: string;
  readonly #keys: KeyResolver;
  readonly #revoker: Revoker;
  readonly #policy: LogoutTokenPolicy;
  readonly #preferSession: boolean;
  readonly #seen: SeenTokenStore;
  readonly #seenScope: string;
  readonly #clock: () => number;

  constructor(options: BackchannelLogoutOptions) {
    if (!options || typeof options.issuer !== 'string' || options.issuer.length === 0) {
      throw config('issuer must be a non-empty string.');
    }
    if (typeof options.keys?.get !== 'function') throw config('keys must be a KeyResolver.');
    if (typeof options.revoker?.revokeSession !== 'function') throw config('revoker must be a Revoker.');
    const clientIds = typeof options.clientId === 'string' ? [options.clientId] : options.clientId;
    if (
      !Array.isArray(clientIds) ||
      clientIds.length === 0 ||
      clientIds.some((c) => typeof c !== 'string' || !c)
    ) {
      throw config('clientId must be a non-empty string or array of them.');
    }
    const types = options.types ?? ['logout+jwt'];
    if (types.length === 0 || types.some((t) => t !== null && (typeof t !== 'string' || t.length === 0))) {
      throw config('types must list media types (or null for "no typ").');
    }
    const algorithms = options.algorithms ?? ['EdDSA', 'ES256', 'RS256'];
    if (algorithms.length === 0 || !algorithms.every(isAlgorithm)) {
      throw config('algorithms holds an unsupported value.');
    }
    const maxAgeSec = options.maxAgeSec ?? 120;
    const tolerance = options.clockToleranceSec ?? 5;
    if (!(maxAgeSec > 0 && maxAgeSec <= 3600)) throw config('maxAgeSec must be between 0 and 3600.');
    if (!(tolerance >= 0 && tolerance <= 300)) throw config('clockToleranceSec must be between 0 and 300.');
    const requireExp = options.requireExp ?? true;
    if (typeof requireExp !== 'boolean') throw config('requireExp must be true or false.');
    this.issuer = options.issuer;
    this.#keys = options.keys;
    this.#revoker = options.revoker;
    this.#preferSession = options.preferSession ?? true;
    this.#clock = options.clock ?? Date.now;
    if (options.seen !== undefined && typeof options.seen?.remember !== 'function') {
      throw config('seen must be a SeenTokenStore.');
    }
    this.#seen =
      options.seen ??
      new MemorySeenTokenStore({ maxEntries: options.maxRememberedTokens ?? 10_000, clock: this.#clock });
    this.#seenScope = `backchannel-logout:${options.issuer}`;
    this.#policy = {
      issuer: options.issuer,
      audiences: new Set(clientIds),
      algorithms: new Set(algorithms),
      types: new Set(types.map((t) => (t === null ? null : normalizeTyp(t)))),
      maxAgeSec,
      requireExp,
      clockToleranceSec: tolerance,
      limits: { ...DEFAULT_SIZE_LIMITS, ...options.limits },
    };
  }

  /**
   * Validates one logout token and writes its rule. Throws `RevocableError`: the validation codes,
   * `ERR_CLAIM_INVALID` (claim `jti`) for a replay, or the log's error (then the `jti` is not
   * remembered, so the OP may retry).
   *
   * @example
   * ```ts
   * const { rule, sid } = await receiver.receive(logoutToken);
   * ```
   */
  async receive(logoutToken: string): Promise<BackchannelLogoutOutcome> {
    const now = this.#clock();
    const { claims } = await verifyLogoutToken(logoutToken, this.#keys, this.#policy, now);
    const tolerance = this.#policy.clockToleranceSec;
    const until = Math.max(claims.iat + this.#policy.maxAgeSec, claims.exp ?? 0) * 1000 + tolerance * 1000;
    if (!(await this.#seen.remember(this.#seenScope, claims.jti, until))) {
      throw new RevocableError('ERR_CLAIM_INVALID', 'This logout token has been received before.', {
        claim: 'jti',
      });
    }
    try {
      return await this.#revoke(claims);
    } catch (err) {
      // Best effort: when the store cannot forget, a retry is refused as a replay until `until`.
      await this.#seen.forget(this.#seenScope, claims.jti).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Answers a back-channel logout POST from its form body: the raw string, `URLSearchParams`, or an
   * object a body parser made. Pass the request's `Content-Type` to have it checked. Errors other than
   * `RevocableError` (bugs) are rethrown.
   *
   * @example
   * ```ts
   * const { status, headers, body } = await receiver.handleForm(rawBody, req.headers['content-type']);
   * ```
   */
  async handleForm(
    body: string | URLSearchParams | Readonly<Record<string, unknown>> | undefined,
    contentType?: string,
  ): Promise<BackchannelLogoutResponse> {
    try {
      if (contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() !== FORM_TYPE) {
        throw new RequestProblem(`The request must be ${FORM_TYPE}.`);
      }
      const outcome = await this.receive(logoutTokenOf(body));
      return { status: 200, headers: { 'cache-control': 'no-store' }, body: '', outcome };
    } catch (err) {
      if (err instanceof RequestProblem) return errorResponse(400, 'invalid_request', err.message);
      if (!(err instanceof RevocableError)) throw err;
      const error = UNAVAILABLE.has(err.code) ? 'temporarily_unavailable' : 'invalid_request';
      return errorResponse(400, error, `${err.code}: ${err.message}`);
    }
  }

  /**
   * Answers a back-channel logout POST given as a fetch `Request` (Hono, Next.js, Deno, Bun, or
   * node:http through a `Request`). Other methods get 405.
   *
   * @example
   * ```ts
   * app.post('/backchannel-logout', (c) => receiver.handleRequest(c.req.raw));
   * ```
   */
  async handleRequest(request: Request): Promise<Response> {
    let answer: BackchannelLogoutResponse;
    if (request.method !== 'POST') {
      answer = errorResponse(405, 'invalid_request', 'Back-channel logout requests are POSTs.');
      return new Response(answer.body, {
        status: answer.status,
        headers: { ...answer.headers, allow: 'POST' },
      });
    }
    let body: string;
    try {
      body = await readBody(request);
    } catch (err) {
      if (!(err instanceof RequestProblem)) throw err;
      answer = errorResponse(400, 'invalid_request', err.message);
      return new Response(answer.body, { status: answer.status, headers: answer.headers });
    }
    answer = await this.handleForm(body, request.headers.get('content-type') ?? '');
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  }

  #revoke(claims: LogoutTokenClaims): Promise<BackchannelLogoutOutcome> {
    const audit = { reason: 'backchannel_logout', actor: `issuer:${claims.iss}`.slice(0, 256) } as const;
    const { iss, sub, sid, jti } = claims;
    const asSession = sid !== undefined && (this.#preferSession || sub === undefined);
    // The logout happened at `iat` (the OP's clock, the one its access tokens' `iat` use): a replay to
    // another process (whose jti memory is its own) then writes the same cutoff, not a later one.
    const cutoff = Math.floor(claims.iat * 1000);
    const written = asSession
      ? this.#revoker.revokeSession(iss, sid, audit, cutoff)
      : this.#revoker.revokeSubject(iss, sub!, audit, cutoff);
    return written.then((event) => ({
      rule: asSession ? 'session' : 'subject',
      iss,
      sub,
      sid,
      jti,
      event,
    }));
  }
}
