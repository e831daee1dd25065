/** The signing algorithms Revocable issues and verifies. `none` is never one of them. */
export type Algorithm = 'EdDSA' | 'ES256' | 'RS256' | 'HS256';

/** Every supported algorithm, in order of preference. */
export const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256'];

/** True when `value` names a supported algorithm (case-sensitive, as RFC 7515 requires). */
export function isAlgorithm(value: unknown): value is Algorithm {
  return value === 'EdDSA' || value === 'ES256' || value === 'RS256' || value === 'HS256';
}

/** Smallest RSA modulus accepted, in bits. */
export const MIN_RSA_BITS = 2048;
/** Smallest HMAC secret accepted, in bytes (256 bits). */
export const MIN_HMAC_SECRET_BYTES = 32;
