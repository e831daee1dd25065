// How Entra ID (v2 access tokens), Auth0 (default token profile) and Keycloak shape what they send:
// the issuer identifier, the routes, the access token's header and claims, its lifetime, and whether
// a back-channel logout token carries `sid`. oidc-provider issues the tokens; each shape rewrites the
// RFC 9068 token oidc-provider would send into what that provider really sends (docs/external-issuers.md).
import { createHash, randomBytes } from 'node:crypto';

/** The real-world providers `startOidcShape` can stand in for. */
export type ShapeName = 'entra-v2' | 'auth0' | 'keycloak';

/** Who signs in: a person, and the identifiers the provider derives for them. */
export interface Person {
  /** The name the test uses (`alice`). */
  readonly account: string;
  /** The token's `sub` (Entra: pairwise per application; Auth0: `auth0|…`; Keycloak: a UUID). */
  readonly sub: string;
}

/** The token oidc-provider is about to sign, as its JWT customizer receives it. */
export interface TokenDraft {
  header?: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** What a shape needs to know when it rewrites a draft. */
export interface DraftContext {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string;
  readonly scope: string;
  readonly person: Person;
  /** The provider session's id for this client, when the token was issued in one. */
  readonly sid: string | undefined;
  /** Origins of the SPA's redirect URIs (Keycloak's `allowed-origins`). */
  readonly origins: readonly string[];
}

export interface ShapeProfile {
  readonly name: ShapeName;
  /** The exact `iss` for a provider listening at `origin`. */
  issuerFor(origin: string): string;
  /** oidc-provider routes (relative to the issuer's path) where the provider's differ from the defaults. */
  readonly routes: Readonly<Record<string, string>>;
  /** The SPA's client id as this provider formats them. */
  readonly clientId: string;
  /** What the SPA asks for at the stand-in (an RFC 8707 resource indicator: an absolute URI). */
  readonly resource: string;
  /** The access tokens' `aud` the API is configured with. */
  readonly audience: string;
  /** The API's delegated scope as this provider names them. */
  readonly scope: string;
  /** The lifetime of one access token, in seconds (Entra picks 60–90 minutes per token). */
  tokenLifetimeSec(): number;
  /** The longest access token this provider issues: the trusted issuer's `maxTokenLifetime`. */
  readonly maxTokenLifetimeSec: number;
  /** Whether the provider's logout tokens carry `sid` (`backchannel_logout_session_required`). */
  readonly sessionInLogoutToken: boolean;
  /** The `sub` this provider gives `account`. */
  subjectOf(account: string, issuer: string): string;
  /** Rewrites oidc-provider's RFC 9068 access token into this provider's. */
  shapeAccessToken(draft: TokenDraft, context: DraftContext): void;
}

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest();

/** A UUID-formatted id derived from `parts` (stable, so one person keeps one `oid`). */
function derivedUuid(...parts: string[]): string {
  const hex = digest(...parts).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const opaque = (bytes: number) => randomBytes(bytes).toString('base64url');

/** Replaces a payload's members by `values`, in their order, leaving out those `undefined`. */
function only(payload: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) shaped[name] = value;
  for (const name of Object.keys(payload)) delete payload[name];
  return Object.assign(payload, shaped);
}

const ENTRA_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENTRA_API = '6e74172b-be56-4843-9ff4-e66a39bb12e3';

/**
 * Entra ID v2 access token for an API (accessTokenAcceptedVersion 2): header `typ: JWT`; `aud` the
 * API's client id; `uti` instead of `jti`; `scp` space-separated; `azp`/`azpacr`; `oid`, `tid`;
 * `ver: "2.0"`; `nbf`; opaque `aio` and `rh`; no `sid`, no `scope`, no `client_id`.
 */
const entraV2: ShapeProfile = {
  name: 'entra-v2',
  issuerFor: (origin) => `${origin}/${ENTRA_TENANT}/v2.0`,
  routes: { jwks: '/discovery/keys', end_session: '/oauth2/logout' },
  clientId: 'b4e3c9a1-5d2f-4a8e-9c1b-7f6e2d3a4b5c',
  resource: `api://${ENTRA_API}`,
  audience: ENTRA_API,
  scope: 'Orders.Read',
  tokenLifetimeSec: () => 3600 + Math.floor(Math.random() * 1801),
  maxTokenLifetimeSec: 5400,
  sessionInLogoutToken: false,
  subjectOf: (account, issuer) => digest(issuer, ENTRA_API, account).toString('base64url').slice(0, 43),
  shapeAccessToken(draft, { issuer, clientId, audience, person }) {
    const { payload } = draft;
    draft.header = { typ: 'JWT' };
    only(payload, {
      aud: audience,
      iss: issuer,
      iat: payload['iat'],
      nbf: payload['iat'],
      exp: payload['exp'],
      aio: opaque(60),
      azp: clientId,
      azpacr: '0', // a public client
      name: person.account,
      oid: derivedUuid('oid', person.account),
      preferred_username: `${person.account}@contoso.example`,
      rh: `0.${opaque(40)}.`,
      scp: payload['scope'],
      sub: person.sub,
      tid: ENTRA_TENANT,
      uti: payload['jti'],
      ver: '2.0',
    });
  },
};

/**
 * Auth0's default ("Auth0") token profile: header `typ: JWT`; `iss` with a trailing `/`; `aud` the API
 * and the userinfo URL (openid was asked for); `azp`; `scope` with the OIDC scopes; `permissions`
 * (RBAC on); no `jti`, no `sid`; 24 hours by default.
 */
function auth0(lifetimeSec: number): ShapeProfile {
  return {
    name: 'auth0',
    issuerFor: (origin) => `${origin}/`,
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      jwks: '/.well-known/jwks.json',
      userinfo: '/userinfo',
      end_session: '/oidc/logout',
    },
    clientId: 'Xy9kQ2mN7pR4sT1vW8zB3cD6fG0hJ5lK',
    resource: 'https://api.orders.example',
    audience: 'https://api.orders.example',
    scope: 'read:orders',
    tokenLifetimeSec: () => lifetimeSec,
    maxTokenLifetimeSec: lifetimeSec,
    sessionInLogoutToken: true,
    subjectOf: (account) => `auth0|${digest('auth0', account).toString('hex').slice(0, 24)}`,
    shapeAccessToken(draft, { issuer, clientId, audience, person }) {
      const { payload } = draft;
      draft.header = { typ: 'JWT' };
      only(payload, {
        iss: issuer,
        sub: person.sub,
        aud: [audience, `${issuer}userinfo`],
        iat: payload['iat'],
        exp: payload['exp'],
        scope: `openid profile email ${String(payload['scope'])}`,
        azp: clientId,
        permissions: String(payload['scope']).split(' '),
      });
    },
  };
}

