import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importJWK, type JWK } from 'jose';
import { RevocableError } from '../errors.js';
import { type Algorithm, isAlgorithm, MIN_HMAC_SECRET_BYTES, MIN_RSA_BITS } from './algorithms.js';

export type { JWK } from 'jose';

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_KEY_INVALID', message);
}

/**
 * The algorithm a JWK is pinned to: its own `alg` member when present (and supported), otherwise the
 * only one Revocable accepts for its key type. Throws `ERR_KEY_INVALID` for anything else.
 *
 * @example
 * ```ts
 * algorithmOfJwk({ kty: 'OKP', crv: 'Ed25519', x: '...' }); // 'EdDSA'
 * ```
 */
export function algorithmOfJwk(jwk: JWK): Algorithm {
  const inferred: Algorithm | undefined =
    jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
      ? 'EdDSA'
      : jwk.kty === 'EC' && jwk.crv === 'P-256'
        ? 'ES256'
        : jwk.kty === 'RSA'
          ? 'RS256'
          : jwk.kty === 'oct'
            ? 'HS256'
            : undefined;
  if (inferred === undefined) throw invalid(`Unsupported JWK key type or curve (${String(jwk.kty)}).`);
  if (jwk.alg !== undefined && jwk.alg !== inferred) {
    throw invalid(`JWK alg ${isAlgorithm(jwk.alg) ? jwk.alg : 'value'} does not match its key type.`);
  }
  return inferred;
}

/** Refuses keys too weak to use: RSA under 2048 bits, HMAC secrets under 256 bits. */
export function assertKeyStrength(alg: Algorithm, key: KeyObject): void {
  if (alg === 'RS256') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw invalid(`RSA keys must have at least ${MIN_RSA_BITS} bits (got ${bits}).`);
  } else if (alg === 'HS256') {
    const bytes = key.symmetricKeySize ?? 0;
    if (bytes < MIN_HMAC_SECRET_BYTES) {
      throw invalid(`HS256 secrets must be at least ${MIN_HMAC_SECRET_BYTES * 8} bits (got ${bytes * 8}).`);
    }
  }
}

/**
 * Converts a JWK (public, private or `oct`) to a node:crypto `KeyObject` through `jose`, and checks its
 * strength. Private JWKs give a private `KeyObject`.
 *
 * @example
 * ```ts
 * const { alg, key } = await keyObjectFromJwk(jwk);
 * ```
 */
export async function keyObjectFromJwk(jwk: JWK): Promise<{ alg: Algorithm; key: KeyObject }> {
  const alg = algorithmOfJwk(jwk);
  let imported: Awaited<ReturnType<typeof importJWK>>;
  try {
    imported = await importJWK({ ...jwk, ext: true }, alg);
  } catch (cause) {
    throw new RevocableError('ERR_KEY_INVALID', 'The JWK could not be imported.', undefined, { cause });
  }
  const key = imported instanceof Uint8Array ? createSecretKey(imported) : KeyObject.from(imported);
  assertKeyStrength(alg, key);
  return { alg, key };
}

/**
 * The public JWK of a key (never `d`, primes or `k`), with `kid`, `alg` and `use: "sig"`.
 *
 * @example
 * ```ts
 * const jwk = await publicJwk(publicKey, 'EdDSA', kid);
 * ```
 */
export async function publicJwk(key: KeyObject, alg: Algorithm, kid: string): Promise<JWK> {
  if (alg === 'HS256') throw invalid('An HS256 secret has no public JWK.');
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = await exportJWK(pub);
  return { ...jwk, kid, alg, use: 'sig' };
}

/** Exports a private key or secret as a JWK, for storage only. */
export async function privateJwk(key: KeyObject): Promise<JWK> {
  return exportJWK(key);
}

/**
 * The RFC 7638 thumbprint (SHA-256, base64url) that Revocable uses as `kid`. For an HS256 secret it is
 * computed over the `oct` JWK: a hash of a 256-bit random secret, which reveals nothing usable.
 *
 * @example
 * ```ts
 * const kid = await thumbprintKid(publicKey);
 * ```
 */
export async function thumbprintKid(key: KeyObject): Promise<string> {
  const jwk = await exportJWK(key.type === 'private' ? createPublicKey(key) : key);
  return calculateJwkThumbprint(jwk, 'sha256');
}
