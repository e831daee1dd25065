import { createSecretKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { RevocableError } from '../errors.js';
import type { Algorithm } from './algorithms.js';
import { assertKeyStrength, privateJwk, thumbprintKid } from './jwk.js';
import type { KeyRecord, KeyState } from './key-store.js';

/**
 * A fresh private key for `alg` (`rsaBits` for RS256).
 *
 * @example
 * ```ts
 * const key = generateKey('EdDSA', 2048);
 * ```
 */
export function generateKey(alg: Algorithm, rsaBits: number): KeyObject {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: rsaBits }).privateKey;
    case 'HS256':
      return createSecretKey(randomBytes(32));
  }
}

/**
 * The record that stores a private key (kid: its RFC 7638 thumbprint). Throws `ERR_KEY_INVALID` for
 * unsupported or weak keys.
 *
 * @example
 * ```ts
 * const record = await recordOfKey(generateKey('ES256', 2048), 'next', Date.now());
 * ```
 */
export async function recordOfKey(key: KeyObject, state: KeyState, createdAt: number): Promise<KeyRecord> {
  const alg = key.type === 'secret' ? 'HS256' : algorithmOfKey(key);
  assertKeyStrength(alg, key);
  return { kid: await thumbprintKid(key), alg, state, createdAt, privateJwk: await privateJwk(key) };
}

function algorithmOfKey(key: KeyObject): Algorithm {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'EdDSA';
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
      break;
    case 'rsa':
      return 'RS256';
  }
  throw new RevocableError('ERR_KEY_INVALID', 'Unsupported key type.');
}
