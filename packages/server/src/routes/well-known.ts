import type { FastifyInstance } from 'fastify';
import { JWKS_ANSWER } from '../http/answer-schemas.js';
import type { Runtime } from '../runtime.js';

const url = { type: 'string', format: 'uri' } as const;
const names = { type: 'array', items: { type: 'string' } } as const;

/** The metadata document: RFC 8414 §2 members, and Revocable's own for APIs. */
const METADATA_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [
    'issuer',
    'token_endpoint',
    'jwks_uri',
    'revocation_endpoint',
    'introspection_endpoint',
    'grant_types_supported',
    'response_types_supported',
    'token_endpoint_auth_methods_supported',
    'revocation_endpoint_auth_methods_supported',
    'introspection_endpoint_auth_methods_supported',
    'service_documentation',
    'revocable_audience',
    'revocable_revocation_policy',
    'revocable_feed_endpoint',
  ],
  properties: {
    issuer: { ...url, description: "The tokens' iss (--issuer); the URL APIs connect to." },
    token_endpoint: url,
    jwks_uri: url,
    revocation_endpoint: url,
    introspection_endpoint: url,
    grant_types_supported: names,
    response_types_supported: names,
    token_endpoint_auth_methods_supported: names,
    revocation_endpoint_auth_methods_supported: names,
    introspection_endpoint_auth_methods_supported: names,
    service_documentation: url,
    revocable_audience: { type: 'string', description: "The tokens' aud (--audience)." },
    revocable_revocation_policy: {
      type: 'object',
      description:
        "The log's lifetime policy: an API's replica and verifier take it (tokens living longer are refused).",
      additionalProperties: false,
      required: ['max_token_lifetime_ms', 'clock_skew_ms'],
      properties: {
        max_token_lifetime_ms: { type: 'integer', minimum: 1, description: '--access-token-ttl, in ms' },
        clock_skew_ms: { type: 'integer', minimum: 0, description: 'The clock margin, ms' },
        issuers: {
          type: 'object',
          description:
            "Each trusted issuer's own lifetime, by exact iss (trustedIssuers of --config): its rules are kept, and its tokens bounded, by it.",
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['max_token_lifetime_ms'],
            properties: { max_token_lifetime_ms: { type: 'integer', minimum: 1 } },
          },
        },
      },
    },
    revocable_feed_endpoint: {
      ...url,
      description:
        "The revocation feed (GET, and /stream for Server-Sent Events) and an API's own logout (POST), with client credentials.",
    },
  },
} as const;

/** `/.well-known/jwks.json` (with the next key published ahead of use) and RFC 8414 metadata. */
export function wellKnownRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { keys, config } = runtime;
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['discovery'], summary: 'Public signing keys', response: { 200: JWKS_ANSWER } } },
    async (_request, reply) => {
      reply.header('Cache-Control', 'public, max-age=300');
      return keys.jwks();
    },
  );
  app.get(
    '/.well-known/oauth-authorization-server',
    {
      schema: {
        tags: ['discovery'],
        summary: 'RFC 8414 authorization server metadata',
        description:
          'With the members an API needs to verify the tokens and follow the revocations (connectToService in @revocable/core reads them): revocable_audience, revocable_revocation_policy, revocable_feed_endpoint.',
        response: { 200: METADATA_SCHEMA },
      },
    },
    async () => ({
      issuer: config.issuer,
      token_endpoint: `${config.issuer}/oauth/token`,
      jwks_uri: `${config.issuer}/.well-known/jwks.json`,
      revocation_endpoint: `${config.issuer}/oauth/revoke`,
      introspection_endpoint: `${config.issuer}/oauth/introspect`,
      grant_types_supported: ['refresh_token'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      service_documentation: `${config.issuer}/openapi.json`,
      // What an API needs to verify this service's tokens and follow its revocations
      // (`connectToService` in @revocable/core reads these).
      revocable_audience: config.audience,
      revocable_revocation_policy: {
        max_token_lifetime_ms: config.revocationPolicy.maxTokenLifetimeMs,
        clock_skew_ms: config.revocationPolicy.clockSkewMs,
        // Each trusted issuer's own lifetime: an API's replica keeps that issuer's rules as long.
        ...(config.trustedIssuers.length === 0
          ? {}
          : {
              issuers: Object.fromEntries(
                config.trustedIssuers.map((entry) => [
                  entry.issuer,
                  { max_token_lifetime_ms: entry.maxTokenLifetimeSec * 1000 },
                ]),
              ),
            }),
      },
      revocable_feed_endpoint: `${config.issuer}/revocations`,
    }),
  );
}
