import { beforeAll, describe, expect, it } from 'vitest';
import { claims, type Fixture, fixtureFor } from './support/fixtures.js';
import { forgeSigned } from './support/forge.js';

let f: Fixture;
beforeAll(async () => {
  f = await fixtureFor('EdDSA');
});

/** A token with nested claims: an audience array, a roles array and an object holding an array. */
function nestedToken(): string {
  return forgeSigned(
    f.key,
    f.header(),
    claims({
      aud: ['api', 'other'],
      roles: ['reader'],
      org: { id: 'acme', teams: ['blue'], meta: { tier: 'gold' } },
    }),
  );
}

describe('verified results shared through the cache', () => {
  it('cannot have a nested array of their claims changed by one caller for the next', () => {
    const verifier = f.verifierWith({});
    const token = nestedToken();
    const first = verifier.verifySync(token);
    const aud = first.claims.aud as string[];
    const roles = first.claims['roles'] as string[];
    expect(() => aud.push('x')).toThrow(TypeError);
    expect(() => roles.push('admin')).toThrow(TypeError);
    expect(() => {
      roles[0] = 'admin';
    }).toThrow(TypeError);
    const second = verifier.verifySync(token);
    expect(second).toBe(first); // a cache hit
    expect(second.claims.aud).toEqual(['api', 'other']);
    expect(second.claims['roles']).toEqual(['reader']);
  });

  it('cannot have a nested object of their claims changed, at any depth', () => {
    const verifier = f.verifierWith({});
    const token = nestedToken();
    const org = verifier.verifySync(token).claims['org'] as {
      id: string;
      teams: string[];
      meta: { tier: string };
    };
    expect(() => {
      org.id = 'evil';
    }).toThrow(TypeError);
    expect(() => org.teams.push('red')).toThrow(TypeError);
    expect(() => {
      org.meta.tier = 'platinum';
    }).toThrow(TypeError);
    expect(() => {
      (org.meta as Record<string, unknown>)['added'] = true;
    }).toThrow(TypeError);
    expect(verifier.verifySync(token).claims['org']).toEqual({
      id: 'acme',
      teams: ['blue'],
      meta: { tier: 'gold' },
    });
  });

  it('freezes the claims, header and facts of a result made without a cache as well', () => {
    const result = f.verifierWith({ cache: false }).verifySync(nestedToken());
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.header)).toBe(true);
    expect(Object.isFrozen(result.facts)).toBe(true);
    expect(Object.isFrozen(result.claims)).toBe(true);
    expect(Object.isFrozen(result.claims.aud)).toBe(true);
    expect(Object.isFrozen(result.claims['roles'])).toBe(true);
    const org = result.claims['org'] as { teams: string[]; meta: object };
    expect(Object.isFrozen(org)).toBe(true);
    expect(Object.isFrozen(org.teams)).toBe(true);
    expect(Object.isFrozen(org.meta)).toBe(true);
  });
});
