import { HTTP_STATUS } from '@revocable/core';
import { SERVICE_ERROR_CODES } from '../errors.js';
import { FEED_EVENT_SCHEMA, FEED_RULE_SCHEMA } from './feed-schemas.js';
import { RULE_SCHEMA } from './wire-schemas.js';

// The shared parts of /openapi.json: the named schemas (`components.schemas`, registered with
// `app.addSchema` and referenced as `{ $ref: 'Name#' }` from response schemas only: the request
// validators do not know them), the error answers and the security requirements of the routes.

/** Every `error` code a JSON error answer can carry: the service's and the core's (token refusals). */
export const ERROR_CODES: readonly string[] = [
  ...new Set([...SERVICE_ERROR_CODES, ...Object.keys(HTTP_STATUS)]),
].sort();

const OAUTH_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unsupported_grant_type',
  'unauthorized_client',
];

const KIND_MEANING: Record<string, string> = {
  token: 'One access token, by its jti, until the token expires.',
  allow: 'Lifts the token rule of one jti (an earlier revocation undone), until the token expires.',
  key: 'Every token signed with the key kid, until the last of them expires.',
  session: 'Every token of the session sid issued at or before cutoff.',
  subject: 'Every token of the user sub issued at or before cutoff (logout everywhere, suspension).',
  issuer: 'Every token of the issuer iss issued at or before cutoff.',
};

/** A rule schema's `oneOf`, each kind with its meaning (`title`: the kind). */
function describedKinds<T extends { oneOf: readonly object[] }>(schema: T): T {
  const oneOf = schema.oneOf.map((branch) => {
    const kind = (branch as { properties: { kind: { enum: readonly string[] } } }).properties.kind.enum[0]!;
    return { title: kind, description: KIND_MEANING[kind], ...branch };
  });
  return { ...schema, oneOf };
}

const epochMs = { type: 'integer', minimum: 0, description: 'Epoch milliseconds' } as const;
const seq = { type: 'integer', minimum: 0 } as const;

/**
 * The named schemas of /openapi.json (`components.schemas`), by name. `app.addSchema` registers each
 * with its name as `$id`; a response schema refers to one as `{ $ref: 'Name#' }` (see {@link ref}).
 *
 * @example
 * ```ts
 * for (const [name, schema] of Object.entries(COMPONENTS)) app.addSchema({ $id: name, ...schema });
 * ```
 */
export const COMPONENTS = {
  Error: {
    type: 'object',
    description:
      "Every JSON error answer outside the OAuth endpoints' RFC 6749 errors. Switch on `error` (stable); `message` is for people and never holds a token or secret.",
    additionalProperties: false,
    required: ['error', 'message'],
    properties: {
      error: { type: 'string', enum: ERROR_CODES },
      message: { type: 'string' },
    },
  },
  OAuthError: {
    type: 'object',
    description: 'An RFC 6749 §5.2 error of /oauth/*, with the stable code of the service alongside.',
    additionalProperties: false,
    required: ['error', 'error_description', 'code'],
    properties: {
      error: { type: 'string', enum: OAUTH_ERRORS },
      error_description: { type: 'string' },
      code: { type: 'string', enum: ERROR_CODES },
    },
  },
  Rule: {
    ...describedKinds(RULE_SCHEMA),
    description:
      'A revocation rule in the wire form of /admin/* (snake_case, RFC 3339 times), one schema per kind.',
  },
  FeedRule: {
    ...describedKinds(FEED_RULE_SCHEMA),
    description: "A revocation rule in the feed's form (the log's: camelCase, epoch milliseconds).",
  },
  FeedEvent: {
    ...FEED_EVENT_SCHEMA,
    properties: { ...FEED_EVENT_SCHEMA.properties, rule: { $ref: 'FeedRule#' } },
    description:
      "A revocation event in the feed's form: the data of an SSE `revocation` event, and each item of GET /revocations. `seq` increases by one per event of the log; apply events in seq order.",
  },
  FeedSnapshot: {
    type: 'object',
    description:
      'GET /revocations without `after`: every live rule, as the events that wrote them. Load them, then follow from `seq` (GET /revocations?after=seq, or the stream with Last-Event-ID: seq).',
    additionalProperties: false,
    required: ['type', 'seq', 'taken_at', 'events'],
    properties: {
      type: { type: 'string', enum: ['snapshot'] },
      seq: { ...seq, description: 'The last seq the snapshot includes (0: an empty log).' },
      taken_at: { ...epochMs, description: 'When it was taken, epoch milliseconds.' },
      events: { type: 'array', items: { $ref: 'FeedEvent#' } },
    },
  },
  FeedCatchUp: {
    type: 'object',
    description:
      "GET /revocations?after=SEQ: the events after SEQ in seq order, at most `limit`. Fewer than `limit`: you are caught up with `last_seq`, the log's newest seq when answering; otherwise ask again after the last event's seq.",
    additionalProperties: false,
    required: ['type', 'last_seq', 'events'],
    properties: {
      type: { type: 'string', enum: ['events'] },
      last_seq: { ...seq, description: "The log's newest seq." },
      events: { type: 'array', items: { $ref: 'FeedEvent#' } },
    },
  },
  FeedHeartbeat: {
    type: 'object',
    description:
      'The data of an SSE `heartbeat` event: every event up to `seq` was in the log at `at`. A follower that has applied up to `seq` is fresh as of `at`.',
    additionalProperties: false,
    required: ['seq', 'at'],
    properties: {
      seq: { ...seq, description: "The log's newest seq." },
      at: { ...epochMs, description: 'When seq was read, epoch milliseconds (taken before reading it).' },
    },
  },
} as const;

/** The name of a schema of {@link COMPONENTS}. */
export type ComponentName = keyof typeof COMPONENTS;

