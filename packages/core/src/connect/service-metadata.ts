import { RevocableError } from '../errors.js';
import { type MetadataReadFailure, quotedValue, readMetadata } from '../external/discovery.js';
import { assertFetchableUrl } from '../keys/remote-jwks.js';
import type { RevocationPolicy } from '../revocation/validate.js';
import type { ServiceUrl } from './service-url.js';

/**
 * What a Revocable service publishes for the APIs that verify its tokens, read from its RFC 8414
 * metadata (`/.well-known/oauth-authorization-server`) and checked.
 *
 * @example
 * ```ts
 * const { metadata } = await connectToService('https://auth.example', { clientId, clientSecret });
 * console.log(metadata.audience, metadata.policy.maxTokenLifetimeMs);
 * ```
 */
export interface ServiceMetadata {
  /** The service's issuer: the tokens' `iss`, equal to the URL connected to. */
  readonly issuer: string;
  /** `revocable_audience`: the `aud` of the service's tokens (its `--audience`). */
  readonly audience: string;
  /** `revocable_revocation_policy`: the lifetime policy of the service's log. */
  readonly policy: RevocationPolicy;
  /** `jwks_uri`: the service's public signing keys. */
  readonly jwksUri: string;
  /** `revocable_feed_endpoint`: the revocation feed (`GET`), and an API's own logout (`POST`). */
  readonly feedEndpoint: string;
  /** The whole document, unverified beyond the members above. */
  readonly document: Readonly<Record<string, unknown>>;
}

const FEED_PATH = '/revocations';

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/** Why the metadata could not be read, said for a Revocable service: the URL, the answer, the fix. */
function unreadable(base: string, { url, status, error }: MetadataReadFailure): RevocableError {
  const tried = `GET ${url.href}`;
  const message =
    status === 404
      ? `${tried} answered 404: is ${base} a Revocable service? It publishes RFC 8414 metadata at /.well-known/oauth-authorization-server, not OIDC discovery. Check the URL's scheme, host, port and path: it must be the service's --issuer (REVOCABLE_ISSUER).`
      : status === undefined
        ? `${tried} failed: ${error.message} Is the Revocable service running (npx revocable serve), and reachable from here at ${base}?`
        : status < 200 || status > 299
          ? `${tried} answered ${status}: the service did not serve its metadata. Try again later, or check that ${base} is the service's URL.`
          : `${tried} answered ${status}, but: ${error.message} Is ${base} a Revocable service?`;
  return new RevocableError('ERR_JWKS_UNAVAILABLE', message, undefined, { cause: error });
}

/** A metadata member this core needs that an older service, or another server, does not publish. */
function missing(base: string, url: URL, member: string): RevocableError {
  return config(
    `The metadata at ${url.href} has no valid ${member}: ${base} is not a Revocable service, or one older than this @revocable/core. Upgrade the service; or, for another issuer, verify its tokens with trustIssuer.`,
  );
}

function policyOf(value: unknown): RevocationPolicy | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { max_token_lifetime_ms: lifetime, clock_skew_ms: skew } = value as Record<string, unknown>;
  if (!(Number.isSafeInteger(lifetime) && (lifetime as number) > 0)) return undefined;
  if (!(Number.isSafeInteger(skew) && (skew as number) >= 0)) return undefined;
  const issuers = issuerLifetimesOf((value as Record<string, unknown>)['issuers']);
  if (issuers === null) return undefined;
  return Object.freeze({
    maxTokenLifetimeMs: lifetime as number,
    clockSkewMs: skew as number,
    ...(issuers === undefined ? {} : { issuers }),
  });
}

/** `issuers` of the published policy (`{ [iss]: { max_token_lifetime_ms } }`); `null` when malformed. */
function issuerLifetimesOf(value: unknown): RevocationPolicy['issuers'] | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const issuers: Record<string, { readonly maxTokenLifetimeMs: number }> = Object.create(null);
  for (const [iss, entry] of Object.entries(value)) {
    const lifetime = (entry as Record<string, unknown> | null)?.['max_token_lifetime_ms'];
    if (iss.length === 0 || !(Number.isSafeInteger(lifetime) && (lifetime as number) > 0)) return null;
    issuers[iss] = Object.freeze({ maxTokenLifetimeMs: lifetime as number });
  }
  return Object.freeze(issuers);
}

/**
 * Reads and checks a Revocable service's metadata at `{base}/.well-known/oauth-authorization-server`:
 * its `issuer` is exactly `base`, and it publishes the audience, the lifetime policy, the keys and the
 * feed (on the service's own origin: the client secret goes there). Throws `ERR_JWKS_UNAVAILABLE` when
 * it cannot be read, `ERR_CONFIG_INVALID` when it does not check out, each saying what to change.
 *
 * @example
 * ```ts
 * const metadata = await discoverService(serviceUrlOf('https://auth.example'), { fetch, timeoutMs: 5000 });
 * ```
 */
export async function discoverService(
  service: ServiceUrl,
  options: { readonly fetch: typeof globalThis.fetch; readonly timeoutMs: number },
): Promise<ServiceMetadata> {
  const { base, loopbackHttp } = service;
  const url = new URL(`${base}/.well-known/oauth-authorization-server`);
  const read = await readMetadata(options.fetch, url, options.timeoutMs);
  if ('failure' in read) throw unreadable(base, read.failure);
  const { document } = read;
  const issuer = document['issuer'];
  if (issuer !== base) {
    throw config(
      `The service at ${base} names its issuer ${quotedValue(issuer)}, not ${quotedValue(base)}: its tokens carry ${quotedValue(issuer)} in iss, and an API must reach the service at that same URL. Connect to ${quotedValue(issuer)}; or, if ${base} is the URL APIs use, restart the service with --issuer ${base} (REVOCABLE_ISSUER).`,
    );
  }
  const audience = document['revocable_audience'];
  if (typeof audience !== 'string' || audience.length === 0) throw missing(base, url, 'revocable_audience');
  const policy = policyOf(document['revocable_revocation_policy']);
  if (policy === undefined) throw missing(base, url, 'revocable_revocation_policy');
  const feedEndpoint = document['revocable_feed_endpoint'];
  if (typeof feedEndpoint !== 'string' || !feedEndpoint.endsWith(FEED_PATH)) {
    throw missing(base, url, 'revocable_feed_endpoint');
  }
  const feed = assertFetchableUrl(feedEndpoint, loopbackHttp, 'The metadata "revocable_feed_endpoint"');
  if (feed.origin !== new URL(base).origin) {
    throw config(
      `The metadata at ${url.href} puts the revocation feed on ${feed.origin}, not on the service's own origin: the client secret is sent only to ${new URL(base).origin}.`,
    );
  }
  const jwksUri = document['jwks_uri'];
  if (typeof jwksUri !== 'string' || jwksUri.length === 0) throw missing(base, url, 'jwks_uri');
  assertFetchableUrl(jwksUri, loopbackHttp, 'The metadata "jwks_uri"');
  return Object.freeze({
    issuer: base,
    audience,
    policy,
    jwksUri,
    feedEndpoint,
    document: Object.freeze(document),
  });
}

/**
 * The base URL the feed's reader takes (`HttpFeedSource` adds `/revocations` itself).
 *
 * @example
 * ```ts
 * new HttpFeedSource({ url: feedBaseOf(metadata), clientId, clientSecret });
 * ```
 */
export function feedBaseOf(metadata: ServiceMetadata): string {
  return metadata.feedEndpoint.slice(0, -FEED_PATH.length);
}
