import { grantedScopes, RevocableError, requireScopes } from '@revocable/core';
import { describe, expect, it } from 'vitest';

describe('scopes', () => {
  it('reads the space-separated scope claim, or Entra scp when there is no scope', () => {
    expect(grantedScopes({ scope: 'a b  c' })).toEqual(new Set(['a', 'b', 'c']));
    expect(grantedScopes({ scp: 'Orders.Read' })).toEqual(new Set(['Orders.Read']));
    expect(grantedScopes({ scope: 'a', scp: 'b' })).toEqual(new Set(['a']));
    expect(grantedScopes({ scp: ['not', 'a', 'string'] })).toEqual(new Set());
  });

  it('requires every scope and names them in the error', () => {
    expect(() => requireScopes({ scope: 'a b' }, ['a', 'b'])).not.toThrow();
    try {
      requireScopes({ scope: 'a' }, ['a', 'b']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(RevocableError);
      expect((err as RevocableError).code).toBe('ERR_INSUFFICIENT_SCOPE');
      expect((err as RevocableError).scope).toEqual(['a', 'b']);
    }
  });
});
