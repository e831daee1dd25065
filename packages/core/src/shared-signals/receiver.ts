import { timingSafeEqual } from 'node:crypto';
import { RevocableError } from '../errors.js';
import { MemorySeenTokenStore } from '../external/memory-seen-token-store.js';
import type { SeenTokenStore } from '../external/seen-token-store.js';
import { type Algorithm, isAlgorithm } from '../keys/algorithms.js';
import type { KeyResolver } from '../keys/verification-key.js';
import type { Revoker } from '../revocation/revoker.js';
import type { RevocationEvent } from '../revocation/rules.js';
import { DEFAULT_SIZE_LIMITS, type SizeLimits } from '../token/compact.js';
import { type EventTarget, eventTargetOf } from './event-target.js';
import { EVENT_TYPES } from './event-types.js';
import {
  type SecurityEventClaims,
  type SecurityEventPolicy,
  verifySecurityEventToken,
} from './security-event-token.js';
import { isTransient, SetProblem, setErrorOf } from './set-problem.js';

/** Options of a {@link SharedSignalsReceiver}. Checked when it is created (`ERR_CONFIG_INVALID`). */
export interface SharedSignalsReceiverOptions {
  /** The transmitter's issuer (its `ssf-configuration` `issuer`): every SET's `iss` must equal it. */
  readonly issuer: string;
  /** The transmitter's keys: a `RemoteJwks` on its `jwks_uri` (see {@link discoverTransmitter}). */
  readonly keys: KeyResolver;
  /** This receiver's audience at the transmitter (the stream's `aud`): a SET's `aud` must contain one. */
  readonly audience: string | readonly string[];
  /** Writes the `session` / `subject` rules. */
  readonly revoker: Revoker;
  /**
   * Where accepted `jti`s are remembered (scope `ssf:<issuer>`), until `iat + maxAgeSec`. Default: an
   * in-memory store of this receiver; give `storage.seenTokens` (or a `SqlSeenTokenStore`) to refuse a
   * replay sent to another process.
   */
  readonly seen?: SeenTokenStore;
  /**
   * The token issuers whose sessions and users this transmitter may revoke. Default: the transmitter's
   * own issuer. An event about another issuer's user is refused with `access_denied`.
   */
  readonly ruleIssuers?: readonly string[];
  /** The transmitter's `critical_subject_members`: complex-subject members that must be understood. */
  readonly criticalSubjectMembers?: readonly string[];
  /**
   * The exact `Authorization` header value the transmitter sends with each push (the stream's
   * `delivery.authorization_header`). Unset: not checked (the SET's signature authenticates it).
   */
  readonly authorization?: string;
  /** Oldest accepted `iat`, seconds. Default 86,400 (poll delivery may hand over day-old SETs). */
  readonly maxAgeSec?: number;
  /** Default 60 seconds. */
  readonly clockToleranceSec?: number;
  /** Default EdDSA, ES256, RS256. */
  readonly algorithms?: readonly Algorithm[];
  readonly limits?: Partial<SizeLimits>;
  readonly clock?: () => number;
}

/** What one accepted SET did. */
export interface SharedSignalOutcome {
  /**
   * `revoked`: a rule was written (`event`); `recorded`: accepted for the audit trail, no rule
   * (`token-claims-change`, `stream-updated`); `verified`: a verification event (`state` echoed).
   */
  readonly action: 'revoked' | 'recorded' | 'verified';
  readonly iss: string;
  readonly jti: string;
  readonly eventType: string;
  readonly txn: string | undefined;
  /** The session or user the event is about (`revoked`, and `recorded` claims changes). */
  readonly target: EventTarget | undefined;
  /** The rule as the log recorded it (`revoked` only). */
  readonly event: RevocationEvent | undefined;
  /** A verification event's `state`, or a stream-updated event's `status`. */
  readonly state: string | undefined;
}

/** A framework-neutral HTTP answer: write `status`, `headers` and `body` as they are. */
export interface SharedSignalsResponse {
  readonly status: 202 | 400 | 405 | 415 | 503;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly outcome?: SharedSignalOutcome;
  /** On a refusal: the RFC 8935 code, for the caller's log. */
  readonly err?: string;
}

