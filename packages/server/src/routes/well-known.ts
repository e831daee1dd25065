import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

/** `/.well-known/jwks.json` (with the next key published ahead of use) and RFC 8414 metadata. */
export function wellKnownRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { keys, config } = runtime;
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['discovery'], summary: 'Public signing keys' } },
    async (_request, reply) => {
      reply.header('Cache-Control', 'public, max-age=300');
      return keys.jwks();
    },
  );
  app.get(
    '/.well-known/oauth-authorization-server',
    { schema: { tags: ['discovery'], summary: 'RFC 8414 authorization server metadata' } },
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
      },
      revocable_feed_endpoint: `${config.issuer}/revocations`,
    }),
  );
}
