import type { IssuerStatus } from '@revocable/core';

const time = { type: 'string', format: 'date-time' } as const;

/** `GET /admin/issuers`: the trusted issuers and their key state. */
export const ISSUER_LIST_SCHEMA = {
  description: "The trusted issuers of --config, each with its keys' state.",
  type: 'object',
  additionalProperties: false,
  required: ['issuers'],
  properties: {
    issuers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'id',
          'issuer',
          'profile',
          'audience',
          'max_token_lifetime_sec',
          'state',
          'kids',
          'keys_fetched_at',
          'jwks_uri',
          'last_error',
          'backchannel_logout',
        ],
        properties: {
          id: { type: 'string', description: 'The id used in grants and /backchannel-logout/{id}.' },
          issuer: { type: 'string', description: 'The exact iss of its tokens.' },
          profile: { type: 'string' },
          audience: { type: 'array', items: { type: 'string' } },
          max_token_lifetime_sec: { type: 'integer', minimum: 1 },
          state: {
            type: 'string',
            enum: ['ready', 'unavailable'],
            description: 'unavailable: its keys could not be read; its tokens are answered 503.',
          },
          kids: { type: 'array', items: { type: 'string' } },
          keys_fetched_at: {
            oneOf: [time, { type: 'null' }],
            description: 'The last successful JWKS fetch.',
          },
          jwks_uri: { type: ['string', 'null'] },
          last_error: {
            oneOf: [
              {
                type: 'object',
                additionalProperties: false,
                required: ['code', 'message'],
                properties: { code: { type: 'string' }, message: { type: 'string' } },
              },
              { type: 'null' },
            ],
          },
          backchannel_logout: { type: 'boolean' },
        },
      },
    },
  },
} as const;

/**
 * One issuer's status in the admin API's wire form (snake_case, RFC 3339 times).
 *
 * @example
 * ```ts
 * const body = { issuers: runtime.issuers.status().map(issuerToWire) };
 * ```
 */
export function issuerToWire(status: IssuerStatus): Record<string, unknown> {
  return {
    id: status.id,
    issuer: status.issuer,
    profile: status.profile,
    audience: status.audience,
    max_token_lifetime_sec: status.maxTokenLifetimeSec,
    state: status.state,
    kids: status.kids,
    keys_fetched_at: status.keysFetchedAt === undefined ? null : new Date(status.keysFetchedAt).toISOString(),
    jwks_uri: status.jwksUri ?? null,
    last_error: status.lastError ?? null,
    backchannel_logout: status.backchannelLogout,
  };
}
