import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AccessTokenIssuer,
  IssuedAccessToken,
  RevocationEvent,
  RevocationReason,
  Revoker,
  SessionRecord,
  SessionStore,
} from '@revocable/core';
import { ServiceError } from '../errors.js';
import { hashRefreshToken, isRefreshTokenShape, newRefreshToken, newSessionId } from './refresh-tokens.js';

/** What login and refresh give a client (the OAuth token response, RFC 6749 §5.1). */
export interface TokenSet {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly sessionId: string;
  readonly scope: string | null;
}

/** How sessions live. */
export interface SessionPolicy {
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** A spent refresh token used again within this window (the immediately previous one only) gets a sibling. */
  readonly refreshGraceMs: number;
}

/** Where a request came from, kept on the session for the user's device list. */
export interface ClientContext {
  readonly device: string | null;
  readonly ip: string | null;
}

/** Hooks for metrics. */
export interface SessionEvents {
  onRefreshReuse?(): void;
}

/** A new session's owner and contents. */
export interface OpenSessionRequest extends ClientContext {
  readonly sub: string;
  readonly clientId: string;
  readonly scope?: string | null;
  readonly claims?: Readonly<Record<string, unknown>> | null;
}

/**
 * Sessions, refresh-token rotation with reuse detection, and the revocations that make logout real.
 * Every ending writes its revocation rule to the durable log first, so the access token in hand is
 * rejected as soon as the call returns.
 *
 * @example
 * ```ts
 * const tokens = await sessions.open({ sub: user.id, clientId: 'web', device, ip });
 * const next = await sessions.refresh(tokens.refreshToken, { device, ip });
 * await sessions.end(next.sessionId, { actor: `user:${user.id}`, reason: 'logout' });
 * ```
 */
export class SessionService {
  readonly #store: SessionStore;
  readonly #issuer: AccessTokenIssuer;
  readonly #revoker: Revoker;
  readonly #iss: string;
  readonly #policy: SessionPolicy;
  readonly #allowlist: boolean;
  readonly #events: SessionEvents;
  readonly #clock: () => number;
  #lastCutoff = 0;

  constructor(deps: {
    store: SessionStore;
    issuer: AccessTokenIssuer;
    revoker: Revoker;
    iss: string;
    policy: SessionPolicy;
    allowlist?: boolean;
    events?: SessionEvents;
    clock?: () => number;
  }) {
    this.#store = deps.store;
    this.#issuer = deps.issuer;
    this.#revoker = deps.revoker;
    this.#iss = deps.iss;
    this.#policy = deps.policy;
    this.#allowlist = deps.allowlist ?? false;
    this.#events = deps.events ?? {};
    this.#clock = deps.clock ?? Date.now;
  }

