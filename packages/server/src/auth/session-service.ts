import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AccessTokenIssuer,
  type AccessTokenRequest,
  DEFAULT_REVOCATION_POLICY,
  type IssuedAccessToken,
  type RevocationEvent,
  type RevocationPolicy,
  type RevocationReason,
  type RevocationRule,
  type Revoker,
  type RuleKind,
} from '@revocable/core';
import {
  isSessionLive,
  type RefreshTokenRecord,
  type SessionRecord,
  type SessionStore,
  validateRequests,
} from '@revocable/core/internal';
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
  readonly #revoker: Revoker;
  readonly #iss: string;
  readonly #policy: SessionPolicy;
  readonly #allowlist: boolean;
  readonly #events: SessionEvents;
  readonly #clock: () => number;
  readonly #rulePolicy: RevocationPolicy;
  readonly #acceptIssued: (token: string) => void;
  readonly #mint: (request: AccessTokenRequest) => Promise<IssuedAccessToken>;
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
    /** The revocation log's policy, to check an operator's rule before it ends sessions. */
    rulePolicy?: RevocationPolicy;
    /**
     * Checks a freshly signed access token the way verifiers will (size limits, claims); throws to
     * refuse it. Runs before a new session is stored, so a session whose tokens nobody would accept
     * is never opened.
     */
    acceptIssued?: (token: string) => void;
    /** Signs an access token; default `issuer.issue`. `--status-list` gives each token its list entry here. */
    mint?: (request: AccessTokenRequest) => Promise<IssuedAccessToken>;
  }) {
    this.#store = deps.store;
    this.#revoker = deps.revoker;
    this.#iss = deps.iss;
    this.#policy = deps.policy;
    this.#allowlist = deps.allowlist ?? false;
    this.#events = deps.events ?? {};
    this.#clock = deps.clock ?? Date.now;
    this.#rulePolicy = deps.rulePolicy ?? DEFAULT_REVOCATION_POLICY;
    this.#acceptIssued = deps.acceptIssued ?? (() => {});
    this.#mint = deps.mint ?? (async (request) => deps.issuer.issue(request));
  }

  /** Opens a session and returns its first tokens. */
  async open(request: OpenSessionRequest): Promise<TokenSet> {
    const now = await this.#issueTime();
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
    // Sign and check first: a request the issuer refuses (bad claims), or a token verifiers would
    // refuse (too large), must not leave a session behind.
    const access = await this.#accessToken(session, now);
    this.#acceptIssued(access.set.accessToken);
    await this.#store.createSession(session, {
      hash: refresh.hash,
      sessionId: session.id,
      generation: 1,
      createdAt: now,
      expiresAt: session.idleExpiresAt,
      consumedAt: null,
      superseded: false,
    });
    await this.#allow(access);
    return { ...access.set, refreshToken: refresh.token, sessionId: session.id };
  }

  /**
   * Rotates a refresh token: exactly one of concurrent callers gets the next token. A token spent by
   * its own rotation and presented again within the grace window (the immediately previous token only)
   * gets one sibling, once. Any other reuse — a second replay, a replay after the window, a token
   * superseded because the other branch rotated — revokes the whole session and answers
   * `ERR_REFRESH_TOKEN_REUSED`. So two holders of one token (tabs racing, or a thief and its owner)
   * get one refresh at most before the next refresh of either party ends the session for the other.
   *
   * The access token it signs counts as issued at the moment the refresh was decided (before the
   * store's rotation), so a logout that ends the session after the rotation also revokes it.
   */
  async refresh(refreshToken: unknown, context: ClientContext, clientId?: string): Promise<TokenSet> {
    if (!isRefreshTokenShape(refreshToken)) throw invalidRefresh();
    const now = await this.#issueTime();
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
    if (outcome.status === 'rotated') return this.#tokens(outcome.session, now, next.token);
    const { token, session } = outcome;
    if (this.#mayEarnSibling(token, now)) {
      // The store decides the rest (generation, superseded, one sibling per spent token) atomically.
      if (await this.#store.addSibling(session.id, spentHash, record, session.refreshGeneration))
        return this.#tokens(session, now, next.token);
    }
    this.#events.onRefreshReuse?.();
    await this.end(session.id, { actor: 'system', reason: 'refresh_reuse' });
    throw new ServiceError(
      'ERR_REFRESH_TOKEN_REUSED',
      'This refresh token was already used; the session has been revoked as a precaution.',
    );
  }

  /**
   * Ends one session, retry-safe: the stored session first (from then on no refresh can rotate it),
   * then a `session` rule (its access tokens die). The rule is written even when the session had
   * already ended, so calling again after a failure between the two steps completes the logout.
   */
  async end(sessionId: string, audit: { actor: string; reason: RevocationReason }): Promise<void> {
    await this.#store.endSession(sessionId, this.#clock(), audit.reason);
    this.#noteCutoff(await this.#revoker.revokeSession(this.#iss, sessionId, audit));
  }

  /**
   * Ends every session of a user, retry-safe like {@link SessionService.end}: the stored sessions
   * first, then a `subject` cutoff. With `keep`, that session survives (password change from it) and
   * gets a fresh access token issued after the cutoff.
   */
  async endAllOf(
    sub: string,
    audit: { actor: string; reason: RevocationReason },
    keep?: string,
  ): Promise<{ ended: string[]; kept?: { accessToken: string; expiresIn: number } }> {
    const ended = await this.#store.endSessionsOf(sub, this.#clock(), audit.reason, keep);
    this.#noteCutoff(await this.#revoker.revokeSubject(this.#iss, sub, audit));
    if (keep === undefined) return { ended };
    const session = await this.#store.getSession(keep);
    if (!session || !isSessionLive(session, this.#clock())) return { ended };
    const access = await this.#accessToken(session, await this.#issueTime());
    await this.#allow(access);
    return { ended, kept: { accessToken: access.set.accessToken, expiresIn: access.set.expiresIn } };
  }

  /**
   * Applies an operator's rule (the admin API) through the same steps as a logout: a `session` or
   * `subject` rule ends the stored sessions first, then the rule is written as given.
   */
  async applyRule(
    rule: RevocationRule,
    audit: { actor: string; reason: RevocationReason },
  ): Promise<RevocationEvent> {
    // Checked before anything is ended: a rule the log would refuse must not end sessions on its own.
    const [checked] = validateRequests([{ rule, ...audit }], this.#clock(), this.#rulePolicy);
    const valid = checked!.rule;
    // Stored sessions are this service's own: a rule about another issuer's subject "alice" must not
    // end the sessions of this service's user "alice".
    const own = valid.iss === this.#iss;
    if (own && valid.kind === 'session') await this.#store.endSession(valid.sid, this.#clock(), audit.reason);
    if (own && valid.kind === 'subject')
      await this.#store.endSessionsOf(valid.sub, this.#clock(), audit.reason);
    const event = await this.#revoker.revoke(valid, audit);
    this.#noteCutoff(event);
    return event;
  }

  /**
   * Whether a logout presented with a token that a rule revoked was already carried out: the token's
   * session has ended and a `session` or `subject` rule covers it (this service ends the stored
   * session before it writes such a rule), or a token without a session was revoked by a `token`
   * rule. Lets a client retry a logout whose answer it lost, with the token that logout revoked.
   */
  async alreadyLoggedOut(
    claims: { sub: string; sid?: string },
    rule: RuleKind | undefined,
  ): Promise<boolean> {
    if (claims.sid === undefined) return rule === 'token';
    if (rule !== 'session' && rule !== 'subject') return false;
    const session = await this.#store.getSession(claims.sid);
    return session !== undefined && session.sub === claims.sub && session.endedAt !== null;
  }

  /** The user's live sessions, newest first. */
  list(sub: string): Promise<SessionRecord[]> {
    return this.#store.listSessions(sub);
  }

  get(sessionId: string): Promise<SessionRecord | undefined> {
    return this.#store.getSession(sessionId);
  }

  /** A spent token's own rotation spent it, within the grace window (a window of 0: never). */
  #mayEarnSibling(token: RefreshTokenRecord, now: number): boolean {
    const grace = this.#policy.refreshGraceMs;
    return grace > 0 && !token.superseded && token.consumedAt !== null && now - token.consumedAt <= grace;
  }

  async #tokens(session: SessionRecord, issuedAtMs: number, refreshToken: string): Promise<TokenSet> {
    const access = await this.#accessToken(session, issuedAtMs);
    await this.#allow(access);
    return { ...access.set, refreshToken, sessionId: session.id };
  }

  /** Now, strictly after any cutoff this process wrote (a same-millisecond login is not revoked). */
  async #issueTime(): Promise<number> {
    while (this.#clock() <= this.#lastCutoff) await sleep(1);
    return this.#clock();
  }

  async #accessToken(session: SessionRecord, issuedAtMs: number): Promise<IssuedAccess> {
    const issued = await this.#mint({
      sub: session.sub,
      sid: session.id,
      clientId: session.clientId,
      issuedAtMs,
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
    await this.#revoker.allow({ iss: claims.iss, tokenId: claims.jti!, expiresAtMs: claims.exp * 1000 });
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
