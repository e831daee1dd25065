import { beforeAll, describe, expect, it } from 'vitest';
import { claims, type Fixture, fixtureFor } from './support/fixtures.js';
import { forgeSigned } from './support/forge.js';
import { expectRejected } from './support/rejection.js';

let f: Fixture;
beforeAll(async () => {
  f = await fixtureFor('EdDSA');
});

describe('required claims', () => {
  it('are not satisfied by properties every object inherits (constructor, toString)', () => {
    const verifier = f.verifierWith({ requiredClaims: ['constructor', 'toString'], cache: false });
    const token = forgeSigned(f.key, f.header(), claims());
    expectRejected(verifier, token, { code: 'ERR_CLAIM_INVALID', claim: 'constructor' });
  });

  it('are satisfied when the token carries them as its own members', () => {
    const verifier = f.verifierWith({ requiredClaims: ['constructor', 'toString'], cache: false });
    const token = forgeSigned(f.key, f.header(), claims({ constructor: 'c', toString: 't' }));
    expect(verifier.verifySync(token).claims['toString']).toBe('t');
  });

  it('are satisfied by a member whose value is null (present is present)', () => {
    const verifier = f.verifierWith({ requiredClaims: ['tenant'], cache: false });
    expect(() => verifier.verifySync(forgeSigned(f.key, f.header(), claims({ tenant: null })))).not.toThrow();
    expectRejected(verifier, forgeSigned(f.key, f.header(), claims()), {
      code: 'ERR_CLAIM_INVALID',
      claim: 'tenant',
    });
  });
});
