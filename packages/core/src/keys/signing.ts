import { createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { type Algorithm, MIN_RSA_BITS } from './algorithms.js';

const ECDSA_OPTIONS = { dsaEncoding: 'ieee-p1363' } as const;

/**
 * Signs `input` (ASCII JWS signing input) with node:crypto. `key` is the private key, or the secret
 * key for HS256.
 */
export function signWith(alg: Algorithm, key: KeyObject, input: string): Buffer {
  const data = Buffer.from(input, 'latin1');
  switch (alg) {
    case 'HS256':
      return createHmac('sha256', key).update(data).digest();
    case 'EdDSA':
      return sign(null, data, key);
    case 'ES256':
      return sign('sha256', data, { key, ...ECDSA_OPTIONS });
    case 'RS256':
      return sign('sha256', data, key);
  }
}

/**
 * Checks a JWS signature with node:crypto, the algorithm pinned by the caller (never read from the
 * token alone). Lengths are checked first so malformed signatures are refused before any crypto.
 * `signatureLength` is the exact length this key produces (RSA: modulus bytes). RSA keys under
 * {@link MIN_RSA_BITS} never verify.
 */
export function verifyWith(
  alg: Algorithm,
  key: KeyObject,
  signatureLength: number,
  input: string,
  signature: Buffer,
): boolean {
  if (signature.length !== signatureLength) return false;
  switch (alg) {
    case 'HS256':
      return timingSafeEqual(createHmac('sha256', key).update(input, 'latin1').digest(), signature);
    case 'EdDSA':
      return verify(null, Buffer.from(input, 'latin1'), key, signature);
    case 'ES256':
      // OpenSSL rejects r or s equal to 0 or >= n (CVE-2022-21449 class); the attack tests prove it.
      return verify('sha256', Buffer.from(input, 'latin1'), { key, ...ECDSA_OPTIONS }, signature);
    case 'RS256':
      // Defence in depth: a key source that skipped the import check must still not verify with a weak key.
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return false;
      return verify('sha256', Buffer.from(input, 'latin1'), key, signature);
  }
}

/** The exact signature length, in bytes, that `key` produces under `alg` (RSA: modulus bits rounded up to bytes). */
export function signatureLengthOf(alg: Algorithm, key: KeyObject): number {
  switch (alg) {
    case 'HS256':
      return 32;
    case 'EdDSA':
    case 'ES256':
      return 64;
    case 'RS256':
      return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  }
}