  /** Opens a session and returns its first tokens. */
  async open(request: OpenSessionRequest): Promise<TokenSet> {
    const now = this.#clock();
    const refresh = newRefreshToken();
    const session: SessionRecord = {
      id: newSessionId(),
      sub: request.sub,
      clientId: request.clientId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + this.#policy.idleMs, now + this.#policy.absoluteMs),
      absoluteExpiresAt: now + this.#policy.absoluteMs,
      scope: request.scope ?? null,
      claims: request.claims ?? null,
      refreshGeneration: 1,
      device: request.device,
      ip: request.ip,
      endedAt: null,
      endReason: null,
    };
    // Sign first: a request the issuer refuses (bad claims) must not leave a session behind.
    const access = await this.#accessToken(session);
    await this.#store.createSession(session, {
      hash: refresh.hash,
      sessionId: session.id,
      generation: 1,
      createdAt: now,
      expiresAt: session.idleExpiresAt,
      consumedAt: null,
    });
    await this.#allow(access);
    return { ...access.set, refreshToken: refresh.token, sessionId: session.id };
  }

  /**
   * Rotates a refresh token: exactly one of concurrent callers gets the next token. A spent token used
   * again within the grace window (the immediately previous token only) gets one sibling, once; any
   * other reuse — a second replay, a replay after the window, the unused branch of a fork used after
   * the other branch rotated — revokes the whole session and answers `ERR_REFRESH_TOKEN_REUSED`.
   */
  async refresh(refreshToken: unknown, context: ClientContext, clientId?: string): Promise<TokenSet> {
    if (!isRefreshTokenShape(refreshToken)) throw invalidRefresh();
    const now = this.#clock();
    const next = newRefreshToken();
    const record = {
      hash: next.hash,
      createdAt: now,
      expiresAt: now + this.#policy.idleMs,
      consumedAt: null,
    };
    const spentHash = hashRefreshToken(refreshToken);
    const outcome = await this.#store.rotate(spentHash, record, {
      now,
      idleExpiresAt: now + this.#policy.idleMs,
      device: context.device,
      ip: context.ip,
      ...(clientId !== undefined && { clientId }),
    });
    if (outcome.status === 'invalid') throw invalidRefresh();
    if (outcome.status === 'rotated') {
      const access = await this.#accessToken(outcome.session);
      await this.#allow(access);
      return { ...access.set, refreshToken: next.token, sessionId: outcome.session.id };
    }
    const { token, session } = outcome;
    // A window of 0 turns siblings off entirely (not even a reuse in the same millisecond gets one).
    const grace = this.#policy.refreshGraceMs;
    const withinGrace = grace > 0 && token.consumedAt !== null && now - token.consumedAt <= grace;
    if (
      withinGrace &&
      token.generation === session.refreshGeneration - 1 &&
      (await this.#store.addSibling(session.id, spentHash, record, session.refreshGeneration))
    ) {
      const access = await this.#accessToken(session);
      await this.#allow(access);
      return { ...access.set, refreshToken: next.token, sessionId: session.id };
    }
    this.#events.onRefreshReuse?.();
    await this.end(session.id, { actor: 'system', reason: 'refresh_reuse' });
    throw new ServiceError(
      'ERR_REFRESH_TOKEN_REUSED',
      'This refresh token was already used; the session has been revoked as a precaution.',
    );
  }

  /** Ends one session: a `session` rule first (its access tokens die now), then the stored session. */
  async end(sessionId: string, audit: { actor: string; reason: RevocationReason }): Promise<void> {
    const event = await this.#revoker.revokeSession(this.#iss, sessionId, audit);
    this.#noteCutoff(event);
    await this.#store.endSession(sessionId, this.#clock(), audit.reason);
  }

  /**
   * Ends every session of a user with a `subject` cutoff. With `keep`, that session survives (password
   * change from it) and gets a fresh access token issued after the cutoff.
   */
  async endAllOf(
    sub: string,
    audit: { actor: string; reason: RevocationReason },
    keep?: string,
  ): Promise<{ ended: string[]; kept?: { accessToken: string; expiresIn: number } }> {
    const event = await this.#revoker.revokeSubject(this.#iss, sub, audit);
    this.#noteCutoff(event);
    const ended = await this.#store.endSessionsOf(sub, this.#clock(), audit.reason, keep);
    if (keep === undefined) return { ended };
    const session = await this.#store.getSession(keep);
    if (!session || session.endedAt !== null) return { ended };
    const access = await this.#accessToken(session);
    await this.#allow(access);
    return { ended, kept: { accessToken: access.set.accessToken, expiresIn: access.set.expiresIn } };
  }

  /** The user's live sessions, newest first. */
  list(sub: string): Promise<SessionRecord[]> {
    return this.#store.listSessions(sub);
  }

  get(sessionId: string): Promise<SessionRecord | undefined> {
    return this.#store.getSession(sessionId);
  }

  async #accessToken(session: SessionRecord): Promise<IssuedAccess> {
    // A token must be issued strictly after any cutoff this process wrote (same-millisecond logins).
    while (this.#clock() <= this.#lastCutoff) await sleep(1);
    const issued = this.#issuer.issue({
      sub: session.sub,
      sid: session.id,
      clientId: session.clientId,
      ...(session.scope !== null && { scope: session.scope }),
      ...(session.claims !== null && { claims: session.claims }),
    });
    return {
      issued,
      set: { accessToken: issued.token, expiresIn: issued.expiresIn, scope: session.scope },
    };
  }

  async #allow(access: IssuedAccess): Promise<void> {
    if (!this.#allowlist) return;
    const { claims } = access.issued;
    await this.#revoker.allow({ tokenId: claims.jti!, expiresAtMs: claims.exp * 1000 });
  }

  /**
   * Tells the service about a revocation written elsewhere in this process (the admin API), so a token
   * it issues next is issued strictly after that revocation's cutoff.
   */
  noteRevocation(event: RevocationEvent): void {
    this.#noteCutoff(event);
  }

  #noteCutoff(event: RevocationEvent): void {
    if ('cutoff' in event.rule) this.#lastCutoff = Math.max(this.#lastCutoff, event.rule.cutoff);
  }
}

interface IssuedAccess {
  readonly issued: IssuedAccessToken;
  readonly set: Pick<TokenSet, 'accessToken' | 'expiresIn' | 'scope'>;
}

function invalidRefresh(): ServiceError {
  return new ServiceError(
    'ERR_REFRESH_TOKEN_INVALID',
    'The refresh token is invalid, expired or its session has ended.',
  );
}
