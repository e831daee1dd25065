import { RevocableError } from '../errors.js';
import type { RemoteJwksOptions } from '../keys/remote-jwks.js';
import type { RevocationPolicy } from '../revocation/validate.js';
import type { MetadataKind } from './discovery.js';
import { entraIssuer, TOKEN_PROFILES, type TokenProfileName } from './token-profiles.js';

/**
 * One trusted issuer as a configuration file states it (JSON; the service's `trustedIssuers` and the
 * edge's take the same shape). Checked by {@link parseTrustedIssuers}.
 */
export interface TrustedIssuerConfig {
  /** A short name, `[a-z0-9-]`, unique: used in URLs (`/backchannel-logout/{id}`) and permissions. */
  readonly id: string;
  /** How its access tokens look: a {@link TOKEN_PROFILES} name (`entra-v1`, `entra-v2`, `auth0`, `keycloak`, `rfc9068`). */
  readonly profile: TokenProfileName;
  /** The exact `iss` of its tokens. For `entra-v1`/`entra-v2` it may be left out when `tenant` is given. */
  readonly issuer: string;
  /** Where discovery is read from (default: the issuer's `/.well-known/openid-configuration`). */
  readonly discoveryUrl?: string;
  /** A JWKS URL used directly, without discovery. */
  readonly jwksUri?: string;
  /** For discovery: `openid-configuration` (default) or `oauth-authorization-server`. */
  readonly metadataKind?: MetadataKind;
  /** Accepted `aud` values: the API's identifier(s) at that issuer. */
  readonly audience: readonly string[];
  /** Overrides the profile's accepted `typ` values (`null`: a token without `typ`). */
  readonly types?: readonly (string | null)[];
  /** The longest access-token lifetime this issuer uses, seconds: bounds its tokens and keeps its rules. */
  readonly maxTokenLifetimeSec: number;
  /** `http:` discovery and JWKS on loopback hosts (tests, local stand-ins). Default `false`. */
  readonly allowInsecureLocalhost: boolean;
  /** How its key set is cached (`keys` in the file, seconds there): see {@link RemoteJwksOptions}. */
  readonly keys?: {
    readonly maxAgeMs?: number;
    readonly cooldownMs?: number;
    readonly expireAfterMs?: number;
  };
  /** OIDC Back-Channel Logout from this issuer, when it sends it. */
  readonly backchannelLogout?: {
    /** The `aud` of its logout tokens: the client id(s) registered at the issuer. */
    readonly clientId: readonly string[];
    /** `true` (default when its tokens carry `sid`): a logout token with `sid` ends that session only. */
    readonly preferSession: boolean;
  };
}

/** Longest lifetime a configuration may give an issuer: 24 hours (Auth0's default access token). */
const MAX_LIFETIME_SEC = 86_400;
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KNOWN_FIELDS = new Set([
  'id',
  'profile',
  'issuer',
  'tenant',
  'discoveryUrl',
  'jwksUri',
  'metadataKind',
  'audience',
  'types',
  'maxTokenLifetime',
  'allowInsecureLocalhost',
  'backchannelLogout',
  'keys',
]);

/** The `keys` fields (seconds in the file) and the {@link RemoteJwksOptions} they set (ms). */
const KEY_CACHE_FIELDS = {
  maxAge: 'maxAgeMs',
  cooldown: 'cooldownMs',
  expireAfter: 'expireAfterMs',
} as const;

function keyCacheOf(value: unknown, where: string): TrustedIssuerConfig['keys'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, 'must be an object { maxAge?, cooldown?, expireAfter? } in seconds.');
  }
  const out: Record<string, number> = {};
  for (const [key, seconds] of Object.entries(value)) {
    if (!Object.hasOwn(KEY_CACHE_FIELDS, key))
      throw invalid(`${where}.${key.slice(0, 64)}`, 'is not a known field.');
    if (!(Number.isSafeInteger(seconds) && (seconds as number) > 0 && (seconds as number) <= 7 * 86_400)) {
      throw invalid(`${where}.${key}`, 'must be whole seconds from 1 to 604800.');
    }
    out[KEY_CACHE_FIELDS[key as keyof typeof KEY_CACHE_FIELDS]] = (seconds as number) * 1000;
  }
  return Object.freeze(out);
}

