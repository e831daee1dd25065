import { RevocableError } from '@revocable/core';

/** What a request to a path needs: nothing (`public`), or a valid token holding `scopes`. */
export type PathAccess =
  | { readonly kind: 'public' }
  | { readonly kind: 'token'; readonly scopes: readonly string[] };

/** One per-path rule: an optional method, a path pattern (`/health`, `/admin/*`), and its access. */
export interface PathRule {
  readonly method?: string;
  readonly pattern: string;
  readonly access: PathAccess;
}

/** What a path is asked of the rules with: its access, or `undefined` when it is not canonical. */
export type PathVerdict = PathAccess | undefined;

const PATTERN = /^\/[\x21-\x7e]*$/;
const METHOD = /^[A-Z]{1,16}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// Dot segments, empty segments, backslashes and encoded separators or dots: an upstream may resolve
// them to another path than the one the rules saw, so such a path matches no rule.
const NOT_CANONICAL = /(^|\/)\.{1,2}(\/|$)|\/\/|\\|%2e|%2f|%5c|%00/i;

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * Reads a rule as the command line writes it: `[METHOD ]/path`, where `/path/*` also matches
 * `/path` and everything below it. Throws `ERR_CONFIG_INVALID` naming what is wrong.
 *
 * @example
 * ```ts
 * pathRule('GET /health', { kind: 'public' });
 * pathRule('/admin/*', { kind: 'token', scopes: ['admin'] });
 * ```
 */
export function pathRule(text: string, access: PathAccess): PathRule {
  const parts = text.trim().split(/ +/);
  const [method, pattern] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (parts.length > 2 || pattern === undefined || !PATTERN.test(pattern) || NOT_CANONICAL.test(pattern)) {
    throw config(
      `The path rule ${JSON.stringify(text.slice(0, 80))} is not [METHOD ]/path or [METHOD ]/path/*.`,
    );
  }
  if (method !== undefined && !METHOD.test(method)) {
    throw config(`The method ${JSON.stringify(method.slice(0, 20))} of a path rule is not an HTTP method.`);
  }
  if (access.kind === 'token' && access.scopes.some((s) => !SCOPE.test(s))) {
    throw config(`The scopes of the path rule ${JSON.stringify(text.slice(0, 80))} are not scope tokens.`);
  }
  return Object.freeze({ ...(method !== undefined && { method }), pattern, access });
}

function matches(pattern: string, path: string): boolean {
  if (!pattern.endsWith('/*')) return path === pattern;
  const base = pattern.slice(0, -2);
  return path === base || path.startsWith(`${base}/`);
}

/**
 * The per-path rules of an edge, first match wins; a path no rule matches needs a valid token with no
 * particular scope. A path that is not canonical (dot segments, `//`, backslashes, encoded `.` `/`
 * `\`) is refused by the caller: an upstream could read it as a path the rules did not see.
 *
 * @example
 * ```ts
 * const rules = new PathRules([pathRule('/health', { kind: 'public' })]);
 * rules.accessFor('GET', '/health?full=1'); // { kind: 'public' }
 * ```
 */
export class PathRules {
  readonly #rules: readonly PathRule[];
  readonly #fallback: PathAccess = Object.freeze({ kind: 'token', scopes: Object.freeze([]) });

  constructor(rules: readonly PathRule[] = []) {
    this.#rules = Object.freeze([...rules]);
  }

  /** Every distinct access the rules can answer, so authenticators can be made once, at start. */
  accesses(): readonly PathAccess[] {
    return [this.#fallback, ...this.#rules.map((r) => r.access)];
  }

  /** The access `method` on `target` (a path, with or without its query) needs; `undefined`: not canonical. */
  accessFor(method: string, target: string): PathVerdict {
    const query = target.indexOf('?');
    const path = query < 0 ? target : target.slice(0, query);
    if (!path.startsWith('/') || NOT_CANONICAL.test(path)) return undefined;
    const upper = method.toUpperCase();
    // HEAD is GET without the body, and servers answer it with their GET handler: a GET rule covers it.
    const asGet = upper === 'HEAD' ? 'GET' : upper;
    for (const rule of this.#rules) {
      if (rule.method !== undefined && rule.method !== upper && rule.method !== asGet) continue;
      if (matches(rule.pattern, path)) return rule.access;
    }
    return this.#fallback;
  }
}
