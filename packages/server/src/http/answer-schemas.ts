// Response schemas of the routes outside /admin/* (those are in `wire-schemas.ts`): each lists every
// member its route sends. The app serializes with `JSON.stringify` (app.ts), so a schema documents an
// answer and never filters it; the HTTP suites check real answers against /openapi.json.

const text = { type: 'string' } as const;

/** An object schema: these members, `optional` ones may be left out, no other. */
function record(properties: Record<string, object>, optional: readonly string[] = [], description?: string) {
  return {
    type: 'object',
    ...(description !== undefined && { description }),
    additionalProperties: false,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
  } as const;
}

const tokenMembers = {
  access_token: { ...text, description: 'A JWT (typ at+jwt), for Authorization: Bearer.' },
  token_type: { type: 'string', enum: ['Bearer'] },
  expires_in: { type: 'integer', minimum: 1, description: 'Seconds the access token is valid.' },
  session_id: text,
  scope: { ...text, description: "The session's scope; absent when it has none." },
  refresh_token: { ...text, description: 'Single use: each refresh answers a new one.' },
} as const;

/** The RFC 6749 §5.1 token answer of /auth/login and /auth/refresh: no `refresh_token` in cookie mode. */
export const LOGIN_ANSWER = record(
  tokenMembers,
  ['scope', 'refresh_token'],
  'Tokens. In cookie mode (a login with cookie: true, a refresh with the cookie) the refresh token is set as the __Host-revocable-refresh cookie (HttpOnly, Secure, SameSite=Strict) and is not in the body.',
);

/** The token answer of `/oauth/token`: the refresh token is always in the body. */
export const OAUTH_TOKEN_ANSWER = record(tokenMembers, ['scope'], 'RFC 6749 §5.1 token answer.');

/** `POST /auth/register`. */
export const REGISTERED_ANSWER = record(
  {
    id: { ...text, description: 'The user id: the sub of their tokens.' },
    username: text,
  },
  [],
  'The user is created; log in next.',
);

/** `POST /auth/logout-all`. */
export const LOGOUT_ALL_ANSWER = record(
  { ended_sessions: { type: 'integer', minimum: 0 } },
  [],
  'Every session of the user is ended (the refresh cookie is cleared); ended_sessions counts them.',
);

/** `POST /auth/password`: this session's new access token, unless this session has ended meanwhile. */
export const PASSWORD_ANSWER = record(
  {
    ended_sessions: { type: 'integer', minimum: 0, description: "The user's other sessions, ended." },
    access_token: tokenMembers.access_token,
    token_type: tokenMembers.token_type,
    expires_in: tokenMembers.expires_in,
  },
  ['access_token', 'token_type', 'expires_in'],
  'The access token members are present together: a new access token for this session (the old one is revoked).',
);

/** The claims of an access token of this service (custom claims of a trusted backend's session alongside). */
export const CLAIMS_SCHEMA = {
  type: 'object',
  description:
    'The verified claims; a session opened by a trusted backend (POST /admin/sessions) adds its own.',
  additionalProperties: true,
  required: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
  properties: {
    iss: text,
    sub: text,
    aud: { oneOf: [text, { type: 'array', items: text, minItems: 1 }] },
    exp: { type: 'integer', description: 'Epoch seconds' },
    iat: { type: 'number', description: 'Epoch seconds, with milliseconds as a fraction' },
    jti: text,
    sid: { ...text, description: 'The session; absent for a token without one.' },
    client_id: text,
    scope: text,
  },
} as const;

/** `GET /api/me`. */
export const ME_ANSWER = record(
  {
    claims: CLAIMS_SCHEMA,
    kid: { ...text, description: "The signing key's kid." },
  },
  [],
  'The claims of the access token sent, verified and not revoked.',
);

/** A public signing key (RFC 7517), never a private member. */
const PUBLIC_JWK = record(
  {
    kty: { type: 'string', enum: ['EC', 'OKP', 'RSA'] },
    kid: text,
    alg: text,
    use: { type: 'string', enum: ['sig'] },
    crv: text,
    x: text,
    y: text,
    n: text,
    e: text,
  },
  ['crv', 'x', 'y', 'n', 'e'],
);

