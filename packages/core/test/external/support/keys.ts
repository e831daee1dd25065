import { sign as cryptoSign, generateKeyPairSync, KeyObject } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** A signing key an external issuer would hold: its private key and its published JWK. */
export interface IssuerKey {
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256' | 'RS256';
  readonly privateKey: CryptoKey | KeyObject;
  readonly jwk: JWK;
}

export async function issuerKey(kid: string, alg: IssuerKey['alg'] = 'ES256'): Promise<IssuerKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A 1024-bit RSA key (jose refuses to generate one), as a published JWK. */
export function weakRsaJwk(kid: string): JWK {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig' };
}

export function jwks(...keys: (IssuerKey | JWK)[]): { keys: JWK[] } {
  return { keys: keys.map((k) => ('jwk' in k ? (k as IssuerKey).jwk : (k as JWK))) };
}

/** Signs `payload` with jose, an implementation independent of Revocable's. */
export function sign(
  key: IssuerKey,
  payload: JWTPayload,
  header: Record<string, unknown> = { typ: 'at+jwt' },
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** Signs any header (even one jose refuses to produce, e.g. with `crit`) with node:crypto. */
export function signRaw(key: IssuerKey, header: Record<string, unknown>, payload: JWTPayload): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: key.alg, kid: key.kid, ...header })}.${encode(payload)}`;
  const privateKey = key.privateKey instanceof KeyObject ? key.privateKey : KeyObject.from(key.privateKey);
  const digest = key.alg === 'EdDSA' ? null : 'sha256';
  const signature = cryptoSign(
    digest,
    Buffer.from(input),
    key.alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey,
  );
  return `${input}.${signature.toString('base64url')}`;
}