/**
 * A reference to a named schema, for a route's `schema.response` (never a request body).
 *
 * @example
 * ```ts
 * response: { 201: ref('FeedEvent') }
 * ```
 */
export function ref(name: ComponentName, description?: string) {
  return { ...(description !== undefined && { description }), $ref: `${name}#` } as const;
}

const STATUS_MEANING: Record<number, string> = {
  400: 'The request is not valid (ERR_BAD_REQUEST, or the code naming what is wrong).',
  401: 'The credential is missing, wrong, expired or revoked (with WWW-Authenticate).',
  403: 'Authenticated, but not allowed.',
  404: 'No such resource.',
  406: 'No media type the Accept header allows can be served (ERR_NOT_ACCEPTABLE).',
  409: 'A conflict with what exists.',
  413: 'The body is larger than the limit (ERR_BODY_TOO_LARGE).',
  415: 'The body is not JSON (ERR_UNSUPPORTED_MEDIA_TYPE; /oauth/* also take forms).',
  429: 'Too many attempts (with Retry-After, seconds).',
  500: 'An unexpected failure (ERR_INTERNAL): logged, never detailed in the answer.',
  503: 'The database or the revocation replica cannot answer now (with Retry-After, seconds).',
};

const WWW_AUTHENTICATE = {
  'WWW-Authenticate': { type: 'string', description: 'RFC 6750 / RFC 7617 challenge' },
};
const RETRY_AFTER = { 'Retry-After': { type: 'integer', description: 'Seconds' } };

/**
 * An error answer of `status`: the {@link COMPONENTS} `Error` body (or `schema`), described.
 *
 * @example
 * ```ts
 * response: { 200: OK_SCHEMA, 404: errorAnswer(404, 'No such live session of yours.') }
 * ```
 */
export function errorAnswer(status: number, description?: string, schema: object = ref('Error')) {
  const meaning = description ?? STATUS_MEANING[status] ?? 'An error.';
  const headers = status === 401 ? WWW_AUTHENTICATE : status === 429 || status === 503 ? RETRY_AFTER : {};
  return {
    description: meaning,
    ...schema,
    ...(Object.keys(headers).length > 0 && { headers }),
  };
}

/**
 * The error answers of a route, by status, each the `Error` body with its usual meaning.
 *
 * @example
 * ```ts
 * response: { 200: OK_SCHEMA, ...errorAnswers(401, 503) }
 * ```
 */
export function errorAnswers(...statuses: number[]): Record<number, ReturnType<typeof errorAnswer>> {
  return Object.fromEntries(statuses.map((status) => [status, errorAnswer(status)]));
}

/**
 * The errors the framework itself can answer on any route: 500, and on a request with a body 400
 * (not JSON), 413 and 415. `app.ts` adds them to every documented route that does not declare them.
 *
 * @example
 * ```ts
 * frameworkErrors('POST'); // [400, 413, 415, 500]
 * ```
 */
export function frameworkErrors(method: string): number[] {
  return ['GET', 'HEAD'].includes(method) ? [500] : [400, 413, 415, 500];
}

/** What an `onRoute` hook may change of a route: its schema. */
interface DocumentedRoute {
  schema?: object;
}

/**
 * Documents a route of /admin/* as such: the admin credential, its 401, 503 (storage), 400 for a
 * query or path parameter that is not valid and 404 for a path naming nothing, unless the route
 * declares them itself. For the admin plugin's `onRoute` hook.
 *
 * @example
 * ```ts
 * app.addHook('onRoute', documentAdminRoute);
 * ```
 */
export function documentAdminRoute(route: DocumentedRoute): void {
  const schema = route.schema as
    | { response?: object; params?: object; querystring?: object; hide?: boolean }
    | undefined;
  if (schema?.response === undefined || schema.hide === true) return;
  const statuses = [401, 503];
  if (schema.params !== undefined || schema.querystring !== undefined) statuses.push(400);
  if (schema.params !== undefined) statuses.push(404);
  route.schema = {
    ...schema,
    security: ADMIN_SECURITY,
    response: {
      ...errorAnswers(...statuses),
      401: errorAnswer(
        401,
        'The admin credential is missing or wrong, or the admin API is disabled (ERR_ADMIN_AUTH_REQUIRED).',
      ),
      ...schema.response,
    },
  };
}

/** A Bearer access token of this service (the `bearer` scheme). */
export const BEARER_SECURITY = [{ bearer: [] }];
/** A confidential client (HTTP Basic, or client_id and client_secret in the form), or the admin token. */
export const CLIENT_OR_ADMIN_SECURITY = [{ client: [] }, { admin: [] }];
/** The admin token. */
export const ADMIN_SECURITY = [{ admin: [] }];

/**
 * The security schemes of /openapi.json, for `components.securitySchemes`.
 *
 * @example
 * ```ts
 * await app.register(swagger, { openapi: { components: { securitySchemes: SECURITY_SCHEMES } } });
 * ```
 */
export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token of this service (from /auth/login, /auth/refresh, /oauth/token).',
  },
  client: {
    type: 'http',
    scheme: 'basic',
    description:
      'A confidential client: its id and secret (`--clients id:secret`, or `revocable client add`). The /oauth/* endpoints also take them as client_id and client_secret form fields.',
  },
  admin: {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin token (REVOCABLE_ADMIN_TOKEN), as a Bearer credential.',
  },
  metrics: {
    type: 'http',
    scheme: 'bearer',
    description: 'The metrics token (--metrics-token), as a Bearer credential; /metrics is open without one.',
  },
  refresh_cookie: {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-revocable-refresh',
    description:
      'The browser refresh cookie set by a login with cookie: true; used only with the x-revocable-csrf: 1 header from an allowed Origin.',
  },
} as const;
