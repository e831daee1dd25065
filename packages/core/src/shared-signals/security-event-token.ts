import { RevocableError } from '../errors.js';
import type { Algorithm } from '../keys/algorithms.js';
import { verifyWith } from '../keys/signing.js';
import type { KeyResolver } from '../keys/verification-key.js';
import { parseCompact, type SizeLimits } from '../token/compact.js';
import { checkHeader, type VerifiedHeader } from '../verify/header.js';

/** The claims of a verified SET; other members pass through. */
export interface SecurityEventClaims {
  readonly iss: string;
  readonly aud: string | string[];
  /** Seconds. */
  readonly iat: number;
  readonly jti: string;
  /** The one event type URI of `events`, and its payload. */
  readonly eventType: string;
  readonly event: Readonly<Record<string, unknown>>;
  /**
   * The primary subject: the top-level `sub_id` (SSF 1.0), or for CAEP/RISC events from transmitters
   * that predate it, the event's `subject` member. `undefined` when neither is there.
   */
  readonly subject: Readonly<Record<string, unknown>> | undefined;
  readonly txn?: string;
  readonly [claim: string]: unknown;
}

/** How a SET is judged. */
export interface SecurityEventPolicy {
  /** The transmitter's issuer: `iss` must equal it exactly. */
  readonly issuer: string;
  /** This receiver's audience values: `aud` must contain one. */
  readonly audiences: ReadonlySet<string>;
  readonly algorithms: ReadonlySet<Algorithm>;
  /** Oldest accepted `iat`, seconds before now. */
  readonly maxAgeSec: number;
  readonly clockToleranceSec: number;
  readonly limits: SizeLimits;
}

const MAX_ID_LENGTH = 512;
const SET_TYPES: ReadonlySet<string | null> = new Set(['secevent+jwt']);

function invalid(claim: string, message: string): RevocableError {
  return new RevocableError('ERR_CLAIM_INVALID', message, { claim });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

async function keyFor(keys: KeyResolver, kid: string) {
  const known = keys.get(kid);
  if (known !== undefined || keys.refresh === undefined) return known;
  return (await keys.refresh(kid)) ? keys.get(kid) : undefined;
}

function checkTimes(payload: Record<string, unknown>, policy: SecurityEventPolicy, nowSec: number): void {
  const { iat, exp } = payload;
  const tolerance = policy.clockToleranceSec;
  if (!isNumericDate(iat)) throw invalid('iat', 'The "iat" claim is missing or not a number.');
  if (iat > nowSec + tolerance) {
    throw new RevocableError('ERR_TOKEN_NOT_YET_VALID', 'The SET was issued in the future.', {
      claim: 'iat',
    });
  }
  if (nowSec - iat > policy.maxAgeSec + tolerance) {
    throw new RevocableError('ERR_TOKEN_EXPIRED', `The SET is older than ${policy.maxAgeSec} s.`, {
      claim: 'iat',
    });
  }
  // SSF 1.0 says SETs carry no `exp`; one that does is held to it all the same.
  if (exp !== undefined && (!isNumericDate(exp) || nowSec - tolerance >= exp)) {
    throw new RevocableError('ERR_TOKEN_EXPIRED', 'The SET has expired.', { claim: 'exp' });
  }
}

function checkClaims(
  payload: Record<string, unknown>,
  policy: SecurityEventPolicy,
  nowSec: number,
): SecurityEventClaims {
  const { iss, aud, jti, events, sub_id: subId, txn } = payload;
  if (iss !== policy.issuer) throw invalid('iss', 'The "iss" claim is not the transmitter\'s issuer.');
  const audiences = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string')) {
    throw invalid('aud', 'The "aud" claim is missing or not a string or an array of strings.');
  }
  if (!audiences.some((a) => policy.audiences.has(a))) {
    throw invalid('aud', 'The "aud" claim does not name this receiver.');
  }
  checkTimes(payload, policy, nowSec);
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_ID_LENGTH) {
    throw invalid(
      'jti',
      `The "jti" claim is required: a non-empty string of at most ${MAX_ID_LENGTH} characters.`,
    );
  }
  if (!isObject(events)) throw invalid('events', 'The "events" claim is missing or not a JSON object.');
  const types = Object.keys(events);
  if (types.length !== 1) {
    throw invalid('events', `The "events" claim must hold exactly one event; it holds ${types.length}.`);
  }
  const eventType = types[0]!;
  const event = events[eventType];
  if (!isObject(event)) throw invalid('events', 'The event in "events" is not a JSON object.');
  if (subId !== undefined && !isObject(subId)) {
    throw invalid('sub_id', 'The "sub_id" claim is not a JSON object.');
  }
  const legacy = event['subject'];
  const subject = subId ?? (isObject(legacy) ? legacy : undefined);
  if (txn !== undefined && typeof txn !== 'string' && typeof txn !== 'number') {
    throw invalid('txn', 'The "txn" claim is not a string.');
  }
  return {
    ...payload,
    iss: iss as string,
    aud: aud as string | string[],
    iat: payload['iat'] as number,
    jti,
    eventType,
    event,
    subject,
    ...(txn !== undefined && { txn: String(txn) }),
  };
}

/**
 * Validates a Security Event Token (RFC 8417) as SSF 1.0 profiles it, in RFC 8725 order: size limits
 * and strict parsing; the header (`typ` exactly `secevent+jwt`, `alg` allowed and pinned to the key,
 * no `crit`, no key-carrying members); the key by `kid` from the transmitter's keys (one refresh on an
 * unknown `kid`); the signature; then `iss` (the transmitter), `aud` (this receiver), `iat` (not in
 * the future, not older than `maxAgeSec`), `exp` when present, `jti`, exactly one event in `events`,
 * and `sub_id` a JSON object when present. What the event means, and replay, are the caller's.
 * Throws `RevocableError` (`claim` says which claim failed).
 *
 * @example
 * ```ts
 * const { claims } = await verifySecurityEventToken(set, transmitter.keys, policy, Date.now());
 * if (claims.eventType === EVENT_TYPES.sessionRevoked) …
 * ```
 */
export async function verifySecurityEventToken(
  token: string,
  keys: KeyResolver,
  policy: SecurityEventPolicy,
  nowMs: number,
): Promise<{ readonly header: VerifiedHeader; readonly claims: SecurityEventClaims }> {
  const parsed = parseCompact(token, policy.limits);
  const header = checkHeader(parsed.header, { algorithms: policy.algorithms, types: SET_TYPES });
  const key = await keyFor(keys, header.kid);
  if (key === undefined)
    throw new RevocableError('ERR_KEY_UNKNOWN', 'The SET is signed with an unknown key.');
  if (key.removed || nowMs >= key.verifyUntil) {
    throw new RevocableError('ERR_KEY_UNKNOWN', 'The SET is signed with a key no longer in use.');
  }
  if (key.alg !== header.alg) {
    throw new RevocableError(
      'ERR_ALG_NOT_ALLOWED',
      "The SET's algorithm does not match its key's algorithm.",
    );
  }
  if (!verifyWith(key.alg, key.keyObject, key.signatureLength, parsed.signingInput, parsed.signature)) {
    throw new RevocableError('ERR_SIGNATURE_INVALID', 'The SET signature is invalid.');
  }
  return { header, claims: checkClaims(parsed.payload, policy, nowMs / 1000) };
}
