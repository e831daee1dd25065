import { RevocableError } from '../errors.js';
import { type Algorithm, isAlgorithm } from '../keys/algorithms.js';

/** The header members a verified token is known to have. */
export interface VerifiedHeader {
  readonly alg: Algorithm;
  readonly kid: string;
  readonly typ: string | undefined;
}

/** How the header is judged. */
export interface HeaderPolicy {
  /** Algorithms accepted at all; each key is further pinned to its own one. */
  readonly algorithms: ReadonlySet<Algorithm>;
  /**
   * Accepted `typ` values, compared case-insensitively with any `application/` prefix removed.
   * `null` in the set accepts a token without `typ`.
   */
  readonly types: ReadonlySet<string | null>;
}

/** Header members that would let a token choose its own key; they are refused, never followed. */
const KEY_CARRYING = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** Longest accepted `kid`, in characters. */
export const MAX_KID_LENGTH = 256;

/** Normalizes a media type the way RFC 7515 §4.1.9 compares `typ`. */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice(12) : lower;
}

/**
 * Checks an untrusted JOSE header against the policy: `alg` allowed (never `none`), `typ` expected,
 * no `crit` (no extension is understood), no `b64: false`, no key-carrying members, a sane `kid`.
 */
export function checkHeader(header: Record<string, unknown>, policy: HeaderPolicy): VerifiedHeader {
  const { alg, kid, typ } = header;
  if (!isAlgorithm(alg) || !policy.algorithms.has(alg)) {
    throw new RevocableError(
      'ERR_ALG_NOT_ALLOWED',
      'The token is signed with an algorithm that is not allowed.',
    );
  }
  if (header['crit'] !== undefined) {
    throw new RevocableError(
      'ERR_CRIT_UNSUPPORTED',
      'The token header has a "crit" member; no extension is supported.',
    );
  }
  if (header['b64'] !== undefined && header['b64'] !== true) {
    throw new RevocableError('ERR_HEADER_INVALID', 'Unencoded payloads ("b64": false) are not accepted.');
  }
  for (const member of KEY_CARRYING) {
    if (header[member] !== undefined) {
      throw new RevocableError(
        'ERR_HEADER_INVALID',
        `The token header carries "${member}"; keys never come from a token.`,
      );
    }
  }
  if (typ === undefined) {
    if (!policy.types.has(null))
      throw new RevocableError('ERR_TYP_INVALID', 'The token header has no "typ".');
  } else if (typeof typ !== 'string' || !policy.types.has(normalizeTyp(typ))) {
    throw new RevocableError('ERR_TYP_INVALID', 'The token "typ" is not one this verifier accepts.');
  }
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new RevocableError(
      'ERR_HEADER_INVALID',
      'The token header "kid" is missing, empty, too long or not a string.',
    );
  }
  return { alg, kid, typ };
}
