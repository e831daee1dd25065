import { AccessTokenIssuer, KeyRing, Verifier } from '@revocable/core';
import { type AuthVerdict, createAuthenticator } from '@revocable/core/fastify';
import { describe, expect, it } from 'vitest';

async function setup() {
  const keys = await KeyRing.open();
  const issuer = new AccessTokenIssuer({ keys, issuer: 'https://auth.example', audience: 'api' });
  // Revocation is not what this suite is about (the shared middleware suite covers it).
  const verifier = new Verifier({
    keys,
    issuer: 'https://auth.example',
    audience: 'api',
    revocation: 'none',
  });
  return { issuer, verifier };
}

describe('the onVerdict observer of the core middleware', () => {
  it('sees each verdict once, admitted or refused, and never token text', async () => {
    const { issuer, verifier } = await setup();
    const seen: AuthVerdict[] = [];
    const authenticate = createAuthenticator({ verifier, onVerdict: (v) => seen.push(v) });
    const { token } = issuer.issue({ sub: 'alice', sid: 's1' });
    expect((await authenticate(`Bearer ${token}`)).ok).toBe(true);
    expect((await authenticate('Bearer not.a.token')).ok).toBe(false);
    expect((await authenticate(undefined)).ok).toBe(false);
    expect(seen.map((v) => (v.ok ? 'ok' : v.body.error))).toEqual([
      'ok',
      'ERR_TOKEN_MALFORMED',
      'ERR_TOKEN_MISSING',
    ]);
    expect(JSON.stringify(seen.map((v) => (v.ok ? v.auth.claims : v.body)))).not.toContain(token);
  });

  it('keeps the verdict when the observer throws', async () => {
    const { issuer, verifier } = await setup();
    const authenticate = createAuthenticator({
      verifier,
      onVerdict: () => {
        throw new Error('metrics backend down');
      },
    });
    const { token } = issuer.issue({ sub: 'bob' });
    expect((await authenticate(`Bearer ${token}`)).ok).toBe(true);
    expect((await authenticate('Bearer x.y.z')).ok).toBe(false);
  });

  it('refuses an observer that is not a function when the middleware is made', async () => {
    const { verifier } = await setup();
    expect(() => createAuthenticator({ verifier, onVerdict: 42 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });
});
