import { RevocableError } from '../errors.js';
import type { Algorithm } from '../keys/algorithms.js';
import { RemoteJwks, type RemoteJwksOptions } from '../keys/remote-jwks.js';
import type { RevocationCheck } from '../revocation/check.js';
import type { SizeLimits } from '../token/compact.js';
import { revocationBounds, type VerifiedToken, Verifier } from '../verify/verifier.js';
import { discoverIssuer, type IssuerMetadata, type MetadataKind } from './discovery.js';
import { type TokenProfile, type TokenProfileName, tokenProfile } from './token-profiles.js';

/** Options of {@link trustIssuer}. A mistake throws `ERR_CONFIG_INVALID`. */
export interface TrustedIssuerOptions {
  /** The exact `iss` of the tokens (Auth0: with its trailing `/`). */
  readonly issuer: string;
  /** Accepted `aud` value(s): your API's identifier at that issuer. */
  readonly audience: string | readonly string[];
  /**
   * Where the keys come from. Give at most one of `discoveryUrl` and `jwksUri`; with neither, the
   * standard discovery document of `issuer` is read.
   */
  readonly discoveryUrl?: string | URL;
  /** A JWKS URL to use directly, without discovery. */
  readonly jwksUri?: string | URL;
  /** For discovery: `openid-configuration` (default) or RFC 8414 `oauth-authorization-server`. */
  readonly metadataKind?: MetadataKind;
  /** How this issuer's access tokens look; see {@link TOKEN_PROFILES}. Default `rfc9068` (`typ: at+jwt`). */
  readonly profile?: TokenProfileName;
  /** Overrides the profile's accepted `typ` values (`null` accepts a missing `typ`). */
  readonly types?: readonly (string | null)[];
  /** Overrides the profile's required claims. */
  readonly requiredClaims?: readonly string[];
  /** Overrides the profile's token id claim. */
  readonly tokenIdClaim?: string;
  /**
   * Required. The revocation hook, usually a {@link Replica}: the issuer's tokens are bounded by its
   * `policy` (`maxTokenLifetimeMs`, and `clockSkewMs` for the clock tolerance), so set the log's and the
   * replica's policy to the longest lifetime this issuer uses. Entra ID issues 60–90 minute tokens,
   * Auth0 24 hours by default, Keycloak 5 minutes. `'none'` verifies without revocation, and must be
   * said: omitting it throws `ERR_CONFIG_INVALID` before any request.
   */
  readonly revocation: RevocationCheck | 'none';
  /**
   * A tighter bound on `exp - iat`, seconds (`ERR_CLAIM_INVALID`, claim `exp`): at most the revocation
   * policy's (a longer one throws `ERR_CONFIG_INVALID` naming both). Default: the policy's; with
   * `revocation: 'none'`, 600 s unless given.
   */
  readonly maxTokenLifetimeSec?: number;
  /** Accepted algorithms. Default EdDSA, ES256, RS256 (a published key set never yields an HS256 key). */
  readonly algorithms?: readonly Algorithm[];
  /** At most the revocation policy's `clockSkewMs`; default 5 s (see {@link VerifierOptions}). */
  readonly clockToleranceSec?: number;
  readonly cache?: { readonly maxEntries: number } | false;
  readonly limits?: Partial<SizeLimits>;
  /** Options of the {@link RemoteJwks} (timeouts, max age, cool-down). */
  readonly jwks?: Omit<RemoteJwksOptions, 'url' | 'allowInsecureLocalhost' | 'fetch' | 'clock'>;
  /** Allow `http:` on loopback hosts for discovery and JWKS (tests, local stand-ins). Default `false`. */
  readonly allowInsecureLocalhost?: boolean;
  /** Fetch the keys before returning, so a wrong URL fails at startup. Default `true`. */
  readonly preload?: boolean;
  readonly fetch?: typeof globalThis.fetch;
  readonly clock?: () => number;
}

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * An external issuer this API trusts: its keys (a {@link RemoteJwks}) and the {@link Verifier} built
 * for its `iss`, `aud`, token profile and revocation policy (which bounds the tokens' lifetime). Made
 * by {@link trustIssuer}.
 *
 * @example
 * ```ts
 * const policy = { maxTokenLifetimeMs: 5_400_000, clockSkewMs: 60_000 }; // Entra ID: up to 90 minutes
 * const replica = new Replica({ policy }); // following a log opened with the same policy
 * const entra = await trustIssuer({ ...entraIssuer(tenantId, 'v2'), audience: apiClientId, profile: 'entra-v2', revocation: replica });
 * const { claims, facts } = await entra.verify(token);
 * ```
 */
export class TrustedIssuer {
  readonly issuer: string;
  readonly keys: RemoteJwks;
  readonly verifier: Verifier;
  readonly profile: TokenProfile;
  /** The checked discovery document, when the issuer was configured by discovery. */
  readonly metadata: IssuerMetadata | undefined;

  constructor(parts: {
    readonly issuer: string;
    readonly keys: RemoteJwks;
    readonly verifier: Verifier;
    readonly profile: TokenProfile;
    readonly metadata: IssuerMetadata | undefined;
  }) {
    this.issuer = parts.issuer;
    this.keys = parts.keys;
    this.verifier = parts.verifier;
    this.profile = parts.profile;
    this.metadata = parts.metadata;
  }

  /** The longest lifetime accepted from this issuer, seconds: its verifier's (the revocation policy's). */
  get maxTokenLifetimeSec(): number {
    return this.verifier.maxTokenLifetimeSec;
  }

  /**
   * Verifies a token of this issuer (fetching keys on an unknown `kid`, within the cool-down).
   *
   * @example
   * ```ts
   * const { claims } = await issuer.verify(token);
   * ```
   */
  verify(token: string): Promise<VerifiedToken> {
    return this.verifier.verify(token);
  }

  /**
   * Verifies a token with the keys already held, without I/O.
   *
   * @example
   * ```ts
   * const { claims } = issuer.verifySync(token);
   * ```
   */
  verifySync(token: string): VerifiedToken {
    return this.verifier.verifySync(token);
  }
}

/**
 * Configures an external issuer (Entra ID, Auth0, Keycloak, any OIDC provider) from its discovery
 * document or its JWKS URL, with an explicit `typ` policy per issuer: `at+jwt` only unless a
 * {@link TOKEN_PROFILES} entry or `types` says otherwise. Discovery checks that the document's
 * `issuer` equals `issuer` and that `jwks_uri` is `https:`.
 *
 * @example
 * ```ts
 * const auth0 = await trustIssuer({
 *   issuer: 'https://example.eu.auth0.com/',
 *   audience: 'https://api.example.com',
 *   profile: 'auth0', // Auth0's default token profile sends typ JWT
 *   revocation: replica, // its policy's maxTokenLifetimeMs: at least Auth0's token lifetime
 * });
 * ```
 */
export async function trustIssuer(options: TrustedIssuerOptions): Promise<TrustedIssuer> {
  if (!options || typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw config('issuer must be a non-empty string.');
  }
  if (options.discoveryUrl !== undefined && options.jwksUri !== undefined) {
    throw config('Give discoveryUrl or jwksUri, not both.');
  }
  if (options.revocation === undefined) {
    throw config(
      "revocation is missing: pass a Replica (or any RevocationCheck) to check this issuer's revocations, or 'none' to verify without them.",
    );
  }
  // The policy's bounds are checked before discovery: a refused bound fails without a request.
  revocationBounds(options);
  const profile = tokenProfile(options.profile ?? 'rfc9068');
  const insecure = options.allowInsecureLocalhost === true;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let metadata: IssuerMetadata | undefined;
  let jwksUri: string | URL;
  if (options.jwksUri !== undefined) {
    jwksUri = options.jwksUri;
  } else {
    metadata = await discoverIssuer({
      issuer: options.issuer,
      ...(options.discoveryUrl === undefined ? {} : { url: options.discoveryUrl }),
      ...(options.metadataKind === undefined ? {} : { kind: options.metadataKind }),
      allowInsecureLocalhost: insecure,
      fetch: fetchImpl,
    });
    jwksUri = metadata.jwksUri;
  }
  const keys = new RemoteJwks({
    ...options.jwks,
    url: jwksUri,
    allowInsecureLocalhost: insecure,
    fetch: fetchImpl,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const verifier = new Verifier({
    keys,
    issuer: options.issuer,
    audience: options.audience,
    algorithms: options.algorithms ?? ['EdDSA', 'ES256', 'RS256'],
    types: options.types ?? profile.types,
    requiredClaims: options.requiredClaims ?? profile.requiredClaims,
    tokenIdClaim: options.tokenIdClaim ?? profile.tokenIdClaim,
    revocation: options.revocation,
    ...(options.maxTokenLifetimeSec === undefined
      ? {}
      : { maxTokenLifetimeSec: options.maxTokenLifetimeSec }),
    ...(options.clockToleranceSec === undefined ? {} : { clockToleranceSec: options.clockToleranceSec }),
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  if (options.preload ?? true) await keys.load();
  return new TrustedIssuer({
    issuer: options.issuer,
    keys,
    verifier,
    profile,
    metadata,
  });
}
