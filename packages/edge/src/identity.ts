import { encodeBase64url, grantedScopes, type VerifiedToken } from '@revocable/core';

/** Every identity header the edge sets starts with this; the client's own such headers never pass. */
export const IDENTITY_PREFIX = 'x-revocable-';

/** The identity headers, lower-case as Node hands them over. */
export const IDENTITY_HEADERS = Object.freeze({
  sub: 'x-revocable-sub',
  iss: 'x-revocable-iss',
  scope: 'x-revocable-scope',
  claims: 'x-revocable-claims',
  assertion: 'x-revocable-assertion',
});

const MADE = new WeakMap<object, Readonly<Record<string, string>>>();

// A header value the upstream reads back exactly: visible ASCII, single inner spaces allowed.
const HEADER_SAFE = /^[\x21-\x7e]+( [\x21-\x7e]+)*$/;

/**
 * A copy of `headers` without any header whose name starts with `X-Revocable-` (any case): what a
 * client sends under that prefix must never reach the upstream as if the edge had said it.
 *
 * @example
 * ```ts
 * withoutIdentityHeaders({ 'x-revocable-sub': 'admin', accept: '*\/*' }); // { accept: '*\/*' }
 * ```
 */
export function withoutIdentityHeaders<T extends Record<string, unknown>>(headers: T): T {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.toLowerCase().startsWith(IDENTITY_PREFIX)) kept[name] = value;
  }
  return kept as T;
}

/**
 * The identity headers for a verified token: `X-Revocable-Sub` and `-Iss` (when printable ASCII;
 * otherwise only in `-Claims`), `-Scope` (the granted scopes, space-separated; `scp` counts) and
 * `-Claims` (every claim as base64url JSON).
 *
 * @example
 * ```ts
 * const headers = identityHeaders(verdict.auth);
 * headers['x-revocable-sub']; // 'alice'
 * ```
 */
export function identityHeaders(auth: VerifiedToken): Readonly<Record<string, string>> {
  const { claims } = auth;
  // The verifier hands out the same frozen claims on every cache hit: the headers are made once.
  const cached = MADE.get(claims);
  if (cached !== undefined) return cached;
  const headers: Record<string, string> = {
    [IDENTITY_HEADERS.scope]: [...grantedScopes(claims)].filter((s) => HEADER_SAFE.test(s)).join(' '),
    [IDENTITY_HEADERS.claims]: encodeBase64url(Buffer.from(JSON.stringify(claims))),
  };
  if (HEADER_SAFE.test(claims.sub)) headers[IDENTITY_HEADERS.sub] = claims.sub;
  if (HEADER_SAFE.test(claims.iss)) headers[IDENTITY_HEADERS.iss] = claims.iss;
  const made = Object.freeze(headers);
  MADE.set(claims, made);
  return made;
}
