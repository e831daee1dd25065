import type { TokenFacts } from './check.js';
import type { RevocationLog } from './log.js';
import type { RevocationEvent, RevocationReason, RevocationRule } from './rules.js';

/** Who revokes and why, recorded with the rule for audit. */
export interface RevocationAudit {
  readonly reason: RevocationReason;
  /** `user:<sub>`, `admin:<name>`, `client:<id>`, `system`. */
  readonly actor: string;
}

/**
 * Turns "log this token / session / user out" into rules on a {@link RevocationLog}. Cutoffs are the
 * log writer's clock at the call, in ms: tokens issued at or before it are rejected, tokens issued
 * after it are accepted.
 *
 * @example
 * ```ts
 * const revoker = new Revoker(log);
 * await revoker.revokeToken(verified.facts, { reason: 'logout', actor: `user:${verified.claims.sub}` });
 * await revoker.revokeSubject(iss, 'user-1', { reason: 'password_change', actor: 'user:user-1' });
 * await revoker.revokeSession(iss, sid, { reason: 'backchannel_logout', actor: `issuer:${iss}` }, logoutIatMs);
 * ```
 */
export class Revoker {
  readonly #log: RevocationLog;
  readonly #clock: () => number;

  constructor(log: RevocationLog, clock: () => number = Date.now) {
    this.#log = log;
    this.#clock = clock;
  }

  /** Revokes one token (its issuer's, by id) until its `exp`: another issuer's token with that id stays valid. */
  revokeToken(
    facts: Pick<TokenFacts, 'iss' | 'tokenId' | 'expiresAtMs'>,
    audit: RevocationAudit,
  ): Promise<RevocationEvent> {
    return this.#append(
      { kind: 'token', iss: facts.iss, tokenId: facts.tokenId, expiresAt: facts.expiresAtMs },
      audit,
    );
  }

  /**
   * Revokes every token of a session issued until now, or until `cutoff` (epoch ms) when the moment of
   * the logout is known from elsewhere, e.g. a back-channel logout token's `iat`: then a late or replayed
   * delivery cannot revoke tokens issued after the logout.
   */
  revokeSession(
    iss: string,
    sid: string,
    audit: RevocationAudit,
    cutoff: number = this.#clock(),
  ): Promise<RevocationEvent> {
    return this.#append({ kind: 'session', iss, sid, cutoff }, audit);
  }

  /**
   * Revokes every token of a user issued until now (or until `cutoff`, epoch ms, as for
   * {@link Revoker.revokeSession}): log out everywhere, password change, suspension.
   */
  revokeSubject(
    iss: string,
    sub: string,
    audit: RevocationAudit,
    cutoff: number = this.#clock(),
  ): Promise<RevocationEvent> {
    return this.#append({ kind: 'subject', iss, sub, cutoff }, audit);
  }

  /**
   * Revokes every token of issuer `iss` signed with `kid`, until `expiresAt` (epoch ms, the key's last
   * token expiry). Another issuer's tokens under a key of the same `kid` stay valid.
   */
  revokeKey(iss: string, kid: string, expiresAt: number, audit: RevocationAudit): Promise<RevocationEvent> {
    return this.#append({ kind: 'key', iss, kid, expiresAt }, audit);
  }

  /** Revokes every token of an issuer issued until now. */
  revokeIssuer(iss: string, audit: RevocationAudit): Promise<RevocationEvent> {
    return this.#append({ kind: 'issuer', iss, cutoff: this.#clock() }, audit);
  }

  /** Allowlist mode: records a token as issued by `facts.iss`. */
  allow(facts: Pick<TokenFacts, 'iss' | 'tokenId' | 'expiresAtMs'>): Promise<RevocationEvent> {
    return this.#append(
      { kind: 'allow', iss: facts.iss, tokenId: facts.tokenId, expiresAt: facts.expiresAtMs },
      {
        reason: 'issued',
        actor: 'system',
      },
    );
  }

  /**
   * Writes a rule as given (an operator's rule from an admin API; it is validated by the log).
   *
   * @example
   * ```ts
   * await revoker.revoke({ kind: 'subject', iss, sub: 'user-1', cutoff: Date.now() }, { reason: 'admin', actor: 'admin' });
   * ```
   */
  revoke(rule: RevocationRule, audit: RevocationAudit): Promise<RevocationEvent> {
    return this.#append(rule, audit);
  }

  async #append(rule: RevocationRule, audit: RevocationAudit): Promise<RevocationEvent> {
    const [event] = await this.#log.append([{ rule, reason: audit.reason, actor: audit.actor }]);
    return event!;
  }
}