/** Issuer profiles whose access tokens carry `sid` (a session rule then matches them). */
const PROFILES_WITH_SID = new Set<TokenProfileName>(['keycloak', 'rfc9068']);

function invalid(where: string, why: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', `Invalid configuration: ${where} ${why}`);
}

function stringsOf(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((entry) => typeof entry !== 'string' || entry.length === 0 || entry.length > 2048)
  ) {
    throw invalid(where, 'must be a non-empty string or a non-empty array of them.');
  }
  return [...list];
}

function urlOf(value: unknown, where: string): string {
  if (typeof value !== 'string') throw invalid(where, 'must be an absolute URL.');
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw invalid(where, 'must be an absolute http(s) URL.');
  }
  return value;
}

function issuerOf(entry: Record<string, unknown>, profile: TokenProfileName, where: string): string {
  const tenant = entry['tenant'];
  if (tenant !== undefined) {
    if (profile !== 'entra-v1' && profile !== 'entra-v2') {
      throw invalid(`${where}.tenant`, 'is only for the entra-v1 and entra-v2 profiles.');
    }
    let fromTenant: string;
    try {
      fromTenant = entraIssuer(String(tenant), profile === 'entra-v1' ? 'v1' : 'v2').issuer;
    } catch {
      throw invalid(`${where}.tenant`, 'must be the tenant GUID.');
    }
    if (entry['issuer'] !== undefined && entry['issuer'] !== fromTenant) {
      throw invalid(`${where}.issuer`, `does not match the tenant's issuer ${fromTenant}.`);
    }
    return fromTenant;
  }
  if (entry['issuer'] === undefined)
    throw invalid(`${where}.issuer`, 'is required (or tenant, for Entra ID).');
  return urlOf(entry['issuer'], `${where}.issuer`);
}

function typesOf(value: unknown, where: string): (string | null)[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some((t) => t !== null && (typeof t !== 'string' || t.length === 0 || t.length > 64))
  ) {
    throw invalid(where, 'must be a non-empty array of typ values (strings, or null for no typ).');
  }
  return [...value];
}

function backchannelOf(
  value: unknown,
  profile: TokenProfileName,
  where: string,
): TrustedIssuerConfig['backchannelLogout'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, 'must be an object { clientId, preferSession? }.');
  }
  const { clientId, preferSession, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw invalid(`${where}.${unknown}`, 'is not a known field.');
  if (preferSession !== undefined && typeof preferSession !== 'boolean') {
    throw invalid(`${where}.preferSession`, 'must be true or false.');
  }
  return {
    clientId: stringsOf(clientId, `${where}.clientId`),
    preferSession: preferSession ?? PROFILES_WITH_SID.has(profile),
  };
}

function parseOne(value: unknown, where: string): TrustedIssuerConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, 'must be an object.');
  }
  const entry = value as Record<string, unknown>;
  for (const key of Object.keys(entry)) {
    if (!KNOWN_FIELDS.has(key)) throw invalid(`${where}.${key.slice(0, 64)}`, 'is not a known field.');
  }
  const id = entry['id'];
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw invalid(
      `${where}.id`,
      'must be 1 to 63 characters of a-z, 0-9 and -, starting with a letter or digit.',
    );
  }
  const profile = entry['profile'];
  if (typeof profile !== 'string' || !Object.hasOwn(TOKEN_PROFILES, profile)) {
    throw invalid(`${where}.profile`, `must be one of ${Object.keys(TOKEN_PROFILES).join(', ')}.`);
  }
  const name = profile as TokenProfileName;
  if (entry['discoveryUrl'] !== undefined && entry['jwksUri'] !== undefined) {
    throw invalid(where, 'gives discoveryUrl and jwksUri: give one.');
  }
  const metadataKind = entry['metadataKind'];
  if (
    metadataKind !== undefined &&
    metadataKind !== 'openid-configuration' &&
    metadataKind !== 'oauth-authorization-server'
  ) {
    throw invalid(`${where}.metadataKind`, 'must be openid-configuration or oauth-authorization-server.');
  }
  const lifetime = entry['maxTokenLifetime'];
  if (
    !(Number.isSafeInteger(lifetime) && (lifetime as number) > 0 && (lifetime as number) <= MAX_LIFETIME_SEC)
  ) {
    throw invalid(
      `${where}.maxTokenLifetime`,
      `is required: the longest access-token lifetime of this issuer, whole seconds from 1 to ${MAX_LIFETIME_SEC} (Entra ID: up to 5400, Auth0: 86400 by default, Keycloak: 300).`,
    );
  }
  const insecure = entry['allowInsecureLocalhost'];
  if (insecure !== undefined && typeof insecure !== 'boolean') {
    throw invalid(`${where}.allowInsecureLocalhost`, 'must be true or false.');
  }
  const types = typesOf(entry['types'], `${where}.types`);
  const keys = keyCacheOf(entry['keys'], `${where}.keys`);
  const backchannelLogout = backchannelOf(entry['backchannelLogout'], name, `${where}.backchannelLogout`);
  return Object.freeze({
    id,
    profile: name,
    issuer: issuerOf(entry, name, where),
    ...(entry['discoveryUrl'] === undefined
      ? {}
      : { discoveryUrl: urlOf(entry['discoveryUrl'], `${where}.discoveryUrl`) }),
    ...(entry['jwksUri'] === undefined ? {} : { jwksUri: urlOf(entry['jwksUri'], `${where}.jwksUri`) }),
    ...(metadataKind === undefined ? {} : { metadataKind: metadataKind as MetadataKind }),
    audience: stringsOf(entry['audience'], `${where}.audience`),
    ...(types === undefined ? {} : { types }),
    maxTokenLifetimeSec: lifetime as number,
    allowInsecureLocalhost: insecure === true,
    ...(keys === undefined ? {} : { keys }),
    ...(backchannelLogout === undefined ? {} : { backchannelLogout }),
  });
}

