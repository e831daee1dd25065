import { RevocableError } from '../errors.js';
import { assertFetchableUrl, fetchJsonObject } from '../keys/remote-jwks.js';

/** Which metadata document to read. */
export type MetadataKind = 'openid-configuration' | 'oauth-authorization-server';

/** Options of {@link discoverIssuer}. */
export interface DiscoveryOptions {
  /** The issuer identifier the tokens carry in `iss`; the document's `issuer` must equal it exactly. */
  readonly issuer: string;
  /**
   * The document URL, when it is not the standard one derived from `issuer` (OpenID Connect
   * Discovery §4: `{issuer}/.well-known/openid-configuration`; RFC 8414 §3:
   * `{origin}/.well-known/oauth-authorization-server{path}`). Entra ID v1 needs it: its tokens say
   * `https://sts.windows.net/{tenant}/` while the document lives on `login.microsoftonline.com`.
   */
  readonly url?: string | URL;
  /** Default `openid-configuration`. */
  readonly kind?: MetadataKind;
  /** Allow `http:` URLs on `localhost`/`127.0.0.1`/`[::1]` for the document and its `jwks_uri`. Default `false`. */
  readonly allowInsecureLocalhost?: boolean;
  /** Default 5,000 ms. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** What Revocable needs from an issuer's metadata, checked. */
export interface IssuerMetadata {
  /** Equal to the expected issuer. */
  readonly issuer: string;
  /** The JWKS URL, `https:` (or loopback `http:` when allowed). */
  readonly jwksUri: string;
  /** `true` when the document says the issuer supports OIDC Back-Channel Logout. */
  readonly backchannelLogoutSupported: boolean;
  /** The whole document, unverified beyond the members above. */
  readonly document: Readonly<Record<string, unknown>>;
}

/**
 * The standard metadata URL for an issuer identifier.
 *
 * @example
 * ```ts
 * metadataUrlOf('https://auth.example/tenant-a', 'oauth-authorization-server');
 * // https://auth.example/.well-known/oauth-authorization-server/tenant-a
 * ```
 */
export function metadataUrlOf(issuer: string, kind: MetadataKind = 'openid-configuration'): URL {
  const base = new URL(issuer);
  const path = base.pathname.replace(/\/+$/, '');
  return kind === 'openid-configuration'
    ? new URL(`${base.origin}${path}/.well-known/openid-configuration`)
    : new URL(`${base.origin}/.well-known/oauth-authorization-server${path}`);
}

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * Fetches an issuer's OpenID Connect discovery document or RFC 8414 metadata and checks what trust
 * depends on: `issuer` equals the expected issuer exactly (OIDC Discovery §4.3, RFC 8414 §3.3, so a
 * document cannot speak for another issuer), and `jwks_uri` is an `https:` URL (loopback `http:` only
 * with `allowInsecureLocalhost`). Throws `ERR_JWKS_UNAVAILABLE` when the document cannot be fetched or
 * read, `ERR_CONFIG_INVALID` when it does not check out.
 *
 * @example
 * ```ts
 * const { jwksUri } = await discoverIssuer({ issuer: 'https://dev-123.eu.auth0.com/' });
 * ```
 */
export async function discoverIssuer(options: DiscoveryOptions): Promise<IssuerMetadata> {
  const { issuer } = options;
  if (typeof issuer !== 'string' || issuer.length === 0) throw config('issuer must be a non-empty string.');
  const insecure = options.allowInsecureLocalhost === true;
  const kind = options.kind ?? 'openid-configuration';
  if (kind !== 'openid-configuration' && kind !== 'oauth-authorization-server') {
    throw config('kind must be openid-configuration or oauth-authorization-server.');
  }
  let url: URL;
  if (options.url !== undefined) {
    url = assertFetchableUrl(options.url, insecure, 'The metadata url');
  } else {
    assertFetchableUrl(issuer, insecure, 'The issuer');
    url = metadataUrlOf(issuer, kind);
  }
  const document = await fetchJsonObject(options.fetch ?? globalThis.fetch, url, {
    timeoutMs: options.timeoutMs ?? 5000,
    maxBytes: 512 * 1024,
  });
  if (document['issuer'] !== issuer) {
    throw config(
      `The metadata at ${url.origin} is for another issuer: its "issuer" is not exactly the expected one.`,
    );
  }
  const jwksUri = document['jwks_uri'];
  if (typeof jwksUri !== 'string' || jwksUri.length === 0) {
    throw config(`The metadata at ${url.origin} has no "jwks_uri".`);
  }
  assertFetchableUrl(jwksUri, insecure, 'The metadata "jwks_uri"');
  return Object.freeze({
    issuer,
    jwksUri,
    backchannelLogoutSupported: document['backchannel_logout_supported'] === true,
    document: Object.freeze(document),
  });
}
