/**
 * `@revocable/edge`: `revocable edge`, revocation for any backend. It follows the service's
 * revocation feed into a local replica and verifies tokens with the core verifier, then offers a
 * reverse proxy (`--upstream`), a forward-auth endpoint for nginx, Caddy, Traefik and Envoy, and
 * local RFC 7662 introspection. See its README.
 *
 * @example
 * ```ts
 * import { startEdge } from '@revocable/edge';
 * const edge = await startEdge({ service: 'https://auth.example', clientId: 'edge', clientSecret, upstream: 'http://127.0.0.1:8080' });
 * ```
 *
 * @packageDocumentation
 */
export { AssertionSigner, type AssertionSignerOptions } from './assertion.js';
export { EDGE_USAGE, type EdgeCommandSettings, edgeSettings } from './cli/edge-args.js';
export { edgeCommand } from './cli/edge-command.js';
export { IntrospectionClients } from './client-auth.js';
export { createEdgeApp, type EdgeAppSettings } from './edge-app.js';
export { EDGE_STATUS, EdgeError, type EdgeErrorCode, EdgeUsageError } from './errors.js';
export { EdgeGate, type EdgeGateOptions, type GateVerdict } from './gate.js';
export { IDENTITY_HEADERS, IDENTITY_PREFIX, identityHeaders, withoutIdentityHeaders } from './identity.js';
export { type PathAccess, type PathRule, PathRules, pathRule } from './path-rules.js';
export type { AssertionPlacement, ProxyOptions } from './proxy.js';
export { FORWARD_AUTH_PATH } from './routes/forward-auth.js';
export { activeAnswer, INTROSPECTION_PATH } from './routes/introspection.js';
export { type EdgeOptions, type RunningEdge, startEdge } from './start-edge.js';
export { readTrustedIssuers, trustedVerifier } from './trusted-issuers.js';
