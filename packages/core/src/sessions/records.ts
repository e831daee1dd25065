/** A login session: what `sid` names in access tokens, and what refresh tokens belong to. */
export interface SessionRecord {
  /** The `sid`: 128 random bits, base64url. */
  readonly id: string;
  /** The user's `sub`. */
  readonly sub: string;
  /** The client the session was opened for. */
  readonly clientId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** The session ends if not refreshed before this (sliding; moved by each refresh). */
  readonly idleExpiresAt: number;
  /** The session ends at this time whatever happens (absolute lifetime). */
  readonly absoluteExpiresAt: number;
  /** The `scope` put in the session's access tokens; `null` for none. */
  readonly scope: string | null;
  /** Extra claims put in the session's access tokens (trusted-backend sessions); `null` for none. */
  readonly claims: Readonly<Record<string, unknown>> | null;
  /** Generation of the newest refresh token (1 for the login's). */
  readonly refreshGeneration: number;
  /** User agent, cut to 256 characters; `null` when unknown. */
  readonly device: string | null;
  readonly ip: string | null;
  /** Set when the session was ended (logout, revocation, reuse detection); `null` while it lives. */
  readonly endedAt: number | null;
  readonly endReason: string | null;
}

/** A refresh token as stored: only its SHA-256, never the token. */
export interface RefreshTokenRecord {
  /** base64url SHA-256 of the token. */
  readonly hash: string;
  readonly sessionId: string;
  /** 1 for the token given at login, +1 per rotation; a grace-window sibling shares its generation. */
  readonly generation: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When it was used (spent); `null` while unused. */
  readonly consumedAt: number | null;
  /**
   * `true` when it was spent because another branch of its session rotated (the branch not taken),
   * not by its own use. Such a token never earns a grace-window sibling: presenting it is reuse.
   */
  readonly superseded: boolean;
}

/** A built-in user. `passwordHash` is an argon2id PHC string: never log or return it. */
export interface UserRecord {
  /** The `sub`: 128 random bits, base64url. */
  readonly id: string;
  /** Unique, stored as given; lookups use `usernameKey`. */
  readonly username: string;
  /** `username` case-folded and NFKC-normalized: the unique key. */
  readonly usernameKey: string;
  readonly passwordHash: string;
  readonly createdAt: number;
  readonly passwordChangedAt: number;
  /** Set while the account is suspended. */
  readonly disabledAt: number | null;
}

/** A confidential OAuth client (RFC 7009/7662, the revocation feed). `secretHash` is SHA-256, base64url. */
export interface ClientRecord {
  readonly id: string;
  readonly secretHash: string;
  readonly createdAt: number;
}
