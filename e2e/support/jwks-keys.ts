// The issuer's signing keys as an API process sees them: its JWKS, fetched at start (retrying until the
// issuer answers) and again when a token names an unknown `kid` (at most once per cool-down).
import type { KeyObject } from 'node:crypto';
import {
  type Algorithm,
  type JWK,
  type KeyResolver,
  keyObjectFromJwk,
  type VerificationKey,
} from '@revocable/core';

function signatureLength(alg: Algorithm, key: KeyObject): number {
  if (alg === 'RS256') return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  return alg === 'HS256' ? 32 : 64;
}

export class JwksKeys implements KeyResolver {
  #keys = new Map<string, VerificationKey>();
  #fetchedAt = 0;

  constructor(
    readonly url: string,
    readonly coolDownMs = 5000,
  ) {}

  /** Fetches the JWKS, retrying every 200 ms until `deadline` (epoch ms). */
  async load(deadline = Date.now() + 30_000): Promise<void> {
    for (;;) {
      try {
        const response = await fetch(this.url, { signal: AbortSignal.timeout(3000) });
        if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
        const { keys } = (await response.json()) as { keys: JWK[] };
        const next = new Map<string, VerificationKey>();
        for (const jwk of keys) {
          const { alg, key } = await keyObjectFromJwk(jwk);
          const kid = String(jwk.kid);
          next.set(kid, {
            kid,
            alg,
            keyObject: key,
            signatureLength: signatureLength(alg, key),
            verifyUntil: Number.POSITIVE_INFINITY,
            removed: false,
          });
        }
        this.#keys = next;
        this.#fetchedAt = Date.now();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  get(kid: string): VerificationKey | undefined {
    return this.#keys.get(kid);
  }

  async refresh(): Promise<boolean> {
    if (Date.now() - this.#fetchedAt < this.coolDownMs) return false;
    await this.load(Date.now());
    return true;
  }
}
