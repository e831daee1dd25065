import { ALGORITHMS, type KeyResolver, RevocableError, type Verifier } from '@revocable/core';
import { type JWTVerifyOptions, jwtVerify } from 'jose';
import { AUD, ISS, NOW_MS } from './fixtures.js';

/** How one verifier judged one token. */
export type Verdict = 'accepted' | `rejected: ${string}`;

/** Shared policy of both verifiers, written once so they cannot drift apart. */
export const POLICY = {
  algorithms: [...ALGORITHMS],
  issuer: ISS,
  audience: AUD,
  typ: 'at+jwt',
  clockToleranceSec: 5,
  /** Ours requires iss, sub, aud, exp, iat always and `requiredClaims` (jti) on top. */
  requiredClaims: ['jti'],
} as const;

/** jose's options for {@link POLICY}; `currentDate` is our fixed clock (a whole second, as jose counts). */
export const JOSE_OPTIONS: JWTVerifyOptions = {
  algorithms: [...POLICY.algorithms],
  issuer: POLICY.issuer,
  audience: POLICY.audience,
  typ: POLICY.typ,
  clockTolerance: POLICY.clockToleranceSec,
  requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', ...POLICY.requiredClaims],
  currentDate: new Date(NOW_MS),
};

/** Our verdict on `token`. Anything thrown other than a `RevocableError` propagates and fails the test. */
export function oursOn(verifier: Verifier, token: string): Verdict {
  try {
    verifier.verifySync(token);
    return 'accepted';
  } catch (err) {
    if (err instanceof RevocableError) return `rejected: ${err.code}`;
    throw err;
  }
}

/**
 * jose's verdict on `token`, with keys found by `kid` in the same resolver. jose is given the bare
 * KeyObject, not our pinned algorithm: it pins by key type on its own.
 */
export async function joseOn(keys: KeyResolver, token: string): Promise<Verdict> {
  try {
    await jwtVerify(
      token,
      (header) => {
        const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
        if (key === undefined) throw new Error('no key for this kid');
        return key.keyObject;
      },
      JOSE_OPTIONS,
    );
    return 'accepted';
  } catch (err) {
    return `rejected: ${(err as { code?: string }).code ?? (err as Error).name}`;
  }
}
