/**
 * Why a revocation was made, kept in the log for audit. Closed set; `admin` covers a person acting in
 * the console or the admin API.
 */
export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'password_change'
  | 'suspension'
  | 'admin'
  | 'refresh_reuse'
  | 'key_compromise'
  | 'token_revocation'
  | 'backchannel_logout'
  | 'session_expired'
  /** A Security Event Token (OpenID Shared Signals / CAEP) from a configured transmitter. */
  | 'shared_signal'
  | 'issued';

/** Every reason, for validation. */
export const REVOCATION_REASONS: ReadonlySet<RevocationReason> = new Set<RevocationReason>([
  'logout',
  'logout_all',
  'password_change',
  'suspension',
  'admin',
  'refresh_reuse',
  'key_compromise',
  'token_revocation',
  'backchannel_logout',
  'session_expired',
  'shared_signal',
  'issued',
]);

/** Revokes one token of issuer `iss` by id (`jti`, or a hash of the token) until it expires. */
export interface TokenRule {
  readonly kind: 'token';
  /** The token's issuer: a token of another issuer with the same id is not revoked. */
  readonly iss: string;
  readonly tokenId: string;
  /** The token's `exp` in epoch milliseconds: the rule is forgotten the log's clock margin after it. */
  readonly expiresAt: number;
}

/** Revokes the tokens of one session (`iss` + `sid`) issued at or before `cutoff` (epoch ms). */
export interface SessionRule {
  readonly kind: 'session';
  readonly iss: string;
  readonly sid: string;
  readonly cutoff: number;
}

/** Revokes the tokens of one user (`iss` + `sub`) issued at or before `cutoff` (epoch ms). */
export interface SubjectRule {
  readonly kind: 'subject';
  readonly iss: string;
  readonly sub: string;
  readonly cutoff: number;
}

/**
 * Revokes every token of issuer `iss` signed with key `kid`, until `expiresAt` (the key's last possible
 * token `exp`).
 */
export interface KeyRule {
  readonly kind: 'key';
  /** The key's issuer: another issuer's tokens with a key of the same `kid` are not revoked. */
  readonly iss: string;
  readonly kid: string;
  readonly expiresAt: number;
}

/** Revokes every token of issuer `iss` issued at or before `cutoff` (epoch ms). */
export interface IssuerRule {
  readonly kind: 'issuer';
  readonly iss: string;
  readonly cutoff: number;
}

/**
 * Allowlist mode only: records that a token was issued by `iss`. When the replica runs in allowlist
 * mode, a token is accepted only if its issuer and id were recorded this way (and no other rule
 * revokes it).
 */
export interface AllowRule {
  readonly kind: 'allow';
  /** The issuer that minted the token: another issuer's token with the same id is not admitted. */
  readonly iss: string;
  readonly tokenId: string;
  readonly expiresAt: number;
}

/** A revocation rule; see docs/revocation-model.md, "Revocation rules". */
export type RevocationRule = TokenRule | SessionRule | SubjectRule | KeyRule | IssuerRule | AllowRule;

/**
 * A `token`, `key` or `allow` rule recorded before these rules named their issuer: it has no `iss`,
 * and matches its id (or `kid`) at every issuer, as it did when it was written, so nothing revoked
 * before an upgrade is accepted after it. A log returns such rules as they were stored; none can be
 * appended any more (the log requires `iss`). They end like any rule, at `expiresAt` plus the clock
 * margin.
 *
 * @example
 * ```ts
 * const issuer = event.rule.kind === 'token' ? (event.rule.iss ?? 'every issuer') : undefined;
 * ```
 */
export type UnscopedRule =
  | (Omit<TokenRule, 'iss'> & { readonly iss?: undefined })
  | (Omit<KeyRule, 'iss'> & { readonly iss?: undefined })
  | (Omit<AllowRule, 'iss'> & { readonly iss?: undefined });

/** A rule as the caller asks for it, with the audit facts. */
export interface RevocationRequest {
  readonly rule: RevocationRule;
  readonly reason: RevocationReason;
  /** Who did it: `user:<sub>`, `admin:<name>`, `client:<id>`, `system`. */
  readonly actor: string;
}

/** A rule as the log holds it: numbered, timed, and with the time after which it can be forgotten. */
export interface RevocationEvent extends Omit<RevocationRequest, 'rule'> {
  /** The rule; one recorded by an older version may be an {@link UnscopedRule} (no `iss`). */
  readonly rule: RevocationRule | UnscopedRule;
  /** Position in the log: 1, 2, 3… with no gap, assigned by the log on append. */
  readonly seq: number;
  /** When the log recorded it, epoch milliseconds. */
  readonly recordedAt: number;
  /**
   * Epoch milliseconds after which no token can match the rule any more, clock margin included: see
   * `forgetAfterOf` (a `token` rule lasts until its `expiresAt` plus the policy's `clockSkewMs`).
   */
  readonly forgetAfter: number;
}
