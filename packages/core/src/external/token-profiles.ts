import { RevocableError } from '../errors.js';

/**
 * How an issuer's access tokens look to the verifier: the `typ` header values to accept (`null`
 * accepts a token without `typ`), the claims required besides `iss`, `sub`, `aud`, `exp`, `iat`, and
 * the claim that identifies one token for `token` revocation rules (a SHA-256 of the token is used
 * when a token lacks it).
 */
export interface TokenProfile {
  readonly types: readonly (string | null)[];
  readonly requiredClaims: readonly string[];
  readonly tokenIdClaim: string;
}

/**
 * The access-token profiles Revocable knows, chosen per trusted issuer and never guessed: the
 * default is `rfc9068`, and accepting `typ: JWT` is always an explicit choice.
 *
 * - `rfc9068` (default): RFC 9068 tokens, `typ: at+jwt`, `jti` required. Also right for Auth0 APIs set
 *   to the "RFC 9068" token profile, Keycloak clients with the `at+jwt` header type enabled, and
 *   oidc-provider.
 * - `entra-v1`, `entra-v2`: Microsoft Entra ID access tokens for your own API. The header is always
 *   `typ: JWT`; there is no `jti` but `uti` (a unique token identifier), which is required and used
 *   for `token` rules. v1 (`ver: "1.0"`) tokens have `iss` `https://sts.windows.net/{tenant}/`; v2 tokens
 *   `https://login.microsoftonline.com/{tenant}/v2.0`. Which one your API receives is set by the API's
 *   app registration (`accessTokenAcceptedVersion`), not by the endpoint the client used.
 * - `auth0`: Auth0's default ("Auth0") token profile: `typ: JWT`, no `jti` and no `sid`; `token`
 *   rules key on a SHA-256 of the token.
 * - `keycloak`: Keycloak's default access tokens: `typ: JWT`, `jti` present (required), `sid` present
 *   in current versions.
 *
 * @example
 * ```ts
 * const { types, tokenIdClaim } = TOKEN_PROFILES['entra-v2']; // ['JWT'], 'uti'
 * ```
 */
export const TOKEN_PROFILES = Object.freeze({
  rfc9068: Object.freeze({ types: ['at+jwt'], requiredClaims: ['jti'], tokenIdClaim: 'jti' }),
  'entra-v1': Object.freeze({ types: ['JWT'], requiredClaims: ['uti'], tokenIdClaim: 'uti' }),
  'entra-v2': Object.freeze({ types: ['JWT'], requiredClaims: ['uti'], tokenIdClaim: 'uti' }),
  auth0: Object.freeze({ types: ['JWT'], requiredClaims: [], tokenIdClaim: 'jti' }),
  keycloak: Object.freeze({ types: ['JWT'], requiredClaims: ['jti'], tokenIdClaim: 'jti' }),
} satisfies Record<string, TokenProfile>);

/** The name of a {@link TOKEN_PROFILES} entry. */
export type TokenProfileName = keyof typeof TOKEN_PROFILES;

/**
 * The {@link TokenProfile} for a name; throws `ERR_CONFIG_INVALID` for an unknown one.
 *
 * @example
 * ```ts
 * tokenProfile('keycloak').types; // ['JWT']
 * ```
 */
export function tokenProfile(name: TokenProfileName): TokenProfile {
  if (typeof name !== 'string' || !Object.hasOwn(TOKEN_PROFILES, name)) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `Unknown token profile; use one of ${Object.keys(TOKEN_PROFILES).join(', ')}.`,
    );
  }
  return TOKEN_PROFILES[name];
}

/** The Entra ID version whose tokens an API receives. */
export type EntraTokenVersion = 'v1' | 'v2';

/**
 * The issuer identifier and discovery document URL of an Entra ID tenant, for a single-tenant API
 * (the multi-tenant `common`/`organizations` documents describe no single issuer and are refused by
 * discovery's exact `issuer` check).
 *
 * @example
 * ```ts
 * const { issuer, discoveryUrl } = entraIssuer('00000000-0000-0000-0000-000000000000', 'v2');
 * // issuer: https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0
 * ```
 */
export function entraIssuer(
  tenantId: string,
  version: EntraTokenVersion,
): { readonly issuer: string; readonly discoveryUrl: string } {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenantId)) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'tenantId must be the tenant GUID.');
  }
  if (version !== 'v1' && version !== 'v2')
    throw new RevocableError('ERR_CONFIG_INVALID', 'version must be v1 or v2.');
  return version === 'v1'
    ? {
        issuer: `https://sts.windows.net/${tenantId}/`,
        discoveryUrl: `https://login.microsoftonline.com/${tenantId}/.well-known/openid-configuration`,
      }
    : {
        issuer: `https://login.microsoftonline.com/${tenantId}/v2.0`,
        discoveryUrl: `https://login.microsoftonline.com/${tenantId}/v2.0/.well-known/openid-configuration`,
      };
}
