// The per-path rules, one case per rule of matching: first match wins, `/*` covers the path itself and
// below, a GET rule covers HEAD, and a path an upstream could read differently matches nothing.
import { PathRules, pathRule } from '@revocable/edge';
import { describe, expect, it } from 'vitest';

const PUBLIC = { kind: 'public' } as const;
const ADMIN = { kind: 'token', scopes: ['admin'] } as const;
const rules = new PathRules([
  pathRule('GET /reports/*', ADMIN),
  pathRule('/health', PUBLIC),
  pathRule('/docs/*', PUBLIC),
]);

describe('per-path rules', () => {
  it('control: a path no rule names needs a token and no scope', () => {
    expect(rules.accessFor('GET', '/orders/1')).toEqual({ kind: 'token', scopes: [] });
  });

  it('an exact rule matches that path only, whatever the query', () => {
    expect(rules.accessFor('GET', '/health?full=1')).toBe(PUBLIC);
    expect(rules.accessFor('GET', '/healthz')).toEqual({ kind: 'token', scopes: [] });
  });

  it('a /* rule matches the path itself and everything below it, not its prefix siblings', () => {
    expect(rules.accessFor('GET', '/docs')).toBe(PUBLIC);
    expect(rules.accessFor('GET', '/docs/a/b')).toBe(PUBLIC);
    expect(rules.accessFor('GET', '/docsearch')).toEqual({ kind: 'token', scopes: [] });
  });

  it('a GET rule covers HEAD too, so HEAD cannot skip its scope', () => {
    expect(rules.accessFor('GET', '/reports/1')).toBe(ADMIN);
    expect(rules.accessFor('HEAD', '/reports/1')).toBe(ADMIN);
    expect(rules.accessFor('POST', '/reports/1')).toEqual({ kind: 'token', scopes: [] });
  });

  it('a path that is not canonical matches no rule at all', () => {
    for (const path of [
      '/docs/../reports/1',
      '/docs/%2e%2e/reports',
      '/docs/..%2Freports',
      '//docs',
      '/docs\\x',
      'http://x/docs',
    ]) {
      expect(rules.accessFor('GET', path), path).toBeUndefined();
    }
  });

  it('a rule that is not [METHOD ]/path is refused when it is made', () => {
    for (const text of ['docs/*', 'GET', 'get /x', '/a /b /c', '/docs/../x']) {
      expect(() => pathRule(text, PUBLIC), text).toThrow(
        /ERR_CONFIG_INVALID|not \[METHOD|not an HTTP method/,
      );
    }
  });
});