const KEYCLOAK_REALM = 'shop';

/**
 * Keycloak's default access token: header `typ: JWT`; `iss` `{origin}/realms/{realm}`; `jti`; `sid`
 * (the user session, the same as in the logout token); `typ: "Bearer"` in the payload; `azp`;
 * `realm_access`, `resource_access`; `aud` the API (Audience mapper) and `account`; 5 minutes.
 */
const keycloak: ShapeProfile = {
  name: 'keycloak',
  issuerFor: (origin) => `${origin}/realms/${KEYCLOAK_REALM}`,
  routes: {
    authorization: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    jwks: '/protocol/openid-connect/certs',
    userinfo: '/protocol/openid-connect/userinfo',
    end_session: '/protocol/openid-connect/logout',
  },
  clientId: 'orders-spa',
  resource: 'urn:orders-api',
  audience: 'orders-api',
  scope: 'orders:read',
  tokenLifetimeSec: () => 300,
  maxTokenLifetimeSec: 300,
  sessionInLogoutToken: true,
  subjectOf: (account) => derivedUuid('keycloak', account),
  shapeAccessToken(draft, { issuer, clientId, audience, person, sid, origins }) {
    const { payload } = draft;
    draft.header = { typ: 'JWT' };
    only(payload, {
      exp: payload['exp'],
      iat: payload['iat'],
      auth_time: payload['iat'],
      jti: `onrtac:${derivedUuid('jti', String(payload['jti']))}`,
      iss: issuer,
      aud: [audience, 'account'],
      sub: person.sub,
      typ: 'Bearer',
      azp: clientId,
      sid,
      acr: '1',
      'allowed-origins': origins,
      realm_access: { roles: [`default-roles-${KEYCLOAK_REALM}`, 'offline_access', 'uma_authorization'] },
      resource_access: { account: { roles: ['manage-account', 'manage-account-links', 'view-profile'] } },
      scope: `openid profile email ${String(payload['scope'])}`,
      email_verified: true,
      name: person.account,
      preferred_username: person.account,
      given_name: person.account,
      family_name: 'Example',
      email: `${person.account}@shop.example`,
    });
  },
};

/**
 * The profile of `name`; `auth0LifetimeSec` shortens Auth0's 24 hours for tests that need it.
 *
 * @example
 * ```ts
 * shapeProfile('keycloak').issuerFor('http://127.0.0.1:8080'); // 'http://127.0.0.1:8080/realms/shop'
 * ```
 */
export function shapeProfile(name: ShapeName, auth0LifetimeSec = 86_400): ShapeProfile {
  if (name === 'entra-v2') return entraV2;
  if (name === 'auth0') return auth0(auth0LifetimeSec);
  return keycloak;
}
