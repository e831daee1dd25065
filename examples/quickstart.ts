// The smallest complete story: issue a token, verify it, revoke it, see it rejected.
// Run: npm start  (before `revocable serve` exists this is what the README's first command runs)
import {
  AccessTokenIssuer,
  DEFAULT_REVOCATION_POLICY,
  KeyRing,
  RevocableError,
  type RevocationCheck,
  Verifier,
} from '@revocable/core';

const revokedIds = new Set<string>();
const revocation: RevocationCheck = {
  policy: DEFAULT_REVOCATION_POLICY, // tokens live at most 10 minutes: the verifier's bound
  check: (facts) => (revokedIds.has(facts.tokenId) ? 'token' : undefined),
};

const ring = await KeyRing.open({ alg: 'EdDSA' });
const issuer = new AccessTokenIssuer({ keys: ring, issuer: 'https://auth.example', audience: 'api' });
const verifier = new Verifier({ keys: ring, issuer: 'https://auth.example', audience: 'api', revocation });

const { token, claims } = issuer.issue({ sub: 'alice', sid: 'session-1', scope: 'read' });
console.log('issued a token for', claims.sub, 'valid for', claims.exp - Math.floor(claims.iat), 's');
console.log('verify →', verifier.verifySync(token).claims.sub);

revokedIds.add(claims.jti!);
try {
  verifier.verifySync(token);
} catch (err) {
  if (err instanceof RevocableError) console.log('after revoke →', err.code, `(rule: ${err.rule})`);
}