/** `GET /.well-known/jwks.json`: the active key, the next one (published before use), retired ones still verifying. */
export const JWKS_ANSWER = record(
  { keys: { type: 'array', items: PUBLIC_JWK } },
  [],
  'The public keys that verify tokens: the active one, the next (published ahead of use), retired ones still verifying. Cache-Control: public, max-age=300.',
);

/** `POST /oauth/introspect` (RFC 7662): inactive, a refresh token, or an access token with its claims. */
export const INTROSPECTION_ANSWER = {
  // anyOf: a trusted issuer's token with jti and azp fits both access-token forms.
  anyOf: [
    record({ active: { type: 'boolean', enum: [false] } }, [], 'Anything not usable now: {"active": false}.'),
    record(
      {
        active: { type: 'boolean', enum: [true] },
        token_type: { type: 'string', enum: ['refresh_token'] },
        sub: text,
        sid: text,
        client_id: text,
        iss: text,
        exp: { type: 'integer', description: 'Epoch seconds' },
        iat: { type: 'integer', description: 'Epoch seconds' },
      },
      [],
      'A live refresh token.',
    ),
    {
      ...CLAIMS_SCHEMA,
      description: 'A valid, unrevoked access token: its claims, with active and token_type.',
      required: [...CLAIMS_SCHEMA.required, 'active', 'token_type'],
      properties: {
        ...CLAIMS_SCHEMA.properties,
        active: { type: 'boolean', enum: [true] },
        token_type: { type: 'string', enum: ['access_token'] },
      },
    },
    {
      type: 'object',
      description:
        "A valid, unrevoked access token of a trusted issuer (Entra ID, Auth0, Keycloak): its claims, with the RFC 7662 members read from the issuer's own (scope from scp, client_id from azp or appid, where present).",
      additionalProperties: true,
      required: ['active', 'token_type', 'iss', 'sub', 'aud', 'exp', 'iat'],
      properties: {
        active: { type: 'boolean', enum: [true] },
        token_type: { type: 'string', enum: ['access_token'] },
        iss: text,
        sub: text,
        aud: { oneOf: [text, { type: 'array', items: text, minItems: 1 }] },
        exp: { type: 'integer', description: 'Epoch seconds' },
        iat: { type: 'number', description: 'Epoch seconds' },
        scope: { ...text, description: 'Space-separated scopes' },
        client_id: text,
      },
    },
  ],
} as const;

/** `GET /healthz`. */
export const HEALTH_ANSWER = record({ status: { type: 'string', enum: ['ok'] } }, [], 'The process answers.');

/** `GET /readyz`, 200 and 503. */
export function readinessAnswer(description: string) {
  return record(
    {
      status: { type: 'string', enum: ['ready', 'not_ready'] },
      database: { type: 'string', enum: ['ok', 'unreachable', 'timeout'] },
      replica_stale: { type: 'boolean' },
    },
    [],
    description,
  );
}

/** `GET /metrics`: the Prometheus text format. */
export const METRICS_ANSWER = {
  description: 'Prometheus metrics, text exposition format 0.0.4.',
  content: { 'text/plain': { schema: { type: 'string' } } },
} as const;

/** `GET /revocations`: a snapshot, or the events after `after`. */
export const FEED_ANSWER = {
  description: "A snapshot (no after), or the events after `after` (catch-up). Both in the log's form.",
  oneOf: [{ $ref: 'FeedSnapshot#' }, { $ref: 'FeedCatchUp#' }],
} as const;

/** `GET /revocations/stream`: Server-Sent Events, a heartbeat every `heartbeatMs`. */
export function streamAnswer(heartbeatMs: number) {
  return {
    description: `Server-Sent Events, never ending: revocation events, and a heartbeat every ${heartbeatMs / 1000} s. See the operation's description.`,
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  } as const;
}
