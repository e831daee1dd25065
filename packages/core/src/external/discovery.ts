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

/** A value read from a remote document, quoted and cut short, for a message. */
export function quotedValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 200)) : 'none';
}

/** Why a metadata document could not be read. */
export interface MetadataReadFailure {
  /** The URL requested. */
  readonly url: URL;
  /** The HTTP status answered; `undefined` when nothing answered (unreachable, timed out). */
  readonly status: number | undefined;
  /** The underlying `ERR_JWKS_UNAVAILABLE`, saying what went wrong. */
  readonly error: RevocableError;
}

/**
 * GETs a metadata document (no redirects, 512 KiB at most): the JSON object, or why it could not be
 * read, with the status seen, so each caller can say what to change. Internal to the core.
 */
export async function readMetadata(
  fetchImpl: typeof globalThis.fetch,
  url: URL,
  timeoutMs: number,
): Promise<{ document: Record<string, unknown> } | { failure: MetadataReadFailure }> {
  let status: number | undefined;
  const recording: typeof globalThis.fetch = async (input, init) => {
    const response = await fetchImpl(input, init);
    status = response.status;
    return response;
  };
  try {
    return { document: await fetchJsonObject(recording, url, { timeoutMs, maxBytes: 512 * 1024 }) };
  } catch (err) {
    const error =
      err instanceof RevocableError
        ? err
        : new RevocableError('ERR_JWKS_UNAVAILABLE', `${url.origin} could not be read.`, undefined, {
            cause: err,
          });
    return { failure: { url, status, error } };
  }
}

/** What a failed discovery says: the URL tried, what came back, and what to change. */
function discoveryFailure(kind: MetadataKind, issuer: string, { url, status, error }: MetadataReadFailure) {
  const tried = `GET ${url.href}`;
  let message: string;
  if (status === 404) {
    message =
      kind === 'openid-configuration'
        ? `${tried} answered 404: no OpenID Connect discovery document there. Check the issuer (${quotedValue(issuer)}): it must equal the tokens' iss exactly, trailing slash included. An OAuth server without OpenID Connect (a Revocable service, for one) publishes RFC 8414 metadata instead: pass kind: 'oauth-authorization-server'. For a document at another address, pass its url.`
        : `${tried} answered 404: no RFC 8414 metadata there. Check the issuer (${quotedValue(issuer)}): it must equal the tokens' iss exactly. An OpenID Connect provider publishes /.well-known/openid-configuration instead: pass kind: 'openid-configuration' (the default). For a document at another address, pass its url.`;
  } else if (status === undefined) {
    message = `${tried} failed: ${error.message} Is the issuer running, and reachable from here at that address?`;
  } else if (status < 200 || status > 299) {
    message = `${tried} answered ${status}: the issuer did not serve its metadata. Try again later, or check the URL.`;
  } else {
    message = `${tried} answered ${status}, but: ${error.message}`;
  }
  return new RevocableError('ERR_JWKS_UNAVAILABLE', message, undefined, { cause: error });
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
  const read = await readMetadata(options.fetch ?? globalThis.fetch, url, options.timeoutMs ?? 5000);
  if ('failure' in read) throw discoveryFailure(kind, issuer, read.failure);
  const { document } = read;
  if (document['issuer'] !== issuer) {
    throw config(
      `The metadata at ${url.href} names the issuer ${quotedValue(document['issuer'])}, not the expected ${quotedValue(issuer)}: a document must name exactly the issuer whose tokens it describes (trailing slash included). If the tokens carry ${quotedValue(document['issuer'])} in iss, give that as the issuer; otherwise this address serves another issuer's document.`,
    );
  }
  const jwksUri = document['jwks_uri'];
  if (typeof jwksUri !== 'string' || jwksUri.length === 0) {
    throw config(`The metadata at ${url.href} has no "jwks_uri".`);
  }
  assertFetchableUrl(jwksUri, insecure, 'The metadata "jwks_uri"');
  return Object.freeze({
    issuer,
    jwksUri,
    backchannelLogoutSupported: document['backchannel_logout_supported'] === true,
    document: Object.freeze(document),
  });
}