const MAX_BODY_BYTES = 64 * 1024;
const SET_BODY_TYPE = 'application/secevent+jwt';

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function nonEmptyStrings(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0);
}

/**
 * The receiving end of an OpenID Shared Signals Framework 1.0 stream from one transmitter. Each SET
 * is verified completely ({@link verifySecurityEventToken}: `typ` `secevent+jwt`, signature by the
 * transmitter's keys, `iss`, `aud`, `iat`, one event), refused when its `jti` was accepted before (a
 * {@link SeenTokenStore}), and acted on:
 * - CAEP `session-revoked` → a `session` rule (or a `subject` rule when the subject names a user and
 *   no session), cutoff the event's time;
 * - CAEP `credential-change` → a `subject` rule (the user's tokens issued until the change);
 * - CAEP `token-claims-change`, SSF `stream-updated` → accepted and reported for the audit trail, no rule;
 * - SSF `verification` → accepted, its `state` reported;
 * - any other event type → refused (`invalid_request`), nothing written.
 *
 * Rules carry reason `shared_signal` and actor `transmitter:<iss>`; their cutoff is the event's
 * `event_timestamp` (never later than `iat`), so a late or replayed delivery revokes nothing issued
 * after the event. Nothing is written for a SET refused for any reason, and a SET whose rule could not
 * be written is forgotten so the transmitter may deliver it again.
 *
 * {@link handlePush} and {@link handleRequest} answer RFC 8935 push deliveries: 202 on success; 400
 * `{"err", "description"}` with `invalid_request`, `invalid_key`, `invalid_issuer`,
 * `invalid_audience`, `authentication_failed` or `access_denied`; 503 when the keys or the log could
 * not be reached (deliver again later).
 *
 * @example
 * ```ts
 * const { metadata, keys } = await discoverTransmitter({ issuer: 'https://idp.example' });
 * const receiver = new SharedSignalsReceiver({ issuer: metadata.issuer, keys, audience: 'my-api', revoker });
 * app.post('/ssf/push', (c) => receiver.handleRequest(c.req.raw));
 * ```
 */
export class SharedSignalsReceiver {
  readonly issuer: string;
  readonly #keys: KeyResolver;
  readonly #revoker: Revoker;
  readonly #seen: SeenTokenStore;
  readonly #scope: string;
  readonly #ruleIssuers: ReadonlySet<string>;
  readonly #critical: readonly string[];
  readonly #authorization: string | undefined;
  readonly #policy: SecurityEventPolicy;
  readonly #clock: () => number;