/**
 * Checks the `trustedIssuers` array of a configuration file and returns each entry checked and
 * frozen. Throws `ERR_CONFIG_INVALID` naming the field (`trustedIssuers[1].audience`) for a missing or
 * wrong value, an unknown field, a duplicate `id` or `issuer`, or an issuer equal to `ownIssuer`.
 *
 * @example
 * ```ts
 * const issuers = parseTrustedIssuers(
 *   [{ id: 'entra', profile: 'entra-v2', tenant: tenantId, audience: 'api://orders', maxTokenLifetime: 5400 }],
 *   'trustedIssuers',
 *   'https://auth.example',
 * );
 * ```
 */
export function parseTrustedIssuers(
  value: unknown,
  where = 'trustedIssuers',
  ownIssuer?: string,
): TrustedIssuerConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid(where, 'must be an array of issuers.');
  if (value.length > 64) throw invalid(where, 'may list at most 64 issuers.');
  const ids = new Set<string>();
  const issuers = new Set<string>();
  return value.map((entry, index) => {
    const checked = parseOne(entry, `${where}[${index}]`);
    if (ids.has(checked.id)) throw invalid(`${where}[${index}].id`, `repeats "${checked.id}".`);
    if (issuers.has(checked.issuer)) throw invalid(`${where}[${index}].issuer`, 'is configured twice.');
    if (ownIssuer !== undefined && checked.issuer.replace(/\/$/, '') === ownIssuer.replace(/\/$/, '')) {
      throw invalid(`${where}[${index}].issuer`, "is the service's own issuer; it is trusted already.");
    }
    ids.add(checked.id);
    issuers.add(checked.issuer);
    return checked;
  });
}

/**
 * The revocation policy that gives each configured issuer its own lifetime on top of `base` (the
 * lifetime of every issuer not listed: the service's own tokens).
 *
 * @example
 * ```ts
 * const policy = policyWithIssuers({ maxTokenLifetimeMs: 600_000, clockSkewMs: 60_000 }, issuers);
 * // policy.issuers['https://login.microsoftonline.com/…/v2.0'].maxTokenLifetimeMs === 5_400_000
 * ```
 */
export function policyWithIssuers(
  base: RevocationPolicy,
  issuers: readonly TrustedIssuerConfig[],
): RevocationPolicy {
  const byIssuer = Object.fromEntries(
    issuers.map((entry) => [
      entry.issuer,
      Object.freeze({ maxTokenLifetimeMs: entry.maxTokenLifetimeSec * 1000 }),
    ]),
  );
  return Object.freeze({
    maxTokenLifetimeMs: base.maxTokenLifetimeMs,
    clockSkewMs: base.clockSkewMs,
    ...(issuers.length === 0 ? {} : { issuers: Object.freeze(byIssuer) }),
  });
}
