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
  'issued',
]);

/** Revokes one token by id (`jti`, or a hash of the token) until it expires. */
export interface TokenRule {
  readonly kind: 'token';
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

/** Revokes every token signed with key `kid`, until `expiresAt` (the key's last possible token `exp`). */
export interface KeyRule {
  readonly kind: 'key';
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
 * Allowlist mode only: records that a token was issued. When the replica runs in allowlist mode, a
 * token is accepted only if its id was recorded this way (and no other rule revokes it).
 */
export interface AllowRule {
  readonly kind: 'allow';
  readonly tokenId: string;
  readonly expiresAt: number;
}

/** A revocation rule; see ARCHITECTURE.md "Revocation rules". */
export type RevocationRule = TokenRule | SessionRule | SubjectRule | KeyRule | IssuerRule | AllowRule;

/** A rule as the caller asks for it, with the audit facts. */
export interface RevocationRequest {
  readonly rule: RevocationRule;
  readonly reason: RevocationReason;
  /** Who did it: `user:<sub>`, `admin:<name>`, `client:<id>`, `system`. */
  readonly actor: string;
}

/** A rule as the log holds it: numbered, timed, and with the time after which it can be forgotten. */
export interface RevocationEvent extends RevocationRequest {
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
