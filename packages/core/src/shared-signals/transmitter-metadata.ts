import { RevocableError } from '../errors.js';
import { quotedValue, readMetadata } from '../external/discovery.js';
import { assertFetchableUrl, RemoteJwks } from '../keys/remote-jwks.js';
import { DELIVERY_METHOD } from './event-types.js';

/** Options of {@link discoverTransmitter}: give `issuer`, or `url` (the metadata document's address), or both. */
export interface TransmitterDiscoveryOptions {
  /** The transmitter's issuer identifier: the document's `issuer` must equal it exactly. */
  readonly issuer?: string;
  /**
   * The `ssf-configuration` URL. Default: derived from `issuer` (SSF 1.0 §7.2:
   * `{origin}/.well-known/ssf-configuration{path}`). Given alone, the issuer is derived back from it.
   */
  readonly url?: string | URL;
  /** Allow `http:` URLs on loopback hosts for the document and its `jwks_uri`. Default `false`. */
  readonly allowInsecureLocalhost?: boolean;
  /** Default 5,000 ms. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

/** What a receiver needs from a transmitter's configuration metadata, checked. */
export interface TransmitterMetadata {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly deliveryMethods: readonly string[];
  readonly configurationEndpoint: string | undefined;
  readonly statusEndpoint: string | undefined;
  readonly verificationEndpoint: string | undefined;
  readonly criticalSubjectMembers: readonly string[];
  /** The whole document, unverified beyond the members above. */
  readonly document: Readonly<Record<string, unknown>>;
}

const WELL_KNOWN = '/.well-known/ssf-configuration';

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * The `ssf-configuration` URL of an issuer: `/.well-known/ssf-configuration` inserted between its
 * host and path, a trailing slash removed first.
 *
 * @example
 * ```ts
 * transmitterMetadataUrlOf('https://tr.example/issuer1').href; // https://tr.example/.well-known/ssf-configuration/issuer1
 * ```
 */
export function transmitterMetadataUrlOf(issuer: string): URL {
  const base = new URL(issuer);
  return new URL(`${base.origin}${WELL_KNOWN}${base.pathname.replace(/\/+$/, '')}`);
}

function issuerOfMetadataUrl(url: URL): string {
  if (!url.pathname.startsWith(WELL_KNOWN)) {
    throw config(
      `The transmitter's metadata URL must have the path ${WELL_KNOWN}[/issuer-path], or give its issuer.`,
    );
  }
  return `${url.origin}${url.pathname.slice(WELL_KNOWN.length)}`;
}

function optionalUrl(
  document: Record<string, unknown>,
  member: string,
  insecure: boolean,
): string | undefined {
  const value = document[member];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw unavailable(`The transmitter's "${member}" is not a URL.`);
  return assertFetchableUrl(value, insecure, member).href;
}

function unavailable(message: string): RevocableError {
  return new RevocableError('ERR_JWKS_UNAVAILABLE', message);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Reads and checks an SSF 1.0 transmitter's configuration metadata, and returns it with the
 * transmitter's keys (a {@link RemoteJwks} on its `jwks_uri`, loaded once). Throws
 * `ERR_CONFIG_INVALID` for unusable options and `ERR_JWKS_UNAVAILABLE` when the document or the keys
 * cannot be read, or the document is not the expected issuer's (its `issuer` must equal the issuer
 * the URL was derived from, exactly).
 *
 * @example
 * ```ts
 * const { metadata, keys } = await discoverTransmitter({ issuer: 'https://idp.example' });
 * const receiver = new SharedSignalsReceiver({ issuer: metadata.issuer, keys, audience: 'api', revoker,
 *   criticalSubjectMembers: metadata.criticalSubjectMembers });
 * ```
 */
export async function discoverTransmitter(
  options: TransmitterDiscoveryOptions,
): Promise<{ readonly metadata: TransmitterMetadata; readonly keys: RemoteJwks }> {
  const insecure = options.allowInsecureLocalhost === true;
  if (options.issuer === undefined && options.url === undefined)
    throw config("Give the transmitter's issuer or its metadata url.");
  const url =
    options.url !== undefined
      ? assertFetchableUrl(options.url, insecure, 'url')
      : assertFetchableUrl(transmitterMetadataUrlOf(options.issuer!), insecure, 'issuer');
  const issuer = options.issuer ?? issuerOfMetadataUrl(url);
  const read = await readMetadata(options.fetch ?? globalThis.fetch, url, options.timeoutMs ?? 5_000);
  if ('failure' in read) {
    const { status, error } = read.failure;
    throw new RevocableError(
      'ERR_JWKS_UNAVAILABLE',
      `GET ${url.origin}${url.pathname} ${status === undefined ? 'failed' : `answered ${status}`}: ${error.message}`,
      undefined,
      { cause: error },
    );
  }
  const { document } = read;
  if (document['issuer'] !== issuer) {
    throw unavailable(
      `The transmitter's metadata names issuer ${quotedValue(document['issuer'])}, not ${quotedValue(issuer)}: it must be identical.`,
    );
  }
  const jwksUri = optionalUrl(document, 'jwks_uri', insecure);
  if (jwksUri === undefined)
    throw unavailable("The transmitter's metadata has no jwks_uri: its SETs could not be verified.");
  const metadata: TransmitterMetadata = {
    issuer,
    jwksUri,
    deliveryMethods: strings(document['delivery_methods_supported']),
    configurationEndpoint: optionalUrl(document, 'configuration_endpoint', insecure),
    statusEndpoint: optionalUrl(document, 'status_endpoint', insecure),
    verificationEndpoint: optionalUrl(document, 'verification_endpoint', insecure),
    criticalSubjectMembers: strings(document['critical_subject_members']),
    document,
  };
  const keys = new RemoteJwks({
    url: jwksUri,
    allowInsecureLocalhost: insecure,
    ...(options.fetch && { fetch: options.fetch }),
  });
  await keys.load();
  return { metadata, keys };
}

/** Whether a transmitter says it can deliver by push (RFC 8935) — or says nothing of its methods. */
export function supportsPush(metadata: TransmitterMetadata): boolean {
  return metadata.deliveryMethods.length === 0 || metadata.deliveryMethods.includes(DELIVERY_METHOD.push);
}
