// JSON schemas of the wire forms in `wire.ts`, for the routes' `schema.response` (and so for
// /openapi.json). They list every member, `additionalProperties: false`: the document says exactly what
// an answer holds. Routes that use them serialize with `JSON.stringify` (see `plainJsonSerializer`),
// so a member missing here is never dropped from an answer in silence; test/admin-wire.test.ts checks
// real answers against the published document.

const time = {
  type: 'string',
  format: 'date-time',
  description: 'RFC 3339, UTC, milliseconds',
} as const;
const timeOrNull = { ...time, type: ['string', 'null'] } as const;
const text = { type: 'string' } as const;
const count = { type: 'integer', minimum: 0 } as const;

/** An object schema whose members are all required, and no other. */
function record(properties: Record<string, object>, description?: string) {
  return {
    type: 'object',
    ...(description !== undefined && { description }),
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
  } as const;
}

const scopedIss = {
  type: ['string', 'null'],
  description: "The rule's issuer; null for a rule recorded before rules named one (every issuer).",
} as const;

/** A revocation rule as answered, one schema per kind. */
export const RULE_SCHEMA = {
  oneOf: [
    record({ kind: { type: 'string', enum: ['token'] }, iss: scopedIss, token_id: text, expires_at: time }),
    record({ kind: { type: 'string', enum: ['allow'] }, iss: scopedIss, token_id: text, expires_at: time }),
    record({ kind: { type: 'string', enum: ['key'] }, iss: scopedIss, kid: text, expires_at: time }),
    record({ kind: { type: 'string', enum: ['session'] }, iss: text, sid: text, cutoff: time }),
    record({ kind: { type: 'string', enum: ['subject'] }, iss: text, sub: text, cutoff: time }),
    record({ kind: { type: 'string', enum: ['issuer'] }, iss: text, cutoff: time }),
  ],
} as const;

// Request bodies are checked by the service's own validator, which knows no `format`: a time is
// documented by a pattern there and parsed by `timeFromWire`.
const timeIn = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$',
  description: 'RFC 3339 (any offset; answered in UTC)',
} as const;

/** A rule as `POST /admin/revocations` takes it: `iss`, `cutoff` and a key rule's `expires_at` may be omitted (see the route). */
export const RULE_INPUT_SCHEMA = {
  oneOf: (
    [
      ['token', { token_id: text, expires_at: timeIn }, false],
      ['allow', { token_id: text, expires_at: timeIn }, false],
      ['key', { kid: text, expires_at: timeIn }, false],
      ['session', { sid: text, cutoff: timeIn }, true],
      ['subject', { sub: text, cutoff: timeIn }, true],
      ['issuer', { cutoff: timeIn }, true],
    ] as const
  ).map(([kind, members, needsIss]) => ({
    type: 'object',
    additionalProperties: false,
    // A key rule's `expires_at` may be omitted too: the server fills in the longest lifetime it can need.
    required: [
      'kind',
      ...(needsIss ? ['iss'] : []),
      ...Object.keys(members).filter((m) => m !== 'cutoff' && !(kind === 'key' && m === 'expires_at')),
    ],
    properties: { kind: { type: 'string', enum: [kind] }, iss: text, ...members },
  })),
};

/** A revocation event as answered (`POST` and `GET /admin/revocations`). */
export const EVENT_SCHEMA = record({
  seq: { type: 'integer', minimum: 1 },
  rule: RULE_SCHEMA,
  reason: text,
  actor: text,
  recorded_at: time,
  forget_after: { ...time, description: 'After this no token can match the rule; it may be purged.' },
});

/** `GET /admin/revocations`. */
export const EVENT_PAGE_SCHEMA = record({ events: { type: 'array', items: EVENT_SCHEMA } });

/** A session as answered (`GET /admin/users/:sub/sessions`; `GET /auth/sessions` adds `current`). */
export const SESSION_MEMBERS = {
  id: text,
  client_id: text,
  scope: { type: ['string', 'null'] },
  device: { type: ['string', 'null'] },
  ip: { type: ['string', 'null'] },
  created_at: time,
  last_seen_at: time,
  expires_at: { ...time, description: 'The earlier of the idle and the absolute expiry.' },
  refresh_generation: { type: 'integer', minimum: 1, description: '1 at login, +1 per rotation' },
} as const;

/** `GET /admin/users/:sub/sessions`. */
export const SESSION_LIST_SCHEMA = record({ sessions: { type: 'array', items: record(SESSION_MEMBERS) } });

/** `GET /auth/sessions`: each session with `current`, true for the one the token belongs to. */
export const OWN_SESSION_LIST_SCHEMA = record({
  sessions: { type: 'array', items: record({ ...SESSION_MEMBERS, current: { type: 'boolean' } }) },
});

/** `GET /admin/users`. */
export const USER_LIST_SCHEMA = record({
  users: {
    type: 'array',
    items: record({ id: text, username: text, created_at: time, suspended: { type: 'boolean' } }),
  },
});

/** `POST /admin/users/:sub/suspension`. */
export const SUSPENSION_SCHEMA = record({ suspended: { type: 'boolean' } });

/** `GET /admin/keys`, `POST /admin/keys/rotate`. */
export const KEY_LIST_SCHEMA = record({
  keys: {
    type: 'array',
    items: record({
      kid: text,
      alg: text,
      state: { type: 'string', enum: ['next', 'active', 'retired'] },
      created_at: time,
      verify_until: { ...timeOrNull, description: 'When a retired key stops verifying; null otherwise.' },
    }),
  },
});

const msOrNull = { type: ['number', 'null'], minimum: 0 } as const;

/** `GET /admin/replica`. */
export const REPLICA_SCHEMA = record(
  {
    tokens: count,
    allowed: count,
    sessions: count,
    subjects: count,
    keys: count,
    issuers: count,
    last_seq: count,
    source_seq: count,
    behind: count,
    last_event_at: { ...timeOrNull, description: 'When the log recorded the newest event held; null: none.' },
    last_event_age_ms: { ...msOrNull, description: 'Age of that event by this clock; null: none.' },
    fresh_at: { ...timeOrNull, description: 'The last news from the feed; null: none yet.' },
    staleness_ms: { ...msOrNull, description: 'Time since that news; null: none yet.' },
    stale: { type: 'boolean' },
    purged: count,
    stale_accepts: count,
    bootstraps: count,
    token_table_bytes: count,
    log_last_seq: count,
  },
  "This process's replica and the log's newest seq.",
);

/** The OAuth token response (RFC 6749 §5.1) of `POST /admin/sessions`. */
export const TOKEN_RESPONSE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['access_token', 'token_type', 'expires_in', 'session_id', 'refresh_token'],
  properties: {
    access_token: text,
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', minimum: 1, description: 'Seconds' },
    session_id: text,
    scope: text,
    refresh_token: text,
  },
} as const;

/** A 204 answer: no body. */
export const NO_CONTENT_SCHEMA = { type: 'null', description: 'No body' } as const;

/**
 * Serializes answers with `JSON.stringify`: the response schemas document the answers and never filter
 * them (Fastify's default serializer drops members a schema does not list).
 *
 * @example
 * ```ts
 * app.setSerializerCompiler(plainJsonSerializer);
 * ```
 */
export const plainJsonSerializer = () => (data: unknown) => JSON.stringify(data);
