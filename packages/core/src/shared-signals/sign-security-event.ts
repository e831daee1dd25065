import { RevocableError } from '../errors.js';
import type { SigningKey } from '../keys/key-ring.js';
import { signWith } from '../keys/signing.js';
import { encodeBase64url } from '../token/base64url.js';
import { SET_TYPE } from './event-types.js';

/** What one SET says. */
export interface SecurityEventRequest {
  /** The transmitter's issuer. */
  readonly iss: string;
  /** The stream's audience. */
  readonly aud: string | readonly string[];
  /** Unique per SET. */
  readonly jti: string;
  /** The underlying cause, shared by the SETs it gave rise to (SSF 1.0 `txn`). */
  readonly txn?: string;
  readonly subject: Readonly<Record<string, unknown>>;
  readonly eventType: string;
  readonly event: Readonly<Record<string, unknown>>;
}

/**
 * Signs a Security Event Token as SSF 1.0 profiles it: header `typ` `secevent+jwt` with the signing
 * key's `alg` and `kid`; claims `iss`, `aud`, `iat`, `jti`, `txn`, `sub_id` and one event in `events`
 * — no `sub`, no `exp`.
 *
 * @example
 * ```ts
 * const set = signSecurityEvent(ring, { iss, aud: 'receiver', jti: randomUUID(), subject, eventType, event });
 * ```
 */
export function signSecurityEvent(
  keys: { signingKey(): SigningKey },
  request: SecurityEventRequest,
  nowMs: number = Date.now(),
): string {
  if (typeof keys?.signingKey !== 'function')
    throw new RevocableError('ERR_CONFIG_INVALID', 'keys must be a KeyRing.');
  const claims = {
    iss: request.iss,
    aud: request.aud,
    iat: Math.floor(nowMs / 1000),
    jti: request.jti,
    ...(request.txn !== undefined && { txn: request.txn }),
    sub_id: request.subject,
    events: { [request.eventType]: request.event },
  };
  const key = keys.signingKey();
  const header = { alg: key.alg, typ: SET_TYPE, kid: key.kid };
  const input = `${encodeBase64url(JSON.stringify(header))}.${encodeBase64url(JSON.stringify(claims))}`;
  return `${input}.${signWith(key.alg, key.privateKey, input).toString('base64url')}`;
}