  constructor(options: SharedSignalsReceiverOptions) {
    if (!options || typeof options.issuer !== 'string' || options.issuer.length === 0) {
      throw config('issuer must be a non-empty string.');
    }
    if (typeof options.keys?.get !== 'function') throw config('keys must be a KeyResolver.');
    if (typeof options.revoker?.revokeSession !== 'function') throw config('revoker must be a Revoker.');
    const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
    if (!nonEmptyStrings(audiences) || audiences.length === 0) {
      throw config('audience must be a non-empty string or array of them.');
    }
    const ruleIssuers = options.ruleIssuers ?? [options.issuer];
    if (!nonEmptyStrings(ruleIssuers)) throw config('ruleIssuers must list issuers.');
    const critical = options.criticalSubjectMembers ?? [];
    if (!nonEmptyStrings(critical)) throw config('criticalSubjectMembers must list member names.');
    if (options.seen !== undefined && typeof options.seen?.remember !== 'function') {
      throw config('seen must be a SeenTokenStore.');
    }
    if (
      options.authorization !== undefined &&
      (typeof options.authorization !== 'string' || !options.authorization)
    ) {
      throw config('authorization must be a non-empty string.');
    }
    const algorithms = options.algorithms ?? ['EdDSA', 'ES256', 'RS256'];
    if (algorithms.length === 0 || !algorithms.every(isAlgorithm)) {
      throw config('algorithms holds an unsupported value.');
    }
    const maxAgeSec = options.maxAgeSec ?? 86_400;
    const tolerance = options.clockToleranceSec ?? 60;
    if (!(maxAgeSec > 0 && maxAgeSec <= 7 * 86_400)) throw config('maxAgeSec must be between 0 and 604800.');
    if (!(tolerance >= 0 && tolerance <= 300)) throw config('clockToleranceSec must be between 0 and 300.');
    this.issuer = options.issuer;
    this.#keys = options.keys;
    this.#revoker = options.revoker;
    this.#clock = options.clock ?? Date.now;
    this.#seen = options.seen ?? new MemorySeenTokenStore({ clock: this.#clock });
    this.#scope = `ssf:${options.issuer}`;
    this.#ruleIssuers = new Set(ruleIssuers);
    this.#critical = critical;
    this.#authorization = options.authorization;
    this.#policy = {
      issuer: options.issuer,
      audiences: new Set(audiences),
      algorithms: new Set(algorithms),
      maxAgeSec,
      clockToleranceSec: tolerance,
      limits: { ...DEFAULT_SIZE_LIMITS, ...options.limits },
    };
  }

  /**
   * Verifies one SET and acts on it. Throws {@link SetProblem} for a SET this receiver refuses by
   * meaning (unknown event type, unusable subject, another issuer's tokens), `RevocableError` for a
   * token that fails verification (map it with `setErrorOf`) or a replay (`ERR_CLAIM_INVALID`, claim
   * `jti`), and the log's or the seen store's `ERR_LOG_UNAVAILABLE` (then nothing is remembered).
   *
   * @example
   * ```ts
   * const { action, target } = await receiver.receive(set);
   * ```
   */
  async receive(set: string): Promise<SharedSignalOutcome> {
    const now = this.#clock();
    const { claims } = await verifySecurityEventToken(set, this.#keys, this.#policy, now);
    const act = this.#plan(claims);
    const until = (claims.iat + this.#policy.maxAgeSec + this.#policy.clockToleranceSec) * 1000;
    if (!(await this.#seen.remember(this.#scope, claims.jti, until))) {
      throw new RevocableError('ERR_CLAIM_INVALID', 'This SET has been received before.', { claim: 'jti' });
    }
    try {
      return await act();
    } catch (err) {
      await this.#seen.forget(this.#scope, claims.jti).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Answers an RFC 8935 push: `body` is the request body (the SET), `contentType` and `authorization`
   * the request's headers. Errors other than `RevocableError` and `SetProblem` (bugs) are rethrown.
   *
   * @example
   * ```ts
   * const answer = await receiver.handlePush(rawBody, req.headers['content-type'], req.headers.authorization);
   * res.status(answer.status).set(answer.headers).send(answer.body);
   * ```
   */
  async handlePush(
    body: string | undefined,
    contentType: string | undefined,
    authorization?: string,
  ): Promise<SharedSignalsResponse> {
    try {
      if (this.#authorization !== undefined && !sameText(authorization ?? '', this.#authorization)) {
        throw new SetProblem(
          'authentication_failed',
          'The request does not carry the expected Authorization header.',
        );
      }
      if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== SET_BODY_TYPE) {
        return refusal(415, 'invalid_request', `A SET is pushed as ${SET_BODY_TYPE}.`);
      }
      const set = (body ?? '').trim();
      if (set.length === 0) throw new SetProblem('invalid_request', 'The request body holds no SET.');
      if (Buffer.byteLength(set) > MAX_BODY_BYTES)
        throw new SetProblem('invalid_request', 'The SET is too large.');
      const outcome = await this.receive(set);
      return { status: 202, headers: { 'cache-control': 'no-store' }, body: '', outcome };
    } catch (err) {
      return answerFor(err);
    }
  }

  /**
   * Answers an RFC 8935 push given as a fetch `Request`. Other methods get 405.
   *
   * @example
   * ```ts
   * app.post('/ssf/push', (c) => receiver.handleRequest(c.req.raw));
   * ```
   */
  async handleRequest(request: Request): Promise<Response> {
    if (request.method !== 'POST') {
      const answer = refusal(405, 'invalid_request', 'SETs are pushed with POST.');
      return new Response(answer.body, { status: 405, headers: { ...answer.headers, allow: 'POST' } });
    }
    const length = Number(request.headers.get('content-length') ?? '0');
    const answer =
      length > MAX_BODY_BYTES
        ? refusal(400, 'invalid_request', 'The SET is too large.')
        : await this.handlePush(
            await request.text(),
            request.headers.get('content-type') ?? undefined,
            request.headers.get('authorization') ?? undefined,
          );
    return new Response(answer.status === 202 ? null : answer.body, {
      status: answer.status,
      headers: answer.headers,
    });
  }

  /** Checks what the SET asks for before anything is remembered or written; returns the work. */
  #plan(claims: SecurityEventClaims): () => Promise<SharedSignalOutcome> {
    const base = { iss: claims.iss, jti: claims.jti, eventType: claims.eventType, txn: claims.txn };
    const done = (
      action: SharedSignalOutcome['action'],
      target?: EventTarget,
      event?: RevocationEvent,
      state?: unknown,
    ): SharedSignalOutcome => ({
      ...base,
      action,
      target,
      event,
      state: typeof state === 'string' ? state.slice(0, 256) : undefined,
    });
    switch (claims.eventType) {
      case EVENT_TYPES.verification:
        return async () => done('verified', undefined, undefined, claims.event['state']);
      case EVENT_TYPES.streamUpdated:
        return async () => done('recorded', undefined, undefined, claims.event['status']);
      case EVENT_TYPES.tokenClaimsChange: {
        const target = this.#targetOf(claims);
        return async () => done('recorded', target);
      }
      case EVENT_TYPES.sessionRevoked:
      case EVENT_TYPES.credentialChange: {
        const target = this.#targetOf(claims);
        if (claims.eventType === EVENT_TYPES.credentialChange) {
          const { credential_type: credential, change_type: change } = claims.event;
          if (typeof credential !== 'string' || typeof change !== 'string') {
            throw new SetProblem(
              'invalid_request',
              'A credential-change event needs credential_type and change_type.',
            );
          }
        }
        const rule: EventTarget =
          claims.eventType === EVENT_TYPES.credentialChange && target.kind === 'session'
            ? { kind: 'subject', iss: target.iss, sub: target.sub ?? '' }
            : target;
        if (rule.kind === 'subject' && rule.sub === '') {
          throw new SetProblem('invalid_request', 'A credential-change event must name a user.');
        }
        const cutoff = this.#cutoffOf(claims);
        const audit = { reason: 'shared_signal', actor: `transmitter:${claims.iss}`.slice(0, 256) } as const;
        return async () => {
          const event =
            rule.kind === 'session'
              ? await this.#revoker.revokeSession(rule.iss, rule.sid, audit, cutoff)
              : await this.#revoker.revokeSubject(rule.iss, rule.sub, audit, cutoff);
          return done('revoked', rule, event);
        };
      }
      default:
        throw new SetProblem(
          'invalid_request',
          `The event type ${JSON.stringify(claims.eventType.slice(0, 200))} is not supported by this receiver.`,
        );
    }
  }

  #targetOf(claims: SecurityEventClaims): EventTarget {
    const target = eventTargetOf(claims.eventType, claims.subject, claims.iss, this.#critical);
    if (!this.#ruleIssuers.has(target.iss)) {
      throw new SetProblem(
        'access_denied',
        'This transmitter may not act on tokens of the issuer the subject names.',
      );
    }
    return target;
  }

  /** The event's time (ms), never later than the SET's `iat`: a bad timestamp cannot reach the future. */
  #cutoffOf(claims: SecurityEventClaims): number {
    const at = claims.event['event_timestamp'];
    if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at) || at < 0)) {
      throw new SetProblem('invalid_request', 'The event_timestamp is not a NumericDate.');
    }
    return Math.floor(Math.min(at ?? claims.iat, claims.iat) * 1000);
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function refusal(status: 400 | 405 | 415 | 503, err: string, description: string): SharedSignalsResponse {
  return {
    status,
    headers: { 'cache-control': 'no-store', 'content-type': 'application/json' },
    body: JSON.stringify({ err, description }),
    err,
  };
}

function answerFor(err: unknown): SharedSignalsResponse {
  if (err instanceof SetProblem) return refusal(400, err.err, err.message);
  if (!(err instanceof RevocableError)) throw err;
  if (isTransient(err)) {
    const answer = refusal(
      503,
      'temporarily_unavailable',
      'The receiver cannot decide now; deliver the SET again later.',
    );
    return { ...answer, headers: { ...answer.headers, 'retry-after': '5' } };
  }
  return refusal(400, setErrorOf(err), `${err.code}: ${err.message}`);
}
